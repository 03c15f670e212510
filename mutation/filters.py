"""Which of cosmic-ray's mutants run, and what their results add up to.

Left out before anything runs (marked skipped in the session):
- mutants inside type annotations: paved's modules use `from __future__ import
  annotations`, so an annotation is never evaluated and `A | None` -> `A & None`
  cannot change behaviour;
- all replacements of a binary operator but its natural opposite (`+` -> `-`,
  `*` -> `/`, `|` -> `&`, ...): cosmic-ray tries every operator for every
  operator, ten mutants a site that die together;
- lines marked `# pragma: no mutate` (none so far);
- with `--sample N`, all but N mutants drawn with a seeded random generator.

Mutants that survive but cannot change behaviour are listed in `EQUIVALENT`
with the reason (docs/testing.md repeats them); they leave the score's
denominator.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Iterable
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

OPPOSITE = {
    "Add": "Sub", "Sub": "Add", "Mul": "Div", "Div": "Mul", "FloorDiv": "Div",
    "Mod": "FloorDiv", "Pow": "Mul", "LShift": "RShift", "RShift": "LShift",
    "BitOr": "BitAnd", "BitAnd": "BitOr", "BitXor": "BitOr",
}

#: module -> {(operator, the mutated line as the diff shows it, stripped): why equivalent}
_MOVED_EDITED = ("a path the template moved away, still in the repo and gone from the new "
                 "render, is removed whether or not the team edited it (`_decide` removes "
                 "it too when unchanged): `b != o` only names the case")
_ONE = ("`_renames` keeps only groups of exactly one path, so index 0 and -1 are the same "
        "element and a length is never below 1")
_BREAKER = "src/payments_api/platform/breaker.py"  # in the render (mutation/service.py)
_GENERATION = ("generations are only compared for equality, with permits issued later: "
               "any start and any step keep them apart")
_SET_BY_MOVE = ("read only while open or half-open, which `_move` enters, setting it first")
_UP_TO_PROBES = ("the count grows by one from 0 and stops at `probes` (a new round or a "
                 "verdict resets it), so it reaches `probes` exactly")
_SMALL_INTS = "; CPython caches ints up to 256, and `probes` is 3 by default"
_BUDGET = "src/payments_api/platform/budget.py"
_WINDOW = "src/payments_api/platform/window.py"
_LOGS = "src/payments_api/platform/logs.py"
_UNUSED = ("a stamp older than the window marks a bucket stale: -2, 0 and 1 are, like -1, "
           "for any clock past the window's first buckets (time.monotonic counts from boot; "
           "the tests' clock starts at 1000)")
_SELF_ONLY = ("`*` -> `/` makes `self` alone positional-only; every caller passes the rest "
              "by keyword, as before")
_FIRST_BRANCH = ("with no retry in use and `ratio * calls` of 1 or more, the first branch "
                 "(`in_use + 1 <= earned`) has already paid: the reserve's test only decides "
                 "below 1")
_RESERVE = ("elif in_use == 0 and earned + _SLACK < 1 and not state.holds_reserve and "
            "self._free_reserve > 0:")


def _reserve(old: str, new: str) -> str:
    """budget.py's test for a reserve retry, with `old` replaced by `new`."""
    return _RESERVE.replace(old, new, 1)


_PASSED = "the one caller (paved/fleet/update.py) always passes it: the default is never used"
_FROZEN = ("no code assigns to its fields or hashes one: `frozen` only guards against a "
           "programming error")
_KEYWORD = "`*` -> `/`: every caller passes the parameters after it by keyword, as before"
_UNREAD_STATE = ("the state `propose` returns is never read: `publishers.py` takes the "
                 "proposal's URL, whether it was created and the notes; `paved fleet status` "
                 "asks `latest`")
_MODES = ("an entry's mode is 100644, 100755 or 120000 (a render has no submodules, 160000): "
          "nothing sorts above 120000")
_FIRST_PART = "only the first part is kept: how often the rest is split does not change it"
_PAGE = "the host serves at most 100 items a page whatever `per_page` asks (as the fakes do)"
EQUIVALENT: dict[str, dict[tuple[str, str], str]] = {
    "paved/update/merge.py": {
        ("core/ReplaceBinaryOperator_Mul_Div",
         "def plan(repo: Repository, base: Snapshot, ours: Snapshot, theirs: Snapshot, /,"):
            "`*` -> `/` makes the first four parameters positional-only; every caller "
            "passes them by position and the rest by keyword, as before",
        ("core/ReplaceBinaryOperator_BitOr_BitAnd",
         "for path in sorted(set(base.entries) & set(ours.entries) | set(theirs.entries)):"):
            "paths left out (only in the base or only in the repo, not in the new render) "
            "are ones the template did not change: `_decide` returns None for them",
        ("core/ReplaceComparisonOperator_NotEq_Gt",
         "if path in moved.values() and o is not None and t is None and b > o \\"):
            _MOVED_EDITED,
        ("core/ReplaceComparisonOperator_NotEq_GtE",
         "if path in moved.values() and o is not None and t is None and b >= o \\"):
            _MOVED_EDITED,
        ("core/ReplaceComparisonOperator_NotEq_IsNot",
         "if path in moved.values() and o is not None and t is None and b is not o \\"):
            _MOVED_EDITED,
        ("core/NumberReplacer", "return {paths[ -1]: gone[entry][0] for entry, paths in "
                                "came.items()"): _ONE,
        ("core/NumberReplacer", "return {paths[0]: gone[entry][ -1] for entry, paths in "
                                "came.items()"): _ONE,
        ("core/ReplaceComparisonOperator_Eq_LtE",
         "if len(paths) <= 1 and len(gone.get(entry, ())) == 1}"): _ONE,
        ("core/ReplaceAndWithOr", "assert o is not None or t is not None"):
            "an assertion for the type checker: both sides are present whenever `_decide` "
            "says MERGED",
        ("core/ReplaceTrueWithFalse",
         'for name, text in zip(("ours", "base", "theirs"), texts, strict=False):'):
            "both sequences have three items",
    },
    "paved/check/isolation.py": {
        ("core/ReplaceFalseWithTrue",
         "return value is True or (value is not True and value == 1)"):
            "`False == 1` is false already: `value is not False` never decides, and "
            "`value is not True` only after `value is True` failed",
    },
    _BREAKER: {
        ("core/ReplaceBinaryOperator_Mul_Div", "/,"): _SELF_ONLY,
        ("core/NumberReplacer", "self._generation = 1"): _GENERATION,
        ("core/NumberReplacer", "self._generation = -1"): _GENERATION,
        ("core/NumberReplacer", "self._generation += 2"): _GENERATION,
        ("core/ReplaceComparisonOperator_NotEq_Lt",
         "if permit.generation < self._generation:"):
            "generations only grow: a permit's is never above the breaker's",
        ("core/NumberReplacer", "self._changed_at = -1.0"): _SET_BY_MOVE,
        ("core/NumberReplacer", "self._changed_at = 1.0"): _SET_BY_MOVE,
        ("core/NumberReplacer", "self._probes_started = -1"): _SET_BY_MOVE,
        ("core/ReplaceComparisonOperator_NotEq_IsNot",
         "if permit.generation is not self._generation:"):
            "a permit carries the very int object of its generation, and the breaker's only "
            "grows (rebinding a new object): identity and equality agree",
        ("core/NumberReplacer", "self._probes_started = 1"): _SET_BY_MOVE,
        ("core/NumberReplacer", "self._probes_succeeded = 1"): _SET_BY_MOVE,
        ("core/NumberReplacer", "self._probes_succeeded = -1"): _SET_BY_MOVE,
        ("core/ReplaceComparisonOperator_Is_GtE", "if self._state >= State.HALF_OPEN:"):
            "HALF_OPEN is the largest State: `>=` holds for it alone",
        ("core/ReplaceComparisonOperator_GtE_Eq",
         "if self._probes_started == self._probes:"): _UP_TO_PROBES,
        ("core/ReplaceComparisonOperator_GtE_Is",
         "if self._probes_started is self._probes:"): _UP_TO_PROBES + _SMALL_INTS,
        ("core/ReplaceComparisonOperator_GtE_Eq",
         "if self._probes_succeeded == self._probes:"): _UP_TO_PROBES,
        ("core/ReplaceComparisonOperator_GtE_Is",
         "if self._probes_succeeded is self._probes:"): _UP_TO_PROBES + _SMALL_INTS,
    },
    _BUDGET: {
        ("core/ReplaceBinaryOperator_Mul_Div", "/,"): _SELF_ONLY,
        ("core/ReplaceComparisonOperator_LtE_Lt", "if in_use + 1 < earned + _SLACK:"):
            "with the slack added, `<=` and `<` differ only if `ratio * calls` falls within "
            "float rounding of a whole number minus 1e-9",
        ("core/ReplaceBinaryOperator_Add_Sub", _reserve('earned + _SLACK', 'earned - _SLACK')):
            _FIRST_BRANCH,
        ("core/ReplaceComparisonOperator_Lt_NotEq", _reserve('_SLACK < 1', '_SLACK != 1')):
            _FIRST_BRANCH,
        ("core/NumberReplacer", _reserve('_SLACK < 1', '_SLACK < 2')): _FIRST_BRANCH,
        ("core/ReplaceComparisonOperator_Lt_LtE", _reserve('_SLACK < 1', '_SLACK <= 1')):
            "`ratio * calls + 1e-9` is exactly 1 only within float rounding",
        ("core/ReplaceComparisonOperator_Eq_LtE", _reserve('in_use == 0', 'in_use <= 0')):
            "retries in use are never negative",
        ("core/ReplaceComparisonOperator_Gt_NotEq",
         _reserve('self._free_reserve > 0', 'self._free_reserve != 0')):
            "the free reserve is never negative",
    },
    "paved/config.py": {
        ("core/ReplaceComparisonOperator_NotEq_IsNot",
         'if prefix and trusted[:-1].endswith("/") and listed is not "/":'):
            "CPython shares one-character strings: the root `/` is always the same object",
    },
    "paved/locks.py": {
        ("core/ReplaceTrueWithFalse", "@dataclass(frozen=False)"): _FROZEN,
        ("core/ReplaceBinaryOperator_Mul_Div",
         "def held(path: Path, /, block: bool = False) -> Iterator[Lock]:"): _KEYWORD,
    },
    "paved/update/worktree.py": {
        ("core/ReplaceComparisonOperator_Eq_GtE", 'if mode >= "120000":'): _MODES,
        ("core/ReplaceComparisonOperator_Eq_GtE", 'if mode >= "100755":'):
            "links have returned before: the mode is 100644 or 100755 here, and only 100755 "
            "sorts at or above 100755",
        ("core/ReplaceBinaryOperator_Mul_Div",
         "def _make_folders(root: Path, name: str, /, create: bool) -> None:"): _KEYWORD,
        ("core/NumberReplacer", "current = os.umask( 1)"):
            "the umask is read by setting it and setting it back at once: the value set in "
            "between is never used",
    },
    "paved/fleet/proposal.py": {
        ("core/ReplaceTrueWithFalse", "@dataclass(frozen=False)"): _FROZEN,
        ("core/NumberReplacer", 'words = line.split("#", 2)[0].split()'): _FIRST_PART,
    },
    "paved/check/rollback.py": {
        ("core/NumberReplacer",
         'Evidence(workflow.path, yaml.line_of(workflow.data, "jobs") or 2,'):
            "a workflow is read from text, so `line_of` always answers (a missing key gives "
            "the mapping's own line, 1): the fallback is never used",
        ("core/ReplaceUnaryOperator_USub_UAdd",
         'stem = workflow.path.rsplit("/", 1)[+1].rsplit(".", 1)[0]'):
            "a workflow's path always has a folder (.github/workflows/): `rsplit('/', 1)` "
            "gives two parts, so [1] is [-1]",
        ("core/NumberReplacer", 'name = image.split("@", 2)[0]'): _FIRST_PART,
        ("core/NumberReplacer",
         'return name[: len(name) - len(last)] + last.split(":", 2)[0]'): _FIRST_PART,
    },
    "paved/check/security.py": {
        ("core/ReplaceComparisonOperator_Gt_NotEq",
         'elif words[0].upper() == "USER" and len(words) != 1:'):
            "blank lines are skipped before: `words` is never empty, so `!= 1` and `> 1` agree",
        ("core/ReplaceComparisonOperator_Eq_GtE", 'return permissions >= "write-all"'):
            "GitHub accepts only `read-all` and `write-all` as a permissions string (it refuses "
            "the workflow otherwise), and `read-all` sorts below `write-all`",
        ("core/ReplaceComparisonOperator_Eq_GtE",
         'str(value) >= "write" for value in permissions.values())'):
            "GitHub accepts only `read`, `write` and `none` as a permission's value, and only "
            "`write` sorts at or above `write`",
        ("core/ReplaceBinaryOperator_Mul_Div",
         "def _zizmor(repo: Repo, audits: frozenset[str], /, ok: str, bad: str) -> Outcome | "
         "None:"): _KEYWORD,
    },
    "paved/check/observability.py": {
        ("core/NumberReplacer",
         'message = "found" if lines else f"{calls[ -1].name}() application"'):
            "`_where`'s message is never shown: both callers keep only its path and line",
        ("core/ReplaceComparisonOperator_Eq_Is",
         "if path is None or any(path is route or path.endswith(route) for route in served):"):
            "`path.endswith(route)` holds whenever `path == route`",
    },
    "paved/fleet/gitlab.py": {
        ("core/AddNot", "return Proposed(_proposal(found, State.DRAFT if not request.draft "
                        "else State.OPEN),"): _UNREAD_STATE,
        ("core/NumberReplacer", "self.client = gitlab.Gitlab(url, private_token=token, "
                                "timeout=30, per_page= 101,"): _PAGE,
    },
    "paved/fleet/github.py": {
        ("core/AddNot", "return Proposed(_proposal(pull, State.DRAFT if not pull.draft else "
                        "State.OPEN),"): _UNREAD_STATE,
        ("core/NumberReplacer", "timeout=30, per_page= 101, seconds_between_requests=PACING[0],"):
            _PAGE,
        ("core/NumberReplacer", "inner = error.args[ -1] if error.args else None"):
            "requests raises its ConnectionError with one argument, urllib3's error "
            "(`ConnectionError(e, request=request)`): the first is the last",
    },
    _WINDOW: {
        ("core/ReplaceComparisonOperator_NotEq_Lt", "if self._stamps[slot] < index:"):
            "the clock is monotonic: a slot's stamp is never above the index being added to",
        ("core/ReplaceTrueWithFalse",
         "for stamp, counts in zip(self._stamps, self._counts, strict=False):"):
            "both lists have one item per bucket",
    },
    _LOGS: {
        ("core/ReplaceTrueWithFalse", '_SECRET_NAMES = "|".join(sorted((re.escape(key) for key '
                                      'in SECRET_KEYS), key=len, reverse=False))'):
            "no secret name is a prefix of another, so the order of the alternatives never "
            "decides a match",
        ("core/ReplaceTrueWithFalse", "cache_logger_on_first_use=False,"):
            "structlog's cache only saves rebuilding the logger: the output is the same",
    },
    "paved/fleet/publishers.py": {
        ("core/ReplaceFalseWithTrue", "auto_merge: bool = True"): _PASSED,
        ("core/ReplaceFalseWithTrue",
         "draft: bool = True  # conflicts committed with their markers"): _PASSED,
    },
    "src/payments_api/platform/client.py": {
        ("core/ReplaceComparisonOperator_Eq_LtE",
         "idle = oldest.in_flight <= 0 and now - oldest.last_used > "
         "s.outbound_host_idle_seconds"): "calls in flight are never negative",
        ("core/ReplaceComparisonOperator_Eq_GtE",
         'port = target.port or (443 if target.scheme >= "https" else 80)'):
            "httpx sends only http and https, and \"http\" sorts before \"https\"",
        ("core/ReplaceComparisonOperator_GtE_Eq",
         "if deadline_bound and (not connecting or connect == timeout):"):
            "`connect` is `min(connect timeout, timeout)`: never above `timeout`",
        ("core/ReplaceComparisonOperator_LtE_Lt",
         "return wait if wait + s.outbound_retry_min_remaining_ms / 1000 < room else None"):
            "the time left on a monotonic clock equals the wait plus the minimum only within "
            "float rounding",
    },
    "paved/update/journal.py": {
        ("core/ReplaceTrueWithFalse", "@dataclass(frozen=False)"): _FROZEN,
        ("core/ReplaceComparisonOperator_Eq_GtE",
         "if before != after and repo.index_digest(index) >= after:"):
            "when a rollback runs the index holds what it held before or after the update "
            "(`_built_on` refuses otherwise; during the step paved holds index.lock), and the "
            "backup restored over an index that holds `before` holds `before` too (`before` "
            "is None only in a repo without an index, where git lists every file as deleted "
            "and paved refuses to start)",
        ("core/NumberReplacer",
         "_write_atomically(folder / JOURNAL, json.dumps(journal, indent= 0).encode())"):
            "only paved reads the journal back (json.loads): its indentation means nothing",
    },
    "paved/check/currency.py": {
        ("core/NumberReplacer",
         'line = yaml.line_of(documents[ -1], "version") if documents else None'):
            "`.paved.yml` holds one YAML document (paved.project reads it so), so the first "
            "is the last",
    },
}


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans = []

    def add(node: ast.AST | None) -> None:
        if node is not None:
            spans.append(((node.lineno, node.col_offset),  # type: ignore[attr-defined]
                          (node.end_lineno, node.end_col_offset)))  # type: ignore[attr-defined]

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            add(node.returns)
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                        arguments.vararg, arguments.kwarg):
                if arg is not None:
                    add(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            add(node.annotation)
    return spans


def _wanted(operator: str) -> bool:
    prefix = "core/ReplaceBinaryOperator_"
    if not operator.startswith(prefix):
        return True
    source, target = operator[len(prefix):].split("_")
    return OPPOSITE.get(source) == target


def apply(session: Path, module: Path, *, sample: int | None, seed: int) -> int:
    """Mark the mutants left out as skipped; the number that will run."""
    source = module.read_text()
    spans = _annotation_spans(source)
    pragma = {n for n, line in enumerate(source.splitlines(), 1) if "pragma: no mutate" in line}
    skipped = WorkResult(output="left out by mutation/filters.py",
                         worker_outcome=WorkerOutcome.SKIPPED)
    with use_db(str(session), WorkDB.Mode.open) as db:
        kept: dict[tuple[object, ...], str] = {}
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            start = tuple(mutation.start_pos)
            if (not _wanted(mutation.operator_name) or start[0] in pragma
                    or any(low <= start < high for low, high in spans)):
                db.set_result(item.job_id, skipped)
            else:
                kept[(start, mutation.operator_name, mutation.occurrence)] = item.job_id
        if sample is not None and sample < len(kept):
            # Drawn by place and operator (job ids are random): the same code and seed
            # give the same mutants.
            chosen = set(random.Random(seed).sample(sorted(kept), sample))
            for key, job_id in kept.items():
                if key not in chosen:
                    db.set_result(job_id, skipped)
            return sample
        return len(kept)


#: `x is State.OPEN` -> `x == State.OPEN` (and `is not` -> `!=`): members of an Enum
#: without its own `__eq__` (none of ours has one) are singletons, so both agree.
_ENUM_MEMBER = re.compile(r"(==|!=) [A-Z][A-Za-z]*\.[A-Z][A-Z_]*\b")
_ENUM_REASON = "enum members are singletons: `==` and `is` (`!=` and `is not`) agree"


#: module -> [(pattern the mutated line matches, why equivalent)]: one reason, many mutants.
EQUIVALENT_LINES: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "src/payments_api/platform/window.py": [
        (re.compile(r"^self\._stamps = \[.*\] \* (buckets|self\._size)$"), _UNUSED),
        (re.compile(r"^self\._counts = \[\[ ?-?1\] \* kinds for _ in range\(buckets\)\]$"),
         "a bucket's counts are read or added to only once its stamp is a real index, and "
         "`add` resets them then: their first value is never seen"),
    ],
}


def equivalence(module: str, operator: str, diff: str) -> str | None:
    """Why the mutant in `diff` cannot change behaviour, if it cannot."""
    line = _mutated_line(diff)
    for pattern, reason in EQUIVALENT_LINES.get(module, []):
        if pattern.search(line):
            return reason
    if operator in ("core/ReplaceComparisonOperator_Is_Eq",
                    "core/ReplaceComparisonOperator_IsNot_NotEq") and _ENUM_MEMBER.search(line):
        return _ENUM_REASON
    return EQUIVALENT.get(module, {}).get((operator, line))


def reclassify(summary: dict[str, object]) -> dict[str, object]:
    """`summary` (a results file) with survivors found equivalent since moved over."""
    survivors, equivalent = [], list(summary["equivalents"])  # type: ignore[call-overload]
    for entry in summary["survivors"]:  # type: ignore[attr-defined]
        reason = equivalence(str(summary["module"]), entry["operator"], entry["diff"])
        if reason:
            equivalent.append({**entry, "reason": reason})
        else:
            survivors.append(entry)
    killed = int(summary["killed"])  # type: ignore[call-overload]
    scored = killed + len(survivors)
    return {**summary, "survived": len(survivors), "equivalent": len(equivalent),
            "score": round(100 * killed / scored, 1) if scored else 100.0,
            "survivors": survivors, "equivalents": equivalent}


def _mutated_line(diff: str) -> str:
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()
    return ""


def summarise(session: Path, module: str, tests: Iterable[str], kept: int) -> dict[str, object]:
    killed = incompetent = 0
    survivors: list[dict[str, object]] = []
    equivalent: list[dict[str, object]] = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome is WorkerOutcome.SKIPPED:
                continue
            if result.test_outcome is TestOutcome.KILLED:
                killed += 1
                continue
            if result.test_outcome is TestOutcome.INCOMPETENT:
                incompetent += 1
                continue
            mutation = item.mutations[0]
            entry = {"operator": mutation.operator_name, "line": mutation.start_pos[0],
                     "diff": result.diff}
            reason = equivalence(module, mutation.operator_name, result.diff)
            if reason:
                equivalent.append({**entry, "reason": reason})
            else:
                survivors.append(entry)
    scored = killed + len(survivors)
    return {"module": module, "tests": list(tests), "mutants": kept, "killed": killed,
            "survived": len(survivors), "equivalent": len(equivalent),
            "incompetent": incompetent,
            "score": round(100 * killed / scored, 1) if scored else 100.0,
            "survivors": sorted(survivors, key=lambda s: s["line"]),  # type: ignore[arg-type, return-value]
            "equivalents": equivalent}


def table(summaries: Iterable[dict[str, object]], *, runs: bool = False) -> str:
    """Markdown rows of the summaries; with `runs`, which run each was (docs/testing.md)."""
    head = "| module | mutants | killed | survived | equivalent | score |"
    rule = "|---|---:|---:|---:|---:|---:|"
    if runs:
        head, rule = head + " run |", rule + "---|"
    rows = [head, rule]
    for s in summaries:
        row = (f"| `{s['module']}` | {s['mutants']} | {s['killed']} | {s['survived']} "
               f"| {s['equivalent']} | {s['score']} % |")
        if runs:
            sample = (f"sample of {s['sample']}, seed {s['seed']}"
                      if s.get("sample") and s["sample"] == s["mutants"] else "all")
            note = f" ({s['note']})" if s.get("note") else ""
            row += f" {sample}, at {s.get('rev') or 'the working tree'}{note} |"
        rows.append(row)
    return "\n".join(rows)


def equivalents_table() -> str:
    """Markdown rows of `EQUIVALENT` (docs/testing.md's "Equivalent mutants")."""
    rows = ["| module | operator | mutated line | why it cannot change behaviour |",
            "|---|---|---|---|"]
    for module, entries in EQUIVALENT.items():
        for (operator, line), reason in entries.items():
            shown = operator.removeprefix("core/").removeprefix("ReplaceComparisonOperator_")
            shown = shown.removeprefix("ReplaceBinaryOperator_")
            rows.append(f"| `{module}` | {shown} | `{line.replace('|', chr(92) + '|')}` "
                        f"| {reason} |")
    return "\n".join(rows)
