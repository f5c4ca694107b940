#!/usr/bin/env bash
# Runs every test suite: C unit tests of the core, then pg_regress and pgTAP
# in a throwaway PostgreSQL cluster.  Builds with warnings as errors and
# installs the extension first (run as root, after test/setup.sh).
# Ends with one line "N passed, N failed" over all suites; exits non-zero
# if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."

WARN_FLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers"
passed=0
failed=0
log=$(mktemp -d)

count_prove() {   # $1 = prove output file, $2 = prove exit code
    local total bad
    total=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$1" | tail -1)
    bad=$(sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
    total=${total:-0}
    if [ "$2" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi   # a script died
    passed=$((passed + total - bad))
    failed=$((failed + bad))
}

echo "== build (warnings are errors) and install"
if ! { make -s clean && make -s PG_CFLAGS="$WARN_FLAGS" && make -s install; } >"$log/build" 2>&1; then
    cat "$log/build"
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

echo "== C unit tests of the numeric core"
make -s unitcheck 2>&1 | tee "$log/unit"
count_prove "$log/unit" "${PIPESTATUS[0]}"

echo "== pg_regress and pgTAP in a throwaway cluster"
pg_virtualenv sh -c '
    make -s installcheck; echo "regress_exit=$?"
    pg_prove --ext .sql test/pgtap/; echo "prove_exit=$?"
' 2>&1 | tee "$log/server"

regress_line=$(grep -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests failed)' "$log/server" | tail -1)
if [[ "$regress_line" =~ All\ ([0-9]+)\ tests\ passed ]]; then
    passed=$((passed + BASH_REMATCH[1]))
elif [[ "$regress_line" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed ]]; then
    failed=$((failed + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
else
    failed=$((failed + 1))
    echo "pg_regress did not report a result"
fi
if ! grep -q '^regress_exit=0' "$log/server" && [ -f regression.diffs ]; then
    echo "== regression.diffs"
    cat regression.diffs
fi
sed -n '/^regress_exit=/,/^prove_exit=/p' "$log/server" > "$log/prove"
count_prove "$log/prove" "$(sed -n 's/^prove_exit=//p' "$log/server")"

echo "== federated audit: shard states merged through postgres_fdw"
prove test/federated/run.sh 2>&1 | tee "$log/federated"
count_prove "$log/federated" "${PIPESTATUS[0]}"

echo "== governance: pg_cron, concurrent sessions, notifications, dump and restore"
prove test/governance/run.sh 2>&1 | tee "$log/governance"
count_prove "$log/governance" "${PIPESTATUS[0]}"

echo "== upgrade: 0.1.0 with evidence, ALTER EXTENSION UPDATE, catalog equal to a fresh install, suites on the upgraded database"
prove test/upgrade/run.sh 2>&1 | tee "$log/upgrade"
count_prove "$log/upgrade" "${PIPESTATUS[0]}"

echo "== security: concurrent writers of the audit log, login roles, tampering, dump and restore, pg_cron"
prove test/security/run.sh 2>&1 | tee "$log/security"
count_prove "$log/security" "${PIPESTATUS[0]}"

rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
