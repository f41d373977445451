#!/usr/bin/env bash
# Installs (Debian package) and starts a local PostgreSQL server with a role `estate`/`estate`
# that may create databases: the server the PostgreSQL leg of the tests runs against.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^${version} main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  if su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
su postgres -c "psql -qAtc \"SELECT 1 FROM pg_roles WHERE rolname='estate'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE estate LOGIN CREATEDB PASSWORD 'estate'\""
echo "PostgreSQL $version is running on 127.0.0.1:5432 (role estate)"
