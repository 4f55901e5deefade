#!/usr/bin/env bash
# Cube's own schema compiler, to validate the generated Cube models and build the SQL Cube
# would run (no Cube server: its Rust module downloads from GitHub at install time, so
# install scripts are skipped). Installed under "$REPO/.tools/cube" (idempotent, npm only).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION=1.7.43
DEST="$REPO/.tools/cube"
if [ -f "$DEST/node_modules/@cubejs-backend/schema-compiler/package.json" ] \
  && [ -f "$DEST/node_modules/@cubejs-backend/duckdb-driver/package.json" ] \
  && [ "$(cat "$DEST/.version" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp"
cd "$DEST.tmp"
printf '{"name": "floe-cube-tools", "private": true}\n' > package.json
npm install --silent --no-audit --no-fund --ignore-scripts \
  "@cubejs-backend/server@$VERSION" "@cubejs-backend/duckdb-driver@$VERSION" >/dev/null
echo "$VERSION" > .version
cd "$REPO"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
node -e "require('$DEST/node_modules/@cubejs-backend/schema-compiler'); console.log('cube schema-compiler $VERSION')"
