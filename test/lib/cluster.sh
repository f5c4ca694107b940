# Shared by the test scripts that need a whole cluster (test/governance,
# test/security): a throwaway cluster under a temporary directory, run as the
# postgres user when the script runs as root, stopped and removed on exit;
# and TAP output for prove.  Source it, then call start_cluster.
#
#   start_cluster NAME PORT_BASE [server options ...]
#       sets $work (the directory), $port, and PGHOST/PGPORT/PGUSER
#   ok STATUS DESCRIPTION, is GOT WANT DESCRIPTION, bail MESSAGE
#   q DATABASE [psql arguments]: psql, quiet, stopping at the first error

BIN=${PG_BINDIR:-$(pg_config --bindir)}

if [ "$(id -u)" = 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

bail() { echo "Bail out! $*"; exit 1; }

free_port() {   # the first free port from $1 on
    local p
    for p in $(seq "$1" $(($1 + 200))); do
        if ! (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$p" ]; then
            echo "$p"
            return
        fi
    done
    bail "no free port"
}

cleanup_cluster() {
    [ -d "$work/data" ] && as_pg "$BIN/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$work"
}

start_cluster() {
    local name=$1 base=$2
    shift 2
    work=$(mktemp -d "/tmp/ethaudit_$name.XXXXXX")
    chmod 755 "$work"
    [ "$(id -u)" = 0 ] && chown postgres "$work"
    trap cleanup_cluster EXIT
    port=$(free_port "$base")
    as_pg "$BIN/initdb" -D "$work/data" -A trust -U postgres >/dev/null || bail "initdb failed"
    as_pg "$BIN/pg_ctl" -D "$work/data" -l "$work/log" -w \
        -o "-p $port -k $work -c listen_addresses='' $*" start >/dev/null \
        || { cat "$work/log"; bail "the cluster did not start"; }
    export PGHOST=$work PGPORT=$port PGUSER=postgres
}

q() {   # $1 = database, rest = psql arguments
    local db=$1
    shift
    psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"
}

# ---------- TAP ----------
n=0
failures=0
ok() {   # $1 = 0 for success, $2 = description
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failures=$((failures + 1)); return 1; fi
}
is() {   # $1 = got, $2 = want, $3 = description
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fi
}
