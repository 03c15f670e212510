"""Every YAML paved reads is bounded (issue 21, item 17): size, aliases, depth; and an error
about a file never prints the file."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from paved import yaml
from paved.errors import InputError
from tests.helpers import run_cli
from tests.hostile import COPIER, hostile_catalog

#: Nine nested aliases of nine: ~600 bytes, 9**9 (387 million) values once expanded.
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True))


def new(tmp_path: Path, *args: str) -> tuple[int, str]:
    catalog = hostile_catalog(tmp_path / "catalog")
    result = run_cli(["new", "service", "svc", "--defaults", "--catalog", str(catalog),
                      "--dest", str(tmp_path / "svc"), *args])
    return result.exit_code, result.stderr


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_billion_laughs_in_an_answers_file(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text(LAUGHS)
    before = peak_memory_mib()
    assert new(tmp_path, "--answers-file", str(tmp_path / "answers.yml")) == (
        1, f"paved: error: {tmp_path}/answers.yml holds more than 500,000 values once its "
           f"aliases are expanded; paved reads no YAML that large\n")
    assert peak_memory_mib() - before < 200


@pytest.mark.parametrize("name", ["copier.yml", "paved-catalog.yml"])
def test_billion_laughs_in_a_catalog(tmp_path: Path, name: str) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", git=False)
    (catalog / name).write_text((catalog / name).read_text() + LAUGHS.replace("a:", "x_a:", 1)
                                )
    result = run_cli(["new", "service", "svc", "--defaults", "--catalog", str(catalog),
                      "--dest", str(tmp_path / "svc")])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {catalog}/{name} holds more than 500,000 values once its aliases "
           f"are expanded; paved reads no YAML that large\n")


def test_billion_laughs_in_a_record(tmp_path: Path) -> None:
    assert new(tmp_path)[0] == 0
    record = tmp_path / "svc/.paved.yml"
    record.write_text(record.read_text() + LAUGHS.replace("a:", "x_a:", 1))
    result = run_cli(["status", str(tmp_path / "svc")])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {record} holds more than 500,000 values once its aliases are "
           f"expanded; paved reads no YAML that large\n")


def test_a_huge_answers_file_is_not_read(tmp_path: Path) -> None:
    with (tmp_path / "answers.yml").open("w") as stream:
        for number in range(300_000):  # ~5 MiB
            stream.write(f"key_{number}: value\n")
    assert new(tmp_path, "--answers-file", str(tmp_path / "answers.yml")) == (
        1, f"paved: error: {tmp_path}/answers.yml is larger than 4 MiB; paved reads no YAML "
           f"file that large\n")


def test_an_endless_answers_file_is_read_no_further_than_the_bound(tmp_path: Path) -> None:
    assert new(tmp_path, "--answers-file", "/dev/zero") == (
        1, "paved: error: /dev/zero is larger than 4 MiB; paved reads no YAML file that "
           "large\n")


@pytest.mark.parametrize("text", ["[" * 40_000, "- " * 40_000 + "x", "{a: " * 40_000],
                         ids=["flow-sequences", "block-sequences", "flow-mappings"])
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    # ruamel's C loader dies of a segmentation fault some 30,000 levels down; its pure
    # loader takes seconds to fail with RecursionError.
    for load in (yaml.loads, yaml.loads_all_with_lines):
        with pytest.raises(InputError, match=r"^f\.yml: invalid YAML: nested deeper than "
                                             r"100 levels$"):
            load(text, source="f.yml")


def test_depth_is_bounded_once_loaded() -> None:
    with pytest.raises(InputError, match=r"^f\.yml: invalid YAML: nested deeper than 100 "):
        yaml.loads("[" * 150 + "]" * 150, source="f.yml")
    assert yaml.loads("[" * 99 + "]" * 99, source="f.yml") is not None


def test_every_way_in_is_bounded() -> None:
    for load in (yaml.loads, yaml.loads_all, yaml.loads_all_with_lines):
        with pytest.raises(InputError, match="once its aliases are expanded"):
            load(LAUGHS, source="f.yml")


def test_ordinary_aliases_still_load() -> None:
    assert yaml.loads("base: &b {x: 1}\nother: *b\n") == {"base": {"x": 1}, "other": {"x": 1}}


# --- what an error may quote -----------------------------------------------------------

SHADOW = """\
root:$6$Zq3k1Jx9$VNw0mHq2dJ8qv1XpR7eYQ0s5h8xL1kLr2aE4ZcU9mN6tB3yP0oV7wS5fG1hK2jD4:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
avahi:!:20788:::::
sshd:!*:20788::::::
"""


@pytest.mark.parametrize("content", [
    SHADOW,
    "service_name: [unclosed\nroot:$6$secret:19700:\n",
    "a: 1\na: hunter2-secret\n",
    "service_name: 'x'\nport: hunter2-secret-value-that-is-long-enough-to-be-cut-off\n",
])
def test_an_answers_file_is_never_printed(tmp_path: Path, content: str) -> None:
    (tmp_path / "answers.yml").write_text(content)
    code, stderr = new(tmp_path, "--answers-file", str(tmp_path / "answers.yml"))
    assert code == 1
    assert stderr.count("\n") == 1 and stderr.startswith("paved: error: ")
    for secret in ("$6$", "hunter2", "avahi", "19700"):
        assert secret not in stderr


def test_a_validators_message_is_one_line_of_reasonable_length(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "copier.yml": COPIER + "port:\n  type: str\n  default: x\n"
                               "  validator: \"{% for i in range(5000) %}line {{ i }}\n"
                               "{% endfor %}\"\n"})
    result = run_cli(["new", "service", "svc", "--defaults", "--catalog", str(catalog),
                      "--dest", str(tmp_path / "svc")])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("paved: error: invalid answer for 'port': line 0 line 1 ")
    assert result.stderr.endswith("…\n")
    assert len(result.stderr) <= len("paved: error: invalid answer for 'port': ") + 201


def test_an_answer_is_quoted_short_and_a_secret_never(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "copier.yml": COPIER + "port:\n  type: int\n  default: 1\n"
                               "token:\n  type: int\n  default: 1\n  secret: true\n"})
    base = ["new", "service", "svc", "--defaults", "--catalog", str(catalog),
            "--dest", str(tmp_path / "svc")]
    long_answer = "x" * 100
    assert run_cli([*base, "--data", f"port={long_answer}"]).stderr == (
        f"paved: error: invalid answer for 'port': expected an integer, got '{'x' * 38}…\n")
    assert run_cli([*base, "--data", "token=hunter2"]).stderr == (
        "paved: error: invalid answer for 'token': expected an integer, got the answer\n")
