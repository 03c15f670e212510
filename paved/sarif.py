"""Findings as SARIF 2.1.0, the format code-scanning services read, for lint and check.

See https://docs.oasis-open.org/sarif/sarif/v2.1.0/ and GitHub's subset:
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import paved

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS = "https://github.com/paved-dev/paved/blob/main/docs/"
INFORMATION_URI = DOCS + "commands.md"
#: The key of paved's own fingerprint (SARIF §3.27.17: "name/vN"): rule, file, message and
#: the how-manieth such finding it is, never the line, so an alert survives edits above it.
FINGERPRINT = "pavedFinding/v1"


@dataclass(frozen=True)
class Rule:
    id: str
    short: str  # one line
    level: str  # "error", "warning" or "note"
    full: str = ""
    help: str = ""
    help_uri: str = ""  # the rule's documentation
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Location:
    uri: str  # relative to the scanned root
    line: int | None = None
    message: str = ""


@dataclass(frozen=True)
class Result:
    """One finding at one place (SARIF §3.27.12: several locations would mean one problem
    seen in several places at once, and GitHub shows only the first)."""
    rule_id: str
    level: str
    message: str
    location: Location | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """Something the tool says about its own run (a rule it could not evaluate, a file it
    did not read): `invocations[].toolExecutionNotifications`, not an alert."""
    message: str
    level: str  # "error", "warning" or "note"
    rule_id: str | None = None
    locations: Sequence[Location] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)


def document(rules: Sequence[Rule], results: Sequence[Result], *,
             base_uri: str | None = None, notifications: Sequence[Notification] = (),
             properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One SARIF run of paved. With `base_uri`, locations resolve against it (SRCROOT);
    without, code scanning resolves them against the repository root. `notifications`
    go into the run's one invocation, `properties` into the run's property bag."""
    index = {rule.id: position for position, rule in enumerate(rules)}
    relative = base_uri is not None
    driver = {"name": "paved", "version": paved.__version__,
              "informationUri": INFORMATION_URI,
              "rules": [_rule(rule) for rule in rules]}
    seen: dict[tuple[str, ...], int] = {}
    run: dict[str, Any] = {"tool": {"driver": driver},
                           "results": [_result(result, index, relative, seen)
                                       for result in results]}
    if notifications:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [
            _notification(item, index, relative) for item in notifications]}]
    if base_uri is not None:
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": base_uri}}
    if properties:
        run["properties"] = dict(properties)
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _result(result: Result, index: Mapping[str, int], relative: bool,
            seen: dict[tuple[str, ...], int]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "ruleId": result.rule_id, "ruleIndex": index[result.rule_id], "level": result.level,
        "message": {"text": result.message}}
    if result.location is not None:
        described["locations"] = [_location(result.location, relative)]
    described["partialFingerprints"] = {FINGERPRINT: fingerprint(result, seen)}
    if result.properties:
        described["properties"] = dict(result.properties)
    return described


def fingerprint(result: Result, seen: dict[tuple[str, ...], int]) -> str:
    """A stable identity for `result` across runs: its rule, file, message and properties
    (the service in a monorepo), and how many equal findings came before it in this run."""
    where = result.location.uri if result.location else ""
    key = (result.rule_id, where, result.message,
           *(f"{name}={value}" for name, value in sorted(result.properties.items())))
    seen[key] = seen.get(key, 0) + 1
    text = "\x00".join((*key, str(seen[key])))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _notification(item: Notification, index: Mapping[str, int],
                  relative: bool) -> dict[str, Any]:
    described: dict[str, Any] = {"level": item.level, "message": {"text": item.message}}
    if item.rule_id is not None:
        described["associatedRule"] = {"id": item.rule_id, "index": index[item.rule_id]}
    if item.locations:
        described["locations"] = [_location(location, relative) for location in item.locations]
    if item.properties:
        described["properties"] = dict(item.properties)
    return described


def _rule(rule: Rule) -> dict[str, Any]:
    described: dict[str, Any] = {"id": rule.id, "name": rule.id.replace("/", "-"),
                                 "shortDescription": {"text": rule.short},
                                 "defaultConfiguration": {"level": rule.level}}
    if rule.full:
        described["fullDescription"] = {"text": rule.full}
    if rule.help:
        described["help"] = {"text": rule.help, "markdown": rule.help}
    if rule.help_uri:
        described["helpUri"] = rule.help_uri
    if rule.properties:
        described["properties"] = dict(rule.properties)
    return described


def _location(location: Location, relative_to_base: bool) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": location.uri}
    if relative_to_base:
        artifact["uriBaseId"] = "SRCROOT"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if location.line:
        physical["region"] = {"startLine": location.line}
    described: dict[str, Any] = {"physicalLocation": physical}
    if location.message:
        described["message"] = {"text": location.message}
    return described
