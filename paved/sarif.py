"""Lint findings as SARIF 2.1.0, the format code-scanning services read.

See https://docs.oasis-open.org/sarif/sarif/v2.1.0/ and GitHub's subset:
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

from typing import Any

import paved
from paved.lint import RULES, LintResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/paved-dev/paved/blob/main/docs/commands.md"


def to_sarif(result: LintResult, *, uri_prefix: str = "") -> dict[str, Any]:
    """One run of paved over `result`; file URIs are `uri_prefix` + the catalog-relative path.

    Code scanning resolves URIs against the repository root, so a catalog kept in a
    subdirectory passes that subdirectory (with a trailing slash) as `uri_prefix`.
    """
    rule_ids = list(RULES)
    rules = [{"id": rule, "name": rule,
              "shortDescription": {"text": description},
              "defaultConfiguration": {"level": severity.value}}
             for rule, (severity, description) in RULES.items()]
    results = []
    for item in result.findings:
        region = {"startLine": item.line} if item.line else {}
        location: dict[str, Any] = {"artifactLocation": {"uri": uri_prefix + item.file}}
        if region:
            location["region"] = region
        results.append({"ruleId": item.rule, "ruleIndex": rule_ids.index(item.rule),
                        "level": item.severity.value, "message": {"text": item.message},
                        "locations": [{"physicalLocation": location}]})
    driver = {"name": "paved", "version": paved.__version__,
              "informationUri": INFORMATION_URI, "rules": rules}
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": results}]}
