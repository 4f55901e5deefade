#!/usr/bin/env bash
# PostgreSQL server binaries for the integration tests (tests/fixtures/postgres.py starts a
# private server per test session with initdb/pg_ctl; nothing here starts one). Idempotent:
# does nothing when initdb and pg_ctl are already installed. Debian registry only.
set -euo pipefail
have_server() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
if have_server; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: PostgreSQL is missing and installing it needs root (apt-get install postgresql)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
have_server || { echo "error: postgresql installed but initdb not found" >&2; exit 2; }
# The tests run the server as this user (PostgreSQL refuses to run as root).
id postgres >/dev/null 2>&1 || { echo "error: no postgres user after install" >&2; exit 2; }
echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin | head -1)"
