"""Run a chaos experiment against the service, all on 127.0.0.1:

    python -m <package>.platform.chaos [--experiment chaos/experiment.json]
        [--journal chaos/journal.json] [--set NAME=VALUE ...]

1. a stand-in for the dependency (testing.FakeDownstream) and, in front of it,
   the fault proxy (faults.py) with its control API;
2. the service itself, `python -m <package>` in a process of its own, with
   EXAMPLE_DOWNSTREAM_URL pointing at the proxy, the environment the experiment
   declares (its `service` extension: shorter periods so a run takes seconds)
   and `--set` on top (a test breaks a property this way: BREAKER_ENABLED=false);
3. `chaos run` (Chaos Toolkit) with `service_url` and `fault_proxy` given as
   configuration, writing the journal;
4. a verdict per hypothesis with its measured figure (verdicts.py); exit
   status 0 when the experiment passed, 1 when it did not.

The service's log and Chaos Toolkit's log go beside the journal (`*.log`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from ..faults import running_proxy
from ..testing import FakeDownstream, serve_in_thread
from .verdicts import Outcome, read_outcome, render

PACKAGE = __name__.split(".")[0]


def service_environment(experiment: Mapping[str, Any]) -> dict[str, str]:
    """The environment the experiment's `service` extension declares for the service."""
    for extension in experiment.get("extensions") or []:
        if extension.get("name") == "service":
            return {str(k): str(v) for k, v in (extension.get("environment") or {}).items()}
    return {}


def run_experiment(experiment: Path, journal: Path, overrides: Mapping[str, str] | None = None) -> Outcome:
    """Run `experiment` against a freshly started service; the journal is written to `journal`."""
    declared = json.loads(experiment.read_text())
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.unlink(missing_ok=True)
    with serve_in_thread(FakeDownstream(), lifespan="off") as dependency, running_proxy(dependency) as proxy:
        environment = {
            **service_environment(declared),
            **(overrides or {}),
            "EXAMPLE_DOWNSTREAM_URL": f"{proxy.url}/example",
        }
        with running_service(environment, journal.with_suffix(".service.log")) as service_url:
            command = [
                sys.executable, "-m", "chaostoolkit", "--no-version-check",
                "--log-file", str(journal.with_suffix(".chaostoolkit.log")), "--settings", os.devnull,
                "run", str(experiment), "--journal-path", str(journal),
                "--var", f"service_url={service_url}", "--var", f"fault_proxy={proxy.control_url}",
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
    if not journal.is_file():
        raise RuntimeError(f"chaos run wrote no journal:\n{done.stdout}{done.stderr}")
    return read_outcome(json.loads(journal.read_text()))


@contextmanager
def running_service(environment: Mapping[str, str], log: Path) -> Iterator[str]:
    """The service (`python -m <package>`) on a free loopback port; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **environment, "HOST": "127.0.0.1", "PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", PACKAGE], env=env, stdout=output, stderr=output)
        try:
            _wait_ready(url, process)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with status {process.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the service was not ready within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the chaos experiment against the service on 127.0.0.1.")
    parser.add_argument("--experiment", type=Path, default=Path("chaos/experiment.json"))
    parser.add_argument("--journal", type=Path, default=Path("chaos/journal.json"))
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a service setting for this run"
    )
    options = parser.parse_args()
    overrides = dict(item.partition("=")[::2] for item in options.set)
    try:
        outcome = run_experiment(options.experiment, options.journal, overrides)
    except (OSError, RuntimeError, ValueError) as error:
        print(f"chaos: {error}", file=sys.stderr)
        sys.exit(1)
    print(render(outcome, str(options.journal)))
    sys.exit(0 if outcome.passed else 1)
