#!/usr/bin/env bash
# Microsoft's SARIF Multitool, which validates SARIF logs against the SARIF 2.1.0 spec and
# GitHub code scanning's ingestion rules. A self-contained Linux binary inside an npm package
# (43 MB); installed under .tools/ (gitignored). Idempotent.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION=5.7.0
DEST="$REPO/.tools/sarif-multitool"
if [ -x "$DEST/package/Sarif.Multitool" ] && [ "$(cat "$DEST/.version" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@microsoft/sarif-multitool-linux@$VERSION" >/dev/null)
rm -rf "$DEST"
mkdir -p "$DEST"
tar xzf "$tmp/microsoft-sarif-multitool-linux-$VERSION.tgz" -C "$DEST"
chmod +x "$DEST/package/Sarif.Multitool"
echo "$VERSION" > "$DEST/.version"
echo "sarif-multitool $VERSION installed in $DEST"
