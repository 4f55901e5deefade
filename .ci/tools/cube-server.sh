#!/usr/bin/env bash
# A real Cube REST/GraphQL server for the end-to-end tests: Cube 0.33.65 on PostgreSQL, the
# newest Cube whose server starts here (1.x needs a Rust module built from GitHub crates).
# The tree locked in .ci/tools/npm/cube-0.33/package-lock.json, installed under
# "$REPO/.tools/cube-0.33" (idempotent, npm only; install scripts skipped).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
DEST="$REPO/.tools/cube-0.33"
# shellcheck source=.ci/tools/npm/install-tree.bash
source "$(dirname "$0")/npm/install-tree.bash"
install_npm_tree cube-0.33 "$DEST" node_modules/.bin/cubejs-server
