"""The dashboard and the alerting rules name only metrics the service exports.

A renamed metric would leave a panel empty and an alert silent, with nothing
failing; here the service runs, serves a request and its /metrics is read as
Prometheus reads it. (`promtool check rules` and `promtool test rules` check
the rules themselves: see monitoring/alerts.rules.test.yaml.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from support import running_service

MONITORING = Path(__file__).resolve().parent.parent / "monitoring"
# A metric name followed by its label selector, in PromQL.
SELECTED = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
SUFFIXES = ("", "_total", "_count", "_sum", "_bucket")
FROM_PROMETHEUS = {"up"}  # recorded by Prometheus for every scrape, not by the service


def queries() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    found = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    rules = (MONITORING / "alerts.rules.yaml").read_text()
    return [*found, rules]


def test_every_metric_queried_is_exported() -> None:
    with running_service() as url:
        assert httpx.get(f"{url}/livez").status_code == 200
        exposition = httpx.get(f"{url}/metrics").text
    families = {family.name for family in text_string_to_metric_families(exposition)}
    exported = {family + suffix for family in families for suffix in SUFFIXES}
    named = {name for query in queries() for name in SELECTED.findall(query)} - FROM_PROMETHEUS
    assert len(named) >= 9
    assert sorted(named - exported) == []


def test_the_dashboard_has_a_panel_per_signal_with_unique_ids() -> None:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    titles = " ".join(panel["title"] for panel in dashboard["panels"])
    for signal in ("Traffic", "Errors", "Latency", "Saturation", "Retries", "Circuit breakers"):
        assert signal in titles
