#!/usr/bin/env bash
# Cube's own schema compiler, to validate the generated Cube models and build the SQL Cube
# would run (no Cube server: its Rust module downloads from GitHub at install time, so
# install scripts are skipped). Cube 1.7.43 and its DuckDB driver, the tree locked in
# .ci/tools/npm/cube/package-lock.json, installed under "$REPO/.tools/cube" (idempotent).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
DEST="$REPO/.tools/cube"
# shellcheck source=.ci/tools/npm/install-tree.bash
source "$(dirname "$0")/npm/install-tree.bash"
install_npm_tree cube "$DEST" node_modules/@cubejs-backend/schema-compiler/package.json
node -e "require('$DEST/node_modules/@cubejs-backend/schema-compiler')" \
  || { echo "error: Cube's schema compiler in $DEST does not load under $(node --version)" >&2; exit 2; }
