#!/usr/bin/env bash
# Headless Chromium and GitHub's Markdown CSS, for the pull-request comment's width test
# (tests/e2e/test_comment_render.py renders the comment with cmarkgfm, styles it with
# github-markdown-css in an 880 px column and measures it in Chromium). Idempotent, quiet:
#   chromium (Debian)                      /usr/bin/chromium
#   .tools/github-markdown-css/            npm github-markdown-css: GitHub's .markdown-body CSS
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$REPO/.tools"
CSS_VERSION=5.9.0
mkdir -p "$TOOLS"

if ! command -v chromium >/dev/null 2>&1; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  # apt's notices (debconf without apt-utils) go to stderr: shown only when the install fails
  log=$(mktemp)
  if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    cat "$log" >&2 && rm -f "$log"
    echo "error: apt-get install chromium failed" >&2
    exit 2
  fi
  rm -f "$log"
fi

dest="$TOOLS/github-markdown-css"
if ! [ -f "$dest/.version" ] || [ "$(cat "$dest/.version")" != "$CSS_VERSION" ]; then
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "github-markdown-css@$CSS_VERSION" >/dev/null)
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  tar -xzf "$work"/*.tgz -C "$dest.tmp" --strip-components=1
  echo "$CSS_VERSION" > "$dest.tmp/.version"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  rm -rf "$work"
fi

# Debian's /usr/bin/chromium wrapper prints a shell warning on some hosts: the exit code tells
chromium --version >/dev/null 2>&1
test -s "$dest/github-markdown-light.css"
