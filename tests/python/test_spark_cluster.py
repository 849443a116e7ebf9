"""The loopback Spark cluster the tests build on (scripts/spark-test-cluster.sh)
behaves as a cluster in production does. PySpark 4's jars lack
hive-llap-common, and Hive's function registry cannot initialise without one
of its types. The Thrift Server initialises that registry when, closing a
session, it finds no Hive client for the session in its thread: without the
type, dbt's run then fails on `CloseSession` with `NoClassDefFoundError:
LlapSigner$Signable`, and every later session close that reaches the
registry hangs (it stays marked as being registered). Which close reaches it
depends on the server's thread pool, so the test reaches the same registry
through a Hive UDF, which does every time."""

from __future__ import annotations

from contextlib import closing

import pytest

import mart_io

pytestmark = pytest.mark.spark


def test_the_thrift_server_initialises_hive_function_registry() -> None:
    mart_io.require_spark()
    from conversation_analytics.warehouse import spark

    with closing(spark.connect_spark()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "create temporary function ca_hive_if"
            " as 'org.apache.hadoop.hive.ql.udf.generic.GenericUDFIf'"
        )
        # Branches of two types: the UDF asks the registry for their common type.
        cursor.execute("select ca_hive_if(true, 1, 2.5)")
        assert [tuple(row) for row in cursor.fetchall()] == [(1.0,)]
