#!/usr/bin/env bash
# Runs every test suite on every PostgreSQL major of the test matrix
# (test/lib/majors.sh): the host's major directly, the others in their
# chroots.  On each major: build with warnings as errors and install, C unit
# tests of the core, pg_regress and pgTAP in a throwaway cluster, then the
# multi-cluster scripts.  Run as root, after test/setup.sh.
#
#   PG_MAJORS=17 test/run-tests.sh     one major only (or several: "15 18")
#   test/run-tests.sh --this-major     the suites once, against $PG_CONFIG
#                                      (default pg_config), here
#   ETHAUDIT_HOST_LOCK=FILE            hold flock FILE while installing into and
#                                      testing the host's PostgreSQL (on a
#                                      machine that several people test on)
#
# Prints a summary per major, then ends with one line "N passed, N failed"
# over all majors and suites; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

WARN_FLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers"
requested_majors=${PG_MAJORS:-}      # before test/lib/majors.sh fills in the default
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count_prove() {   # $1 = prove output file, $2 = prove exit code
    local total bad
    total=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$1" | tail -1)
    bad=$(sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
    total=${total:-0}
    if [ "$2" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi   # a script died
    passed=$((passed + total - bad))
    failed=$((failed + bad))
}

# ---------- the suites of one major ----------

# suite NAME DESCRIPTION COMMAND...: runs a command whose output prove reads
# (TAP), counts it, and reports its time
suite() {
    local name=$1 description=$2 start=$SECONDS p=$passed f=$failed
    shift 2
    echo "== $description"
    "$@" 2>&1 | tee "$log/$name"
    count_prove "$log/$name" "${PIPESTATUS[0]}"
    echo "   $name: passed $((passed - p)), failed $((failed - f)), $((SECONDS - start)) s"
}

# pg_regress then pgTAP, in one throwaway cluster of this major
server_suites() {
    local start=$SECONDS p=$passed f=$failed regress_line
    echo "== pg_regress and pgTAP in a throwaway cluster"
    pg_virtualenv -t -v "$major" sh -c '
        make -s installcheck; echo "regress_exit=$?"
        pg_prove --ext .sql test/pgtap/; echo "prove_exit=$?"
    ' 2>&1 | tee "$log/server"

    # "All 18 tests passed." up to PostgreSQL 15; "# All 18 tests passed." (TAP) from 16 on
    regress_line=$(grep -E '^(# )? *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests failed)' "$log/server" | tail -1)
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
    sed -n '/^regress_exit=/,/^prove_exit=/p' "$log/server" >"$log/prove"
    count_prove "$log/prove" "$(sed -n 's/^prove_exit=//p' "$log/server")"
    echo "   server: passed $((passed - p)), failed $((failed - f)), $((SECONDS - start)) s"
}

# Everything run on one major, after the build; adding a suite is one line:
#   suite NAME DESCRIPTION COMMAND (whose output is TAP, read by prove)
suites() {
    suite unit "C unit tests of the numeric core" make -s unitcheck
    server_suites
    suite federated "federated audit: shard states merged through postgres_fdw" prove test/federated/run.sh
    suite governance "governance: pg_cron, concurrent sessions, notifications, dump and restore" prove test/governance/run.sh
    suite upgrade "upgrade: 0.1.0 with evidence, ALTER EXTENSION UPDATE, catalog equal to a fresh install, suites on the upgraded database" prove test/upgrade/run.sh
    suite security "security: concurrent writers of the audit log, login roles, tampering, dump and restore, pg_cron" prove test/security/run.sh
    suite demo "demo: the demo audit on real data, compared with expected/demo.out" prove test/demo/check.sh
}

# The suites against $PG_CONFIG, here; ends with a line the matrix reads.
this_major() {
    PG_CONFIG=${PG_CONFIG:-pg_config}
    local bindir version
    bindir=$("$PG_CONFIG" --bindir) || { echo "no pg_config at '$PG_CONFIG'"; exit 1; }
    version=$("$PG_CONFIG" --version)          # "PostgreSQL 17.7 (Debian ...)"
    version=${version#PostgreSQL }
    version=${version%% *}
    major=${version%%[.a-z]*}
    # the server, psql, pg_dump and pgbench of this major, whatever else is installed
    export PG_CONFIG PG_BINDIR=$bindir PATH="$bindir:$PATH"

    echo "== PostgreSQL $version: build (warnings are errors) and install"
    local start=$SECONDS
    if { make -s clean && make -s PG_CFLAGS="$WARN_FLAGS" && make -s install; } >"$log/build" 2>&1; then
        echo "   build: $((SECONDS - start)) s"
        suites
    else
        cat "$log/build"
        echo "build failed"
        failed=$((failed + 1))
    fi
    echo "totals of PostgreSQL $version: passed $passed, failed $failed"
}

if [ "${1:-}" = --this-major ]; then
    this_major
    [ "$failed" -eq 0 ]
    exit
fi

# ---------- the matrix ----------
. test/lib/majors.sh

# one major in its chroot, the repository mounted at $where_repo_is_mounted;
# the chroot's lock keeps two runs from installing into it at once
run_in_chroot() {   # $1 = major
    local major=$1 root
    root=$(chroot_root "$major")
    if [ ! -e "$root/.ethaudit-ready" ]; then
        echo "no chroot for PostgreSQL $major in $root: run test/setup.sh first"
        return 1
    fi
    exec 9>"$ETHAUDIT_CI_CACHE/pg$major.lock"
    flock 9
    trap umount_chroot EXIT
    trap 'exit 130' INT TERM    # so that the EXIT trap unmounts
    mount_chroot "$root" "$PWD" || return 1
    # the servers the tests start must not inherit the lock
    in_chroot "$major" PG_CONFIG="$(pg_config_of "$major")" \
        "$where_repo_is_mounted/test/run-tests.sh" --this-major 9>&-
    local status=$?
    # leave no objects of this major in the tree, for a later make on the host
    in_chroot "$major" make -s -C "$where_repo_is_mounted" clean PG_CONFIG="$(pg_config_of "$major")" 9>&-
    return $status
}

summary=()
for major in $PG_MAJORS; do
    source=$(major_source "$major") || { echo "PostgreSQL $major is not in the test matrix ($ALL_MAJORS)"; failed=$((failed + 1)); continue; }
    start=$SECONDS
    echo "=== PostgreSQL $major ($source)"
    if [ "$source" = host ] && [ -n "${ETHAUDIT_HOST_LOCK:-}" ]; then
        flock "$ETHAUDIT_HOST_LOCK" env PG_CONFIG="$(pg_config_of "$major")" test/run-tests.sh --this-major
    elif [ "$source" = host ]; then
        PG_CONFIG=$(pg_config_of "$major") test/run-tests.sh --this-major
    else
        (run_in_chroot "$major")
    fi 2>&1 | tee "$log/pg$major"
    line=$(grep -E '^totals of PostgreSQL [^ ]+: passed [0-9]+, failed [0-9]+$' "$log/pg$major" | tail -1)
    if [[ "$line" =~ ^totals\ of\ PostgreSQL\ ([^ ]+):\ passed\ ([0-9]+),\ failed\ ([0-9]+)$ ]]; then
        version=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]}
    else
        version="$major (did not finish)" p=0 f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    summary+=("PostgreSQL $version ($source): passed $p, failed $f, $((SECONDS - start)) s")
done

# the fuzzer of the core's decoders and finals, once, on the host: the core
# has no PostgreSQL dependency (clang and libFuzzer from test/setup.sh)
if [ -z "$requested_majors" ] || [ -n "${ETHAUDIT_FUZZ:-}" ]; then
    start=$SECONDS p=$passed f=$failed
    FUZZ_SECONDS=${FUZZ_SECONDS:-20} suite fuzz "fuzzing the state decoders and finals under ASan and UBSan" \
        prove test/fuzz/run.sh
    summary+=("fuzzer (host): passed $((passed - p)), failed $((failed - f)), $((SECONDS - start)) s")
fi

echo "=== summary"
printf '  %s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
