"""The Chaos Toolkit control of chaos/experiment.json: a probe that exits non-zero is a
rejected hypothesis, and a rejected hypothesis fails the experiment.

The probes are node scripts (src/platform/chaos/probes.ts, Chaos Toolkit's process
provider): each prints `{"figure": "..."}` and exits 1 when its measurement breaks the
hypothesis. Chaos Toolkit records a process's exit status without judging it, and judges
only the steady-state hypothesis; controls are its way to add judgement, and they are
written in Python, the language Chaos Toolkit runs in. So:

- `after_activity_control` records a probe of the method or the rollbacks that exited
  non-zero as failed, with its figure as the exception (as python-service's probes raise
  HypothesisRejected);
- `after_experiment_control` makes the experiment fail when one did, or when the steady
  state was not met before the method (python-service's control does the same).

`paved check --evidence` and `make chaos` then read the journal alike for both golden paths.
"""

from __future__ import annotations

import json
from typing import Any

REJECTED = "HypothesisRejected"


def _figure(output: dict[str, Any]) -> str:
    try:
        return str(json.loads(output.get("stdout") or "")["figure"])
    except (ValueError, KeyError, TypeError):
        lines = str(output.get("stderr") or "").strip().splitlines()
        return lines[-1] if lines else f"exit status {output.get('status')}"


def after_activity_control(context: dict[str, Any], state: dict[str, Any], **kwargs: Any) -> None:
    """A probe of the method or the rollbacks (no tolerance) that exited non-zero failed."""
    output = state.get("output") if isinstance(state, dict) else None
    if context.get("type") != "probe" or "tolerance" in context or not isinstance(output, dict):
        return
    if state.get("status") == "succeeded" and output.get("status") != 0:
        state["status"] = "failed"
        state["exception"] = [f"{REJECTED}: {_figure(output)}\n"]


def after_experiment_control(context: Any, state: dict[str, Any], **kwargs: Any) -> None:
    """A failed probe in the method or the rollbacks fails the experiment (Chaos Toolkit
    itself judges only the steady-state hypothesis)."""
    runs = [*(state.get("run") or []), *(state.get("rollbacks") or [])]
    before = (state.get("steady_states") or {}).get("before") or {}
    # Chaos Toolkit says "completed" when the steady state was not met before the method (which
    # then never ran): no hypothesis was tested, so the experiment did not pass either.
    unmet = before.get("steady_state_met") is False
    if state.get("status") == "completed" and (unmet or any(run.get("status") == "failed" for run in runs)):
        state["status"] = "failed"
