"""The README's first minutes, run literally (issue 17): its set-up block, as written, in a
fresh copy of this repository, then the first command of its Use section in the same shell.
`paved` must be on PATH, and the service must land outside the clone, leaving it clean."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import PIP_CACHE, ROOT, commit_all, git


def blocks(section: str) -> list[str]:
    """The fenced `sh` blocks under the README's `## section` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", body, re.S)


def test_the_use_section_starts_with_paved_list() -> None:
    assert blocks("Use")[0].splitlines()[0].split("#")[0].strip() == "paved list"


@pytest.mark.slow
def test_the_set_up_block_works_as_written(tmp_path: Path) -> None:
    clone = tmp_path / "paved"
    for name in git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
                    ).split("\0"):
        source = ROOT / name
        if name and source.is_file() and not source.is_symlink():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    commit_all(clone, "a clone of paved")
    [set_up] = blocks("Set up and run")
    first_use = blocks("Use")[0].splitlines()[0].split("#")[0].strip()
    path = os.pathsep.join(part for part in os.environ["PATH"].split(os.pathsep)
                           if not (Path(part) / "paved").exists())
    env = {**os.environ, "PATH": path, "PIP_CACHE_DIR": str(PIP_CACHE),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(["bash", "-e", "-c", f"{set_up}\n{first_use}\n"], cwd=clone,
                          env=env, capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "python-service" in done.stdout  # `paved list`, found on PATH
    service = tmp_path / "payments-api"
    assert (service / ".paved.yml").is_file()
    assert git(service, "log", "--format=%s").count("\n") == 1  # one commit
    assert git(clone, "status", "--porcelain") == ""  # nothing rendered inside the clone
