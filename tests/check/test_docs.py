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


def test_docs_give_each_rules_fix_as_paved_check_prints_it() -> None:
    """One fix text per rule: the one `paved check` prints ends its paragraph here."""
    text = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    paragraphs = {paragraph.split("**")[1]: " ".join(paragraph.split())
                  for paragraph in text.split("\n\n") if paragraph.startswith("<a id=")}
    assert {rule.id: paragraphs[rule.id].endswith(f" Fix: {rule.fix}")
            for rule in builtin_rules()} == {rule.id: True for rule in builtin_rules()}
