"""`paved check --format sarif` as GitHub code scanning reads it (issue 17): valid SARIF
2.1.0, one result per place a problem was found, `security-severity`, `helpUri` to the
rule's documentation and fingerprints that survive edits elsewhere in the file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from paved.check import builtin_rules
from tests.check.fixture_repo import change, line
from tests.check.test_monorepo import valid_sarif
from tests.helpers import ROOT, run_cli

CI = ".github/workflows/ci.yml"
DEPLOYMENT = "deploy/base/deployment.yaml"


def sarif_of(repo: Path) -> dict[str, Any]:
    result = run_cli(["check", str(repo), "--format", "sarif", "--fail-on", "never"])
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    valid_sarif(document)
    return document


def two_unpinned_actions(repo: Path) -> None:
    text = (repo / CI).read_text()
    pinned = re.findall(r"actions/checkout@[0-9a-f]{40}", text)
    assert pinned
    change(repo, CI, pinned[0], "actions/checkout@v4")
    change(repo, CI, "    steps:\n", "    steps:\n      - uses: actions/setup-python@v5\n")


def test_one_result_per_location(repo: Path) -> None:
    two_unpinned_actions(repo)
    run = sarif_of(repo)["runs"][0]
    pinned = [r for r in run["results"] if r["ruleId"] == "security/actions-pinned"]
    assert [(r["message"]["text"], len(r["locations"]),
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in pinned] == [
        ("actions/setup-python@v5: action is not pinned to a hash (required by blanket "
         "policy) [zizmor unpinned-uses]", 1, line(repo, CI, "setup-python@v5")),
        ("actions/checkout@v4: action is not pinned to a hash (required by blanket policy) "
         "[zizmor unpinned-uses]", 1, line(repo, CI, "checkout@v4"))]
    assert all(len(result["locations"]) == 1 for result in run["results"])


def test_rules_carry_security_severity_tags_and_their_docs(repo: Path) -> None:
    change(repo, DEPLOYMENT, "drop: [ALL]", "drop: [ALL]\n              add: [SYS_ADMIN]")
    rules = {rule["id"]: rule for rule in sarif_of(repo)["runs"][0]["tool"]["driver"]["rules"]}
    pod = rules["security/pod-security-restricted"]
    assert pod["properties"]["security-severity"] == "8.0"  # high
    assert pod["properties"]["tags"] == ["security"]
    assert pod["helpUri"] == ("https://github.com/paved-dev/paved/blob/main/docs/check.md"
                              "#security-pod-security-restricted")
    assert rules["ownership/postmortem-template"]["properties"]["security-severity"] == "2.0"
    assert rules["rollback/workflow"]["properties"]["tags"] == ["rollback"]


def test_every_help_uri_is_an_anchor_in_the_docs() -> None:
    text = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    from paved.check.formats import rule_docs

    for rule in builtin_rules():
        anchor = rule_docs(rule.id).split("#", 1)[1]
        assert f'<a id="{anchor}"></a>\n**{rule.id}** (' in text, rule.id


def test_fingerprints_survive_lines_added_above_and_tell_findings_apart(repo: Path) -> None:
    two_unpinned_actions(repo)
    before = [(r["message"]["text"], r["partialFingerprints"]["pavedFinding/v1"])
              for r in sarif_of(repo)["runs"][0]["results"]]
    change(repo, CI, "jobs:\n", "# a comment\n# another\njobs:\n")
    after = [(r["message"]["text"], r["partialFingerprints"]["pavedFinding/v1"])
             for r in sarif_of(repo)["runs"][0]["results"]]
    assert before == after
    assert len({fingerprint for _, fingerprint in after}) == len(after)


def test_a_result_without_evidence_still_has_a_location() -> None:
    from paved import sarif

    document = sarif.document([sarif.Rule("a/b", "short", "error")],
                              [sarif.Result("a/b", "error", "crashed",
                                            sarif.Location(".paved.yml"))])
    valid_sarif(document)
    assert document["runs"][0]["results"][0]["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": ".paved.yml"}}}]
