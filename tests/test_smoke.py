from pathlib import Path

from tests.helpers import run_cli


def test_new_service_renders_the_bundled_golden_path(tmp_path: Path) -> None:
    result = run_cli(["new", "service", "payments-api", "--dest", str(tmp_path / "svc")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "svc" / ".paved.yml").is_file()
