#!/usr/bin/env bash
# Fuzzes the core's state decoders and final functions for a bounded time,
# under AddressSanitizer and UndefinedBehaviorSanitizer, and runs the core's
# unit tests under the same sanitizers.  Prints TAP (for `prove`); exits
# non-zero on any crash, sanitizer report or violated property.
#
# Needs clang with libFuzzer: Debian's clang-14 and libclang-rt-14-dev.
#
#   FUZZ_SECONDS   seconds of fuzzing per target (default 20)
#   FUZZ_JOBS      targets fuzzed at once (default 2)
#   FUZZ_SEED      libFuzzer's random seed (default 1, so a run explores the same
#                  inputs each time, as far as its time allows; 0 for a new seed)
#   FUZZ_TARGETS   the targets to run (default: all)
#   FUZZ_KEEP      a folder to keep the grown corpora, logs and crash inputs in
#   CLANG          the compiler (default clang-14, else clang)
#
# A crash input is left in the log folder; to keep it as a regression, copy
# it to test/fuzz/regressions/<target>/ (replayed by every run) and add a
# unit test in test/unit/test_states.c.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
seed=${FUZZ_SEED:-1}
targets=${FUZZ_TARGETS:-"twosample categorical calibration group_calibration confusion average expected baseline baseline_build genuine"}
clang=${CLANG:-$(command -v clang-14 || command -v clang || true)}
work=${FUZZ_KEEP:-$(mktemp -d)}
mkdir -p "$work"

sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
core_srcs=$(ls src/core/*.c)
ntargets=$(echo $targets | wc -w)
echo "1..$((ntargets + 1))"

if [ -z "$clang" ] || ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
        "$clang" -x c -fsanitize=fuzzer -o "$work/probe" - 2>"$work/probe.log"; then
    echo "Bail out! clang with libFuzzer is needed: apt-get install clang-14 libclang-rt-14-dev"
    exit 1
fi

# ASAN_OPTIONS: leaks are bugs too; UBSan stops at the first report
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

n=1
# the unit tests of the core, under the sanitizers
unit_ok=1
for t in test/unit/test_*.c; do
    bin="$work/$(basename "$t" .c).san"
    if ! "$clang" -std=c99 -g -O1 $sanitize -Isrc/core -o "$bin" "$t" test/unit/alloc_malloc.c \
            $core_srcs -lm >"$bin.log" 2>&1 || ! "$bin" >>"$bin.log" 2>&1 || grep -q '^not ok' "$bin.log"; then
        unit_ok=0
        sed 's/^/# /' "$bin.log" | grep -v '^# ok ' | tail -40
    fi
done
if [ "$unit_ok" = 1 ]; then
    echo "ok $n - unit tests of the core under address and undefined-behaviour sanitizers"
else
    echo "not ok $n - unit tests of the core under address and undefined-behaviour sanitizers"
fi

# one target: build, replay its regressions, fuzz from its seeds; the result in $work/<t>.result
fuzz_one() {
    local t=$1 bin="$work/fuzz_$1" log="$work/$1.log" corpus="$work/corpus_$1"
    mkdir -p "$corpus" "$work/crash_$1"
    if ! "$clang" -std=c99 -g -O1 -fsanitize=fuzzer $sanitize -Isrc/core -DFUZZ_TARGET="$t" \
            -o "$bin" test/fuzz/fuzz_states.c test/unit/alloc_malloc.c $core_srcs -lm >"$log" 2>&1; then
        echo "build failed" >"$work/$t.result"
        return
    fi
    if [ -d "test/fuzz/regressions/$t" ] && [ -n "$(ls "test/fuzz/regressions/$t")" ]; then
        if ! "$bin" test/fuzz/regressions/$t/* >>"$log" 2>&1; then
            echo "a regression input fails again" >"$work/$t.result"
            return
        fi
    fi
    if "$bin" -max_total_time="$seconds" -seed="$seed" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$work/crash_$1/" \
            "$corpus" "test/fuzz/corpus/$t" >>"$log" 2>&1; then
        echo "ok $(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1) runs" >"$work/$t.result"
    else
        echo "crashed: input in $work/crash_$1/" >"$work/$t.result"
    fi
}

running=0
for t in $targets; do
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

failed=$((1 - unit_ok))
for t in $targets; do
    n=$((n + 1))
    result=$(cat "$work/$t.result" 2>/dev/null || echo "no result")
    case "$result" in
        ok*) echo "ok $n - fuzz $t for ${seconds} s: ${result#ok }, no crash, no violated property" ;;
        *)
            echo "not ok $n - fuzz $t: $result"
            grep -E 'ERROR|SUMMARY|runtime error|property violated|#[0-9]+ 0x' "$work/$t.log" | head -14 | sed 's/^/# /'
            failed=$((failed + 1))
            ;;
    esac
done
echo "# $((ntargets + 1 - failed)) passed, $failed failed (logs and inputs in $work)"
[ "$failed" -eq 0 ]
