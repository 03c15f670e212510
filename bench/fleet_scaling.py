"""Fleet update of N repos with --jobs 1 and --jobs 2: total time and time per repo.

Builds N services with `paved new service` from a git copy of the bundled
catalog at v0.1.0, gives each a bare remote, releases v0.2.0 (one template
change), then times `paved fleet update --from repos.txt --jobs J` (no push, so
every run does the same work), alternating J=1 and J=2 after a warm-up. With
`--cold` each run starts without workspace clones (clone cost included).

    .venv/bin/python bench/fleet_scaling.py 10 50 [--runs 3] [--cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixtures import commit_and_tag, git, paved_catalog

PAVED = str(Path(sys.executable).with_name("paved"))


def build(root: Path, count: int, env: dict[str, str]) -> Path:
    catalog = paved_catalog(root / "catalog")
    checkouts, remotes = root / "checkouts", root / "remotes"
    checkouts.mkdir()
    remotes.mkdir()
    for index in range(count):
        name = f"svc{index:03d}"
        subprocess.run([PAVED, "new", "service", name, "--dest", str(checkouts / name),
                        "--catalog", str(catalog), "--defaults", "--data", "owner=team-x"],
                       check=True, capture_output=True, env=env)
        git(checkouts, "clone", "--quiet", "--bare", name, str(remotes / f"{name}.git"))
    readme = next(catalog.rglob("README.md*"))
    readme.write_text(readme.read_text() + "\nA template change.\n")
    commit_and_tag(catalog, "v0.2.0")
    listed = root / "repos.txt"
    listed.write_text("".join(f"remotes/svc{index:03d}.git\n" for index in range(count)))
    return listed


def timed(listed: Path, jobs: int, env: dict[str, str], cold: bool) -> float:
    if cold:
        shutil.rmtree(Path(env["PAVED_CACHE_DIR"]) / "workspaces", ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([PAVED, "fleet", "update", "--from", str(listed), "--jobs", str(jobs)],
                          capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or "updated." not in done.stdout:
        raise SystemExit(f"fleet update failed: {done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    print("| repos | jobs 1 (s) | jobs 2 (s) | per repo, jobs 1 (s) | speed-up |")
    print("|---|---|---|---|---|")
    for count in args.sizes:
        with tempfile.TemporaryDirectory(prefix="paved-fleet-bench-") as scratch:
            root = Path(scratch)
            home = root / "home"
            home.mkdir()
            (home / ".gitconfig").write_text("[user]\n\tname = bench\n\temail = b@localhost\n"
                                             "[init]\n\tdefaultBranch = main\n")
            env = {**os.environ, "HOME": str(home), "PAVED_CACHE_DIR": str(home / "cache"),
                   "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
            listed = build(root, count, env)
            timed(listed, 1, env, args.cold)  # warm-up: clones, catalog tree, caches
            one, two = [], []
            for _ in range(args.runs):
                one.append(timed(listed, 1, env, args.cold))
                two.append(timed(listed, 2, env, args.cold))
            m1, m2 = statistics.median(one), statistics.median(two)
            print(f"| {count} | {m1:.2f} ({min(one):.2f}-{max(one):.2f}) | {m2:.2f} "
                  f"({min(two):.2f}-{max(two):.2f}) | {m1 / count:.3f} | {m1 / m2:.2f}x |",
                  flush=True)


if __name__ == "__main__":
    main()
