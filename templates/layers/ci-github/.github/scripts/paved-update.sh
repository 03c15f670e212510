#!/usr/bin/env bash
# The steps of .github/workflows/paved-update.yml (the distributed path of a
# paved fleet update), kept here so that shellcheck reads them.
#   status   sets the step output `branch` when the catalog has a newer version
#            and no paved/update-<version> branch exists yet; prints why not otherwise
#   update   runs paved update on that branch (conflicts: exit 3, the run fails)
#   propose  pushes the branch and opens the pull request (needs GH_TOKEN)
set -euo pipefail

status() {
  local report="${RUNNER_TEMP:-/tmp}/paved-status.json" code=0
  paved status --check --json > "$report" || code=$?
  # 0: current; 5: behind the catalog or managed files drifted; anything else failed.
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then
    exit "$code"
  fi
  local behind latest
  read -r behind latest < <(python3 -c 'import json, sys
status = json.load(open(sys.argv[1]))
print(str(status["behind_by"] > 0).lower(), status["latest_version"])' "$report")
  if [ "$behind" != "true" ]; then
    echo "Up to date with the catalog: nothing to do."
    return
  fi
  local branch="paved/update-$latest"
  if git rev-parse --verify --quiet "refs/remotes/origin/$branch" > /dev/null; then
    echo "$branch already exists: its pull request awaits review."
    return
  fi
  echo "Catalog v$latest is out: updating on $branch."
  echo "branch=$branch" >> "${GITHUB_OUTPUT:-/dev/stdout}"
}

update() {
  : "${BRANCH:?BRANCH is set by the status step}"
  git config user.name "github-actions[bot]"
  git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
  paved update --branch "$BRANCH"
}

propose() {
  : "${BRANCH:?BRANCH is set by the status step}"
  : "${GH_TOKEN:?GH_TOKEN pushes the branch and opens the pull request}"
  # The token goes to this one git command as a header, never into .git/config.
  local basic
  basic="$(printf 'x-access-token:%s' "$GH_TOKEN" | base64 --wrap=0)"
  git -c "http.extraheader=AUTHORIZATION: basic $basic" push --quiet origin \
    "refs/heads/$BRANCH:refs/heads/$BRANCH"
  local body="${RUNNER_TEMP:-/tmp}/paved-pull-request.md"
  git log -1 --format=%b > "$body"
  gh pr create --base "${BASE_BRANCH:?}" --head "$BRANCH" \
    --title "$(git log -1 --format=%s)" --body-file "$body"
}

case "${1:-}" in
  status | update | propose) "$1" ;;
  *)
    echo "usage: $0 status|update|propose" >&2
    exit 2
    ;;
esac
