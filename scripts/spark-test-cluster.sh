#!/usr/bin/env bash
# A throwaway Spark cluster on the loopback interface, for the tests: a
# standalone master, one worker, and a Spark Thrift Server running as an
# application on that cluster (dbt reaches it with `method: thrift`, as it
# reaches a shared cluster in production).
#
#   eval "$(scripts/spark-test-cluster.sh start)"   # exports CA_SPARK_* variables
#   scripts/spark-test-cluster.sh stop "$CA_SPARK_TEST_DIR"   # and removes its folder
#
# Every process binds to 127.0.0.1 only. Needs PySpark (its bin/spark-class
# and jars) importable by $PYTHON (default: python3) and a Java 17 JDK (JAVA_HOME,
# else Debian's java-17-openjdk). A failure to start prints why, with the
# tail of the process's log, and exits 1; nothing is left running.
set -euo pipefail

PYTHON=${PYTHON:-python3}
WORKER_CORES=${CA_SPARK_WORKER_CORES:-2}
WORKER_MEMORY=${CA_SPARK_WORKER_MEMORY:-4g}
# The Thrift Server is the driver: it plans every query of a run, and the
# plans of the trace mappings' models outgrow Spark's default 1g heap.
DRIVER_MEMORY=${CA_SPARK_DRIVER_MEMORY:-2g}
START_TIMEOUT=${CA_SPARK_START_TIMEOUT:-180}

say() { printf '%s\n' "$*" >&2; }

free_port() {
    "$PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() {
    "$PYTHON" -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1"
}

stop_cluster() {
    local dir=$1
    [ -d "$dir" ] || return 0
    for name in thriftserver worker master; do
        if [ -f "$dir/$name.pid" ]; then
            local pid
            pid=$(cat "$dir/$name.pid")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$dir/$name.pid"
        fi
    done
    # The metastore, the warehouse's files and the logs go with the cluster.
    rm -rf "$dir"
}

fail() {
    local dir=$1 log=$2 message=$3
    say "spark-test-cluster: $message"
    if [ -f "$log" ]; then
        say "--- last lines of $log ---"
        tail -n 25 "$log" >&2 || true
    fi
    stop_cluster "$dir"
    exit 1
}

wait_for_port() {
    local dir=$1 port=$2 pidfile=$3 log=$4 what=$5
    local deadline=$((SECONDS + START_TIMEOUT))
    until port_open "$port"; do
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            fail "$dir" "$log" "the $what exited before listening on 127.0.0.1:$port"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "$dir" "$log" "the $what did not listen on 127.0.0.1:$port within ${START_TIMEOUT}s"
        fi
        sleep 1
    done
}

start_cluster() {
    local spark_home
    spark_home=$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null) \
        || { say "spark-test-cluster: PySpark is not importable by $PYTHON (pip install pyspark)"; exit 1; }
    if [ -z "${JAVA_HOME:-}" ]; then
        for candidate in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/java-17-openjdk; do
            if [ -x "$candidate/bin/java" ]; then JAVA_HOME=$candidate; break; fi
        done
    fi
    [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] \
        || { say "spark-test-cluster: no Java 17 JDK (set JAVA_HOME, or apt-get install openjdk-17-jdk-headless)"; exit 1; }
    [ -x "$JAVA_HOME/bin/javac" ] && [ -x "$JAVA_HOME/bin/jar" ] \
        || { say "spark-test-cluster: $JAVA_HOME has no javac (apt-get install openjdk-17-jdk-headless): it compiles the Hive LLAP stand-in"; exit 1; }
    export JAVA_HOME SPARK_HOME=$spark_home
    # Loopback only: without this the worker registers on the machine's other interface.
    export SPARK_LOCAL_IP=127.0.0.1 SPARK_MASTER_HOST=127.0.0.1 SPARK_NO_DAEMONIZE=1
    # No REST submission port (6066): nothing here submits through it.
    export SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false"

    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/ca-spark.XXXXXX")
    mkdir -p "$dir/work" "$dir/warehouse" "$dir/logs"
    export SPARK_LOG_DIR=$dir/logs SPARK_WORKER_DIR=$dir/work
    # PySpark 4's jars lack hive-llap-common, which Hive's function registry
    # needs: without it a Thrift Server fails to close some sessions and then
    # hangs (SPARK-51041). A two-interface stand-in, compiled here, fills it.
    local shim_source shim_jar
    shim_source=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/spark-hive-llap-shim
    shim_jar=$dir/hive-llap-shim.jar
    "$JAVA_HOME/bin/javac" -d "$dir/shim-classes" \
        "$shim_source/org/apache/hadoop/hive/llap/security/LlapSigner.java" >"$dir/logs/shim.log" 2>&1 \
        && "$JAVA_HOME/bin/jar" cf "$shim_jar" -C "$dir/shim-classes" . >>"$dir/logs/shim.log" 2>&1 \
        || fail "$dir" "$dir/logs/shim.log" "could not compile the Hive LLAP stand-in"
    local master_port master_ui worker_port worker_ui thrift_port
    master_port=$(free_port); master_ui=$(free_port)
    worker_port=$(free_port); worker_ui=$(free_port)
    thrift_port=$(free_port)
    local master_url=spark://127.0.0.1:$master_port

    "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master \
        --host 127.0.0.1 --port "$master_port" --webui-port "$master_ui" \
        >"$dir/logs/master.log" 2>&1 &
    echo $! >"$dir/master.pid"
    wait_for_port "$dir" "$master_port" "$dir/master.pid" "$dir/logs/master.log" master

    "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --port "$worker_port" --webui-port "$worker_ui" \
        --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" --work-dir "$dir/work" \
        "$master_url" >"$dir/logs/worker.log" 2>&1 &
    echo $! >"$dir/worker.pid"
    wait_for_port "$dir" "$worker_port" "$dir/worker.pid" "$dir/logs/worker.log" worker

    # The Thrift Server is the driver of an application on the cluster; its
    # metastore (Derby) and warehouse live in the throwaway folder.
    "$spark_home/bin/spark-class" org.apache.spark.deploy.SparkSubmit \
        --master "$master_url" \
        --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 \
        --conf spark.driver.host=127.0.0.1 \
        --conf spark.driver.bindAddress=127.0.0.1 \
        --conf spark.ui.enabled=false \
        --driver-memory "$DRIVER_MEMORY" \
        --driver-class-path "$shim_jar" \
        --conf "spark.executor.extraClassPath=$shim_jar" \
        --conf spark.executor.memory=2g \
        --conf spark.sql.shuffle.partitions=4 \
        --conf "spark.sql.warehouse.dir=$dir/warehouse" \
        --conf "spark.driver.extraJavaOptions=-Dderby.system.home=$dir" \
        --conf spark.hadoop.hive.hmshandler.retry.attempts=1 \
        --hiveconf hive.server2.thrift.bind.host=127.0.0.1 \
        --hiveconf "hive.server2.thrift.port=$thrift_port" \
        spark-internal >"$dir/logs/thriftserver.log" 2>&1 &
    echo $! >"$dir/thriftserver.pid"
    wait_for_port "$dir" "$thrift_port" "$dir/thriftserver.pid" "$dir/logs/thriftserver.log" "Thrift Server"

    printf 'export CA_SPARK_TEST_DIR=%q\n' "$dir"
    printf 'export CA_SPARK_HOST=127.0.0.1\n'
    printf 'export CA_SPARK_PORT=%s\n' "$thrift_port"
    printf 'export CA_SPARK_MASTER=%q\n' "$master_url"
}

case "${1:-}" in
    start) start_cluster ;;
    stop) stop_cluster "${2:?usage: $0 stop DIR}" ;;
    *) say "usage: $0 start | stop DIR"; exit 2 ;;
esac
