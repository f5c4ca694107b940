#!/usr/bin/env bash
# The demo audit, run by `make demo` inside a throwaway cluster
# (pg_virtualenv sets PGHOST, PGPORT, PGUSER and PGPASSWORD).
set -euo pipefail
cd "$(dirname "$0")/../.."
psql -X -q -v ON_ERROR_STOP=1 -P pager=off -f test/demo/demo.sql
