"""`paved fleet`: status, update and check across many generated repos.

    sources.py     where repos come from (`--from FILE`, `--from DIR`); `select` picks some
    workspace.py   a cached clone per repo, reset to the remote on every reuse
    runner.py      runs one function per repo, in-process (`--jobs 1`) or in processes
    update.py      `fleet_update`: per repo, `paved update` on `paved/update-<version>`
    status.py      `fleet_status`: per repo, `paved status` + adoption totals
    check.py       `fleet_check`: per repo, `paved check` + failing-rule totals
    publishers.py  how a change leaves the workspace (pushed branch, GitHub pull request)
    report.py      the self-contained HTML report; formats.py the text tables

Every per-repo function catches its repo's errors into its result, so one
repo never stops the rest. See docs/fleet.md.
"""
