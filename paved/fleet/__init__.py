"""`paved fleet`: status, update and check across many generated repos.

    sources.py     where repos come from (file, directory, github:ORG, gitlab:GROUP)
    workspace.py   a cached clone per repo, reset to the remote on every reuse
    runner.py      runs one function per repo, in-process (`--jobs 1`) or in processes
    update.py      `fleet_update`: per repo, `paved update` on `paved/update`
    status.py      `fleet_status`: per repo, `paved status`, its pull request, adoption
    check.py       `fleet_check`: per repo, `paved check` + failing-rule totals
    proposal.py    the pull request's title, body and CODEOWNERS reviewers
    publishers.py  how a change leaves the workspace (pushed branch, pull/merge request)
    hosting.py     what GitHub and GitLab share; hosts.py connects; github.py, gitlab.py
    report.py      the self-contained HTML report (report.html.j2); formats.py the text

Every per-repo function catches its repo's errors into its result, so one
repo never stops the rest. See docs/fleet.md.
"""
