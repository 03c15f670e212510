"""The fleet report: one self-contained HTML page a platform team can publish.

Inline CSS and an inline SVG bar chart of version adoption; no scripts, fonts
or images from elsewhere. Every value from a repo is HTML-escaped.
"""

from __future__ import annotations

from html import escape

from paved.fleet.check import FleetCheck
from paved.fleet.status import FleetStatus

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.behind{color:#a40}.error{color:#b00}
svg text{font:12px system-ui,sans-serif}
"""


def html(status: FleetStatus, *, check: FleetCheck | None = None, generated: str = "") -> str:
    scores = {repo.name: repo for repo in check.repos} if check else {}
    head = ["repo", "golden path", "applied", "latest", "behind by", "drifted files",
            "last update"] + (["check score", "failing rules"] if check else [])
    rows = []
    for repo in status.repos:
        if repo.error:
            cells = [_td(repo.name), f'<td class="error" colspan="{len(head) - 1}">'
                     f'{escape(repo.error)}</td>']
        else:
            behind = ' class="behind"' if repo.behind_by else ""
            cells = [_td(repo.name), _td(repo.golden_path), _td(f"v{repo.applied_version}"),
                     _td(f"v{repo.latest_version}"),
                     f"<td{behind}>{escape(str(repo.behind_by))}</td>",
                     _td(f"{repo.drifted} ({repo.managed_drift} managed)"),
                     _td((repo.last_update or "-")[:10])]
            if check:
                found = scores.get(repo.name)
                if found is None or found.error:
                    cells += [_td("-"), _td(found.error if found else "not checked")]
                else:
                    cells += [_td(found.score), _td(", ".join(found.failing) or "none")]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>paved fleet report</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>paved fleet report</h1>",
        f"<p>{len(status.repos)} repos{', generated ' + escape(generated) if generated else ''}"
        ".</p>",
        "<h2>Version adoption</h2>", chart(status),
        "<h2>Repos</h2>", "<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>", *rows, "</tbody></table>",
    ]
    if check and check.failing_rules:
        parts += ["<h2>Failing check rules</h2>", "<table><thead><tr><th>rule</th>"
                  "<th>repos</th></tr></thead><tbody>",
                  *(f"<tr>{_td(item.rule)}{_td(item.repos)}</tr>"
                    for item in check.failing_rules), "</tbody></table>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def chart(status: FleetStatus) -> str:
    """A horizontal bar per applied version, labelled with its repo count."""
    if not status.adoption:
        return "<p>No paved repos.</p>"
    bar, gap, label, width = 22, 6, 90, 400
    most = max(item.repos for item in status.adoption)
    height = len(status.adoption) * (bar + gap)
    shapes = []
    for index, item in enumerate(status.adoption):
        y = index * (bar + gap)
        length = max(1, round(width * item.repos / most))
        shapes.append(
            f'<text x="0" y="{y + 16}">v{escape(item.version)}</text>'
            f'<rect x="{label}" y="{y}" width="{length}" height="{bar}" fill="#4a7ebb">'
            f"<title>v{escape(item.version)}: {item.repos} repos</title></rect>"
            f'<text x="{label + length + 6}" y="{y + 16}">{item.repos}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label + width + 60}" '
            f'height="{height}" role="img" aria-label="repos per template version">'
            + "".join(shapes) + "</svg>")


def _td(value: object) -> str:
    return f"<td>{escape(str(value))}</td>"
