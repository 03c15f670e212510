from paved.check import builtin_rules
from tests.helpers import ROOT


def test_docs_describe_every_rule() -> None:
    text = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    missing = [rule.id for rule in builtin_rules()
               if f"**{rule.id}** ({rule.severity.value})" not in text]
    assert missing == []


def test_pre_commit_hooks_declare_check_and_status() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "entry: paved check\n" in text
    assert "entry: paved status --check --allow-behind\n" in text
