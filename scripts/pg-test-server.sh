#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server for the test command.
#
#   eval "$(scripts/pg-test-server.sh start)"   # prints PG* exports
#   scripts/pg-test-server.sh stop DATA_DIR
#
# It uses the machine's PostgreSQL binaries (pg_config --bindir, or PG_BINDIR),
# a data directory of its own under /tmp, a free port on 127.0.0.1 and trust
# authentication. When run as root, the server runs as the `postgres` user,
# since PostgreSQL refuses to run as root. It never touches another server.
set -euo pipefail

die() { echo "pg-test-server: $*" >&2; exit 1; }

bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
    command -v pg_config >/dev/null 2>&1 \
        || die "pg_config not found: install PostgreSQL 15 (Debian: apt-get install postgresql-15) or set PG_BINDIR"
    pg_config --bindir
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to own the server"
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local bin datadir port
    bin=$(bindir)
    [ -x "$bin/initdb" ] || die "no initdb in $bin: install PostgreSQL 15 server binaries"
    datadir=$(mktemp -d /tmp/ca-pgtest.XXXXXX)
    chmod 700 "$datadir"
    [ "$(id -u)" = 0 ] && chown postgres: "$datadir"
    port=$(free_port)
    # Parallel plans forced for every query that allows one, at any table
    # size: a function wrongly declared parallel safe fails here on the
    # test data, not in production on the first big table.
    local parallel="-c force_parallel_mode=on -c parallel_setup_cost=0 -c parallel_tuple_cost=0"
    parallel+=" -c min_parallel_table_scan_size=0 -c min_parallel_index_scan_size=0"
    parallel+=" -c max_parallel_workers_per_gather=2"
    # CA_PG_FORCE_PARALLEL=0: PostgreSQL's own planner settings, for timing
    # (docs/benchmark.md); the tests always force them.
    [ "${CA_PG_FORCE_PARALLEL:-1}" = 0 ] && parallel=""
    as_owner "$bin/initdb" -D "$datadir/data" -U postgres -A trust -E UTF8 --locale=C \
        >"$datadir/initdb.log" 2>&1 \
        || { cat "$datadir/initdb.log" >&2; die "initdb failed (log above)"; }
    as_owner "$bin/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w -t 60 \
        -o "-p $port -k $datadir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off $parallel" \
        start >/dev/null \
        || { cat "$datadir/server.log" >&2; die "the server did not start (log above)"; }
    echo "export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD= PGDATABASE=postgres"
    echo "export CA_PG_TEST_DATADIR=$datadir"
}

stop() {
    local datadir=${1:-${CA_PG_TEST_DATADIR:-}}
    [ -n "$datadir" ] || die "stop needs the data directory printed by start"
    [ -d "$datadir/data" ] || return 0
    as_owner "$(bindir)/pg_ctl" -D "$datadir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$datadir"
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "$@" ;;
    *) die "usage: $0 start | stop DATA_DIR" ;;
esac
