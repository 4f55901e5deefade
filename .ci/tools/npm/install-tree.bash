# Sourced by the .ci/tools scripts that need an npm dependency tree (not run by the loop in
# .ci/test: its name does not end in .sh). Why a committed lock: the registry these machines
# reach can list a version it does not serve (seen: @azure/msal-common 16.18.0, asked for
# exactly by the newest @azure/msal-node), so resolving ranges afresh fails on a day nothing
# here changed; `npm ci` installs the tree of the lock, which the tests ran with.
#
# install_npm_tree TREE DEST PROBE: install .ci/tools/npm/TREE/package-lock.json into DEST
# (node_modules beside a copy of the package files). Idempotent: DEST/.lock-digest records
# the lock it holds, and a tree without the file PROBE (relative to DEST) is installed
# again. npm's output goes to DEST.log and is shown only when npm fails.
install_npm_tree() {
  local tree=$1 dest=$2 probe=$3
  local source_dir lock_digest log
  source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$tree"
  lock_digest=$(sha256sum "$source_dir/package-lock.json" | cut -d' ' -f1)
  if [ -e "$dest/$probe" ] && [ "$(cat "$dest/.lock-digest" 2>/dev/null)" = "$lock_digest" ]; then
    return 0
  fi
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  cp "$source_dir/package.json" "$source_dir/package-lock.json" "$dest.tmp/"
  log="$dest.log"
  # --ignore-scripts: Cube's install scripts download a Rust module from GitHub.
  if ! (cd "$dest.tmp" && npm ci --no-audit --no-fund --ignore-scripts) >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "error: npm ci of .ci/tools/npm/$tree failed (full log: $log)" >&2
    exit 2
  fi
  if ! [ -e "$dest.tmp/$probe" ]; then
    echo "error: npm ci of .ci/tools/npm/$tree installed no $probe (log: $log)" >&2
    exit 2
  fi
  echo "$lock_digest" > "$dest.tmp/.lock-digest"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  rm -f "$log"
}
