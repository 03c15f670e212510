from __future__ import annotations

import re
from pathlib import Path

import pytest

from paved.authoring.findings import Finding, Severity
from paved.authoring.lint import lint_catalog
from paved.catalog import bundled_root, load
from paved.errors import CatalogError
from tests.helpers import build_file_tree
from tests.template_catalogs import COPIER, MANIFEST, PLAIN_COPIER, small_catalog


def summary(findings: tuple[Finding, ...]) -> list[str]:
    return [f"{f.location()} {f.rule} {f.severity.value}: {f.message}" for f in findings]


def test_the_bundled_catalog_has_no_errors() -> None:
    result = lint_catalog(bundled_root())
    assert result.errors == 0, summary(result.findings)
    # Warnings are allowed (a question may wait for the layer that will use it),
    # but each must be a known rule.
    assert all(f.severity is Severity.WARNING for f in result.findings)


def test_a_clean_catalog_has_no_findings(tmp_path: Path) -> None:
    result = lint_catalog(small_catalog(tmp_path))
    assert result.findings == () and (result.errors, result.warnings) == (0, 0)


def test_question_help_defaults_and_unused_questions(tmp_path: Path) -> None:
    copier = COPIER + """
nohelp:
  type: str
  default: x
upper:
  type: str
  help: Must be lowercase.
  default: ABC
  validator: "{% if upper != upper | lower %}must be lowercase{% endif %}"
required:
  type: str
  help: No default.
badchoice:
  type: int
  help: Not among its choices.
  default: 3
  choices: [1, 2]
short: 5
"""
    result = lint_catalog(small_catalog(tmp_path, {"copier.yml": copier}))
    assert summary(result.findings) == [
        "copier.yml:16 question-help error: question 'nohelp' has no help text",
        "copier.yml:16 unused-question warning: question 'nohelp' is never used by a "
        "template, a file name or another question",
        "copier.yml:19 question-default error: default of 'upper' is invalid: invalid answer "
        "for 'upper': must be lowercase",
        "copier.yml:19 unused-question warning: question 'upper' is never used by a "
        "template, a file name or another question",
        "copier.yml:24 question-default error: question 'required' has no default, so "
        "`--defaults` and non-interactive use cannot answer it",
        "copier.yml:24 unused-question warning: question 'required' is never used by a "
        "template, a file name or another question",
        "copier.yml:27 question-default error: default of 'badchoice' is invalid: invalid "
        "answer for 'badchoice': 3 is not one of 1, 2",
        "copier.yml:27 unused-question warning: question 'badchoice' is never used by a "
        "template, a file name or another question",
        "copier.yml:32 question-help error: question 'short' uses the short form and has no "
        "help text; write it as a mapping with type, help and default",
        "copier.yml:32 unused-question warning: question 'short' is never used by a "
        "template, a file name or another question",
    ]
    assert (result.errors, result.warnings) == (5, 5)


def test_jinja_syntax_undefined_variables_and_partials(tmp_path: Path) -> None:
    result = lint_catalog(small_catalog(tmp_path, {
        "layers/base/broken.md.jinja": "line one\n{% if service_name %}\nno endif\n",
        "layers/base/undefined.md.jinja": "{{ service_name }}\n\n{{ servce_name }}\n",
        "layers/base/missing.md.jinja": 'x\n{% include "partials/nope.jinja" %}\n',
        "layers/base/{{ nme }}.txt": "",
        "partials/common.jinja": "{% macro title(name) %}{{ name }}{{ colour }}{% endmacro %}",
    }))
    assert summary(result.findings) == [
        "layers/base/broken.md.jinja:2 jinja-syntax error: Unexpected end of template. "
        "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The "
        "innermost block that needs to be closed is 'if'.",
        "layers/base/missing.md.jinja:2 unresolved-partial error: partial "
        "'partials/nope.jinja' does not exist in the catalog (paths are relative to the "
        "catalog root)",
        "layers/base/undefined.md.jinja:3 undefined-variable error: 'servce_name' is not a "
        "question of the catalog nor a variable paved or copier provides",
        "layers/base/{{ nme }}.txt undefined-variable error: file name '{{ nme }}.txt': 'nme' "
        "is not a question of the catalog nor a variable paved or copier provides",
        "partials/common.jinja:1 undefined-variable error: 'colour' is not a question of the "
        "catalog nor a variable paved or copier provides",
    ]


def test_strict_render_errors_escaping_paths_and_collisions(tmp_path: Path) -> None:
    copier = COPIER + "\nfolder:\n  type: str\n  help: Where.\n  default: '..'\n"
    result = lint_catalog(small_catalog(tmp_path, {
        "copier.yml": copier,
        "layers/app/README.md": "the base layer writes this path too\n",
        "layers/app/{{ folder }}/outside.txt": "",
        "layers/app/attr.txt.jinja": "a\n{{ service_name.nothing.here }}\n",
        "layers/base/.paved.yml.jinja": "{{ service_name }}\n",
    }))
    where = "(golden path svc, answers 'defaults')"
    assert summary(result.findings) == [
        f"layers/app/README.md path-collision error: renders 'README.md', which layer 'base' "
        f"also writes {where}",
        f"layers/app/attr.txt.jinja:2 render-error error: 'str object' has no attribute "
        f"'nothing' {where}",
        f"layers/app/{{{{ folder }}}}/outside.txt path-escape error: renders to "
        f"'../outside.txt', outside the destination {where}",
        f"layers/base/.paved.yml.jinja path-collision error: renders '.paved.yml', which "
        f"paved's record also writes {where}",
    ]


def test_manifest_schema(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("    owner: team-a\n    path: layers/app\n",
                                "    path: layers/ghost\n    colour: blue\n")
    manifest = manifest.replace("layers: [base, app]", "layers: [base, app, extra]")
    result = lint_catalog(small_catalog(tmp_path, {"paved-catalog.yml": manifest}))
    assert summary(result.findings) == [
        "paved-catalog.yml:7 manifest-schema error: golden path 'svc' uses undeclared layer "
        "'extra'",
        "paved-catalog.yml:17 manifest-schema error: layer 'app' has no owner",
        "paved-catalog.yml:19 manifest-schema error: layer 'app': folder 'layers/ghost' does "
        "not exist",
        "paved-catalog.yml:20 unknown-key warning: layer 'app' has unknown key 'colour'; "
        "known: contract, description, managed, once, owner, path, produces",
    ]


def test_invalid_yaml_and_test_matrix(tmp_path: Path) -> None:
    broken = lint_catalog(small_catalog(tmp_path / "a", {"copier.yml": "a: [unclosed\n"}))
    assert [f.rule for f in broken.findings] == ["yaml-syntax"]
    assert broken.findings[0].file == "copier.yml"
    manifest = MANIFEST.replace("other-port: {port: 9000}", "other-port: {port: 1}")
    matrix = lint_catalog(small_catalog(tmp_path / "b", {"paved-catalog.yml": manifest}))
    assert summary(matrix.findings) == [
        "paved-catalog.yml:10 test-matrix error: golden path 'svc', answer set 'other-port': "
        "invalid answer for 'port': 1 is not one of 8080, 9000",
    ]


def test_a_plain_copier_template_is_a_catalog(tmp_path: Path) -> None:
    assert lint_catalog(build_file_tree(tmp_path, PLAIN_COPIER)).findings == ()
    (tmp_path / "template" / "x.jinja").write_text("{{ projet }}\n")
    assert summary(lint_catalog(tmp_path).findings) == [
        "template/x.jinja:1 unknown-variable warning: 'projet' is not a question of the "
        "catalog nor a variable copier or paved provides; copier renders it empty",
    ]


def test_not_a_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"is not a catalog: it has no copier\.yml$"):
        lint_catalog(tmp_path)


def test_a_link_leaving_the_catalog(tmp_path: Path) -> None:
    root = small_catalog(tmp_path / "catalog")
    (tmp_path / "secret").write_text("x")
    (root / "layers/base/leak").symlink_to(tmp_path / "secret")
    assert summary(lint_catalog(root).findings) == [
        f"layers/base/leak path-escape error: links to {tmp_path / 'secret'}, outside the "
        "catalog"]


def test_managed_and_once_patterns_that_overlap_or_match_nothing(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("    path: layers/app\n", "    path: layers/app\n"
                                "    managed: ['config/**', '/static.txt']\n"
                                "    once: ['config/*.env', 'src/*/settings.py']\n")
    result = lint_catalog(small_catalog(tmp_path, {"paved-catalog.yml": manifest}))
    assert summary(result.findings) == [
        "paved-catalog.yml:22 pattern-overlap error: 'config/demo.env' is both managed "
        "(layer 'app': 'config/**') and created once (layer 'app': 'config/*.env'); a file "
        "is one or the other (golden path svc, answers 'defaults')",
        "paved-catalog.yml:22 unmatched-pattern warning: layer 'app': once pattern "
        "'src/*/settings.py' matches no file golden path 'svc' renders",
    ]


def test_path_patterns_must_be_valid_gitignore_patterns(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("    path: layers/app\n",
                                "    path: layers/app\n    managed: ['config/**', '!']\n")
    result = lint_catalog(small_catalog(tmp_path, {"paved-catalog.yml": manifest}))
    assert summary(result.findings) == [
        "paved-catalog.yml:21 manifest-schema error: layer 'app': managed pattern '!' is not "
        "a valid gitignore-style pattern",
    ]


@pytest.mark.parametrize(("line", "message"), [
    ("url: /srv/catalog.git", "url must be a git URL other machines reach (https://…, ssh://… "
                              "or git@host:path)"),
    ("url: https://token@git.example.com/catalog.git",
     "url must not carry credentials: it is recorded in every generated repository"),
    ("paved_requirement: paved==0.2.0", "paved_requirement must install paved-cli exactly: "
     "`paved-cli==X.Y.Z` or `paved-cli @ git+https://…@vX.Y.Z`"),
    ("paved_requirement: paved-cli>=0.2", "paved_requirement must install paved-cli exactly: "
     "`paved-cli==X.Y.Z` or `paved-cli @ git+https://…@vX.Y.Z`"),
])
def test_the_catalog_url_and_paved_requirement_are_checked(
        tmp_path: Path, line: str, message: str) -> None:
    manifest = MANIFEST + line + "\n"
    result = lint_catalog(small_catalog(tmp_path, {"paved-catalog.yml": manifest}))
    assert summary(result.findings) == [f"paved-catalog.yml:21 manifest-schema error: {message}"]
    with pytest.raises(CatalogError, match=re.escape(message)):
        load(tmp_path, source=str(tmp_path), version="1.0.0")


def test_a_pinned_paved_and_a_url_are_accepted(tmp_path: Path) -> None:
    manifest = MANIFEST + ("url: git@git.example.com:platform/catalog.git\n"
                           "paved_requirement: paved-cli==0.2.0\n")
    assert lint_catalog(small_catalog(tmp_path, {"paved-catalog.yml": manifest})).findings == ()
