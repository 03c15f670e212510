"""The HTML report: what it shows, that it escapes, and that a real browser renders it."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from paved.fleet import report
from paved.fleet.check import FleetCheck, RepoCheck, RuleCount
from paved.fleet.hosting import Proposal, State
from paved.fleet.status import Adoption, FleetStatus, RepoStatus
from paved.update.status import DriftedFile
from tests.fleet.conftest import Fleet
from tests.helpers import run_cli

# Debian's chromium, as root in a sandbox with no network (see .ci/run, which installs it).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed: .ci/run installs Debian's chromium package"
    return found


def browser_dom(page: Path, profile: Path) -> str:
    """The page's DOM as Chromium built it (parsed, styled, laid out)."""
    done = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                           "--dump-dom", page.as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of the page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())


def test_the_report_renders_in_chromium(fleet: Fleet, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796119200")  # 2026-12-01 10:00 UTC
    page = tmp_path / "fleet.html"
    result = run_cli(["fleet", "status", "--from", str(fleet.list_file), "--report", str(page),
                      "--with-check"])
    assert result.exit_code == 0, result.stderr
    dom = browser_dom(page, tmp_path / "profile")
    seen = Elements(dom)
    assert not [tag for tag, attrs in seen.tags if tag in ("script", "img", "link", "iframe")
                or "src" in attrs]
    links = [attrs["href"] for tag, attrs in seen.tags if tag == "a"]
    assert [link for link in links if not link.startswith("#")] == \
        [fleet.remote(name).as_uri() for name in ("alpha", "beta", "gamma", "delta", "plain",
                                                  "refuser")] \
        + [fleet.remote("delta").as_uri()] \
        + [fleet.remote(name).as_uri() for name in ("alpha", "beta", "gamma", "delta",
                                                    "plain", "refuser")]
    assert re.search(r'<p class="summary" id="summary">6 repos: 5 paved, 1 skipped \(not '
                     r'paved\)\. Latest catalog version: v3\.0\.0\. Generated 2026-12-01 10:00 '
                     r'UTC\.</p>', dom)
    adoption = dom[dom.index('<table id="adoption">'):]
    adoption = adoption[:adoption.index("</table>")]
    assert re.findall(r"<td>v([\d.]+)(<span class=\"badge latest\">latest</span>)?</td>\s*"
                      r"<td class=\"num\">(\d+)</td>\s*<td class=\"num\">([\d.]+)%</td>",
                      adoption) == [("1.0.0", "", "3", "60"), ("2.0.0", "", "1", "20"),
                                    ("3.0.0", '<span class="badge latest">latest</span>', "1",
                                     "20")]
    repos = dom[dom.index('<table id="repos">'):]
    assert repos[:repos.index("</table>")].count("<tr id=\"repo-") == 6
    assert '<td colspan="7" class="muted">not a paved repo: no .paved.yml on main</td>' in dom
    drift = dom[dom.index('<details id="drift-4" open="">'):]
    assert re.sub(r"\s+", " ", drift[:drift.index("</details>")]) == (
        f'<details id="drift-4" open=""> <summary><a href="{fleet.remote("delta").as_uri()}">'
        'delta</a>: 1 file</summary> <ul class="files"> <li><code>notes.txt</code> modified'
        '</li> </ul> ')
    heat = dom[dom.index('<table class="heat" id="heat">'):]
    heat = heat[:heat.index("</table>")]
    assert re.findall(r"<th>([a-z]+)</th>", heat) == [
        "repo", "isolation", "observability", "rollback", "security", "ownership", "currency",
        "evidence",
        "overall"]
    assert heat.count("<tr>") == 7  # the header and every repo (plain is checked too)
    assert re.findall(r'style="background:hsl\((\d+),70%,82%\)"', heat)


def test_report_escapes_every_value_and_links_only_to_web_or_files() -> None:
    status = FleetStatus(
        repos=(RepoStatus(name="<script>x</script>", location="/r",
                          url="javascript:alert(1)", golden_path="a&b",
                          applied_version="1.0.0", latest_version="2.0.0", behind_by=1,
                          drift_count=1, managed_drift_count=1, last_update="2026-01-01T00:00:00",
                          drift=(DriftedFile("<b>.txt", "modified", True),),
                          proposal=Proposal(3, "https://x.test/p/3?a=1&b=<2>",
                                            State.CHECKS_FAILING, "t")),
               RepoStatus(name="broken", location="/b", url="file:///b", error="bad <repo>")),
        adoption=(Adoption("1.0.0\"<", 1, 100.0, False),), latest_version="2.0.0",
        proposals={"checks failing": 1}, skipped=0, unreadable=1, seconds=0.0)
    check = FleetCheck(repos=(RepoCheck("<script>x</script>", "/r", score=50,
                                        failing=("rule/<x>",), areas={"sec<urity": 50}),),
                       failing_rules=(RuleCount("rule/<x>", 1),), average_score=50,
                       unreadable=0, seconds=0.0)
    page = report.html(status, check=check, generated="<now>")
    assert "<script>" not in page and "javascript:" not in page
    assert "<td><span>&lt;script&gt;x&lt;/script&gt;</span></td>" in page
    assert '<a href="https://x.test/p/3?a=1&amp;b=&lt;2&gt;" class="state-checks-failing">' \
           "#3 checks failing</a>" in page
    assert "a&amp;b" in page and "bad &lt;repo&gt;" in page and "rule/&lt;x&gt;" in page
    assert "<code>&lt;b&gt;.txt</code>" in page and "<th>sec&lt;urity</th>" in page
    assert "v1.0.0&#34;&lt;" in page and "Generated &lt;now&gt;." in page
    assert '<a href="file:///b">broken</a>' in page


def test_the_template_is_package_data() -> None:
    from importlib import resources

    assert resources.files("paved.fleet").joinpath(report.TEMPLATE).is_file()
