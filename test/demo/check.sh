#!/usr/bin/env bash
# The demo audit as a test: run it in a throwaway cluster and compare its
# output with expected/demo.out.  What differs from run to run is masked
# first: wall-clock times in alert notifications, the server's PID, and the
# pseudonyms and hashes that depend on a random key or on those times.
# Prints TAP for prove.  Needs ethaudit installed (make install).
set -uo pipefail
cd "$(dirname "$0")/../.."

. test/lib/cluster.sh
start_cluster demo 6300
export PGDATABASE=postgres

mask() {
    sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+\+00:00/<time>/g' \
           -e 's/server process with PID [0-9]+/server process with PID <pid>/' \
           -e 's/\b[0-9a-f]{64}\b/<hash>/g'
}
test/demo/run.sh > "$work/demo.raw" 2>&1
ok $? "the demo audit runs to the end without an error" || tail -20 "$work/demo.raw" | sed 's/^/# /'
mask < "$work/demo.raw" > "$work/demo.out"
if [ "${ETHAUDIT_ACCEPT_DEMO:-}" = 1 ]; then cp "$work/demo.out" expected/demo.out; fi
diff -u expected/demo.out "$work/demo.out" > "$work/demo.diff"
ok $? "its output equals expected/demo.out" || sed 's/^/# /' "$work/demo.diff" | head -80
echo "1..$n"
[ "$failures" -eq 0 ]
