#!/usr/bin/env bash
# Gives kubectl credentials for the cluster of the job's GitHub environment
# with the job's OIDC token: no long-lived cluster secret is stored anywhere.
# Needs `permissions: id-token: write` and, as secrets of the GitHub
# environment, KUBE_SERVER (the API server URL) and KUBE_CA_DATA (its CA
# certificate, base64); KUBE_AUDIENCE defaults to "kubernetes". The cluster
# must trust https://token.actions.githubusercontent.com as an OIDC issuer
# (see deploy/README.md). The token lives a few minutes: call this again
# before a late step.
set -euo pipefail

: "${ACTIONS_ID_TOKEN_REQUEST_URL:?the job needs permissions: id-token: write}"
: "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:?the job needs permissions: id-token: write}"
: "${KUBE_SERVER:?set the KUBE_SERVER secret on this GitHub environment}"
: "${KUBE_CA_DATA:?set the KUBE_CA_DATA secret on this GitHub environment}"
audience="${KUBE_AUDIENCE:-kubernetes}"

token="$(curl --fail --silent --show-error --max-time 10 \
  --header "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
  "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=$audience" | jq --raw-output .value)"
[ -n "$token" ] && [ "$token" != null ] || { echo "kube-login: no OIDC token" >&2; exit 1; }
echo "::add-mask::$token"

ca="$(mktemp)"
printf '%s' "$KUBE_CA_DATA" | base64 --decode >"$ca"
kubectl config set-cluster deploy-target --server "$KUBE_SERVER" \
  --certificate-authority "$ca" --embed-certs >/dev/null
kubectl config set-credentials github-oidc --token "$token" >/dev/null
kubectl config set-context deploy-target --cluster deploy-target --user github-oidc >/dev/null
kubectl config use-context deploy-target >/dev/null
rm -f "$ca"
echo "kube-login: kubectl uses $KUBE_SERVER with this job's OIDC identity"
