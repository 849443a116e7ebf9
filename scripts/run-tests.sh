#!/usr/bin/env bash
# The test command (`make test`): every check, on DuckDB, on a throwaway
# PostgreSQL 15 server and on a throwaway Spark cluster (loopback only), both
# of which this script starts and always stops.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${VENV:-.venv}/bin
export DBT_PROFILES_DIR=${DBT_PROFILES_DIR:-$root/.dbt}
export PATH="$root/$bin:$PATH"
# PostgreSQL and Spark are part of every run: their tests fail, never skip.
export CA_REQUIRE_POSTGRES=1 CA_REQUIRE_SPARK=1

step() { printf '\n==> %s\n' "$*"; }

step "ruff"
ruff check src tests/python examples

step "start a throwaway PostgreSQL server"
# Never skipped: if the server cannot start, the tests fail here and say why.
pg_env=$(scripts/pg-test-server.sh start) || {
    echo "FAILED: could not start PostgreSQL for the tests (see above)" >&2
    exit 1
}
eval "$pg_env"
trap 'scripts/pg-test-server.sh stop "$CA_PG_TEST_DATADIR"' EXIT
echo "PostgreSQL on $PGHOST:$PGPORT ($(psql -tAc 'show server_version'))"

step "start a throwaway Spark cluster (master, worker, Thrift Server)"
spark_env=$(PYTHON="$root/$bin/python" scripts/spark-test-cluster.sh start) || {
    echo "FAILED: could not start the Spark cluster for the tests (see above)" >&2
    exit 1
}
eval "$spark_env"
trap 'scripts/spark-test-cluster.sh stop "$CA_SPARK_TEST_DIR"; scripts/pg-test-server.sh stop "$CA_PG_TEST_DATADIR"' EXIT
echo "Spark Thrift Server on $CA_SPARK_HOST:$CA_SPARK_PORT, master $CA_SPARK_MASTER"

work="$root/target/test-run"
rm -rf "$work" && mkdir -p "$work"
export CA_DUCKDB_PATH="$work/test.duckdb"

step "simulate messy events (2,000 conversations, every fault kind)"
conversation-analytics simulate --conversations 2000 --days 28 --seed 7 \
    --output "$work/events.jsonl"

step "dbt build on DuckDB"
conversation-analytics load --target duckdb --input "$work/events.jsonl" --replace
conversation-analytics build --target duckdb

step "dbt build on PostgreSQL"
conversation-analytics load --target postgres --input "$work/events.jsonl" --replace
conversation-analytics build --target postgres

step "dbt docs generate"
dbt docs generate --project-dir "$root" --target duckdb --quiet

step "Chromium for the dashboard's browser tests"
scripts/install-chromium.sh

step "pytest"
set +e
pytest -q -p no:cacheprovider --durations=30
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "FAILED: pytest collected no tests" >&2
    exit 1
elif [ "$rc" -ne 0 ]; then
    exit "$rc"
fi

step "sqlfluff lint"
sqlfluff lint models macros tests analyses

step "all checks passed"
