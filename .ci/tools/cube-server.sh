#!/usr/bin/env bash
# A real Cube REST/GraphQL server for the end-to-end tests: Cube 0.33.65 on PostgreSQL, the
# newest Cube whose server starts here (1.x needs a Rust module built from GitHub crates).
# Installed under "$REPO/.tools/cube-0.33" (idempotent, npm only; install scripts skipped).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION=0.33.65
DRIVER=0.35.23
DEST="$REPO/.tools/cube-0.33"
if [ -f "$DEST/node_modules/@cubejs-backend/server/package.json" ] \
  && [ -f "$DEST/node_modules/@cubejs-backend/postgres-driver/package.json" ] \
  && [ "$(cat "$DEST/.version" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp"
cd "$DEST.tmp"
printf '{"name": "floe-cube-server", "private": true}\n' > package.json
npm install --silent --no-audit --no-fund --ignore-scripts \
  "@cubejs-backend/server@$VERSION" "@cubejs-backend/postgres-driver@$DRIVER" >/dev/null
echo "$VERSION" > .version
cd "$REPO"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
echo "cube server $VERSION: $DEST/node_modules/.bin/cubejs-server"
