"""The shared reader of the report and the dashboard: a read-only
connection to the marts, and the trailing window to show.

A window is one of var('summary_window_days') (default 7 and 28 days): the
conversations that started in (as-of minus N days, as-of], as the windowed
marts (`conversation_summary` and its `conversation_summary_by_*`
companions) hold them. A window the marts do not hold is an error that says
which ones they hold and how to add one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from conversation_analytics.raw_table import Target, quote_ident
from conversation_analytics.warehouse import dbt_runner, spark
from conversation_analytics.warehouse.loader import (
    ConnectionFailed,
    connect_postgres,
    resolve_duckdb_path,
    table_exists,
)

SUMMARY_MART = "conversation_summary"


class MartsError(RuntimeError):
    """The marts cannot be read as asked; the message says what to do."""


def connect_duckdb_read_only(
    duckdb_path: str | os.PathLike[str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an existing DuckDB file: it never writes, and
    works while other readers (a BI tool) hold the file."""
    path = resolve_duckdb_path(duckdb_path)
    if not path.is_file():
        raise ConnectionFailed(
            f"no DuckDB database at {path}: run `conversation-analytics load` first "
            "(or point --duckdb-path / CA_DUCKDB_PATH at it)"
        )
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConnectionFailed(
            f"cannot open DuckDB database {path} read-only: {first} "
            "(is a process writing to it?)"
        ) from None


def connect_marts(
    target: Target,
    *,
    duckdb_path: str | os.PathLike[str] | None = None,
    conninfo: str | None = None,
) -> tuple[Any, str]:
    """A read-only connection to `target` (an existing DuckDB file,
    PostgreSQL from `conninfo` or the PG* variables, or the Spark Thrift
    Server of the CA_SPARK_* variables, whose reader only runs `select`)
    and the schema its marts are built in."""
    schema = dbt_runner.layer_schema(target, "marts")
    if target == "duckdb":
        return connect_duckdb_read_only(duckdb_path), schema
    if target == "spark":
        return spark.connect_spark_read(), schema
    connection = connect_postgres(conninfo)
    connection.read_only = True
    return connection, schema


@dataclass(frozen=True)
class Window:
    """A trailing window of the marts: conversations that started in
    (start_at, as_of_at]."""

    days: int
    start_at: datetime | None
    as_of_at: datetime | None


class MartReader:
    """Reads the marts on a DuckDB, psycopg or Spark (SparkReadConnection)
    connection."""

    def __init__(self, connection: Any, schema: str) -> None:
        self.connection = connection
        self.schema = schema

    def quote(self, name: str) -> str:
        """An identifier as the connection's SQL quotes it."""
        if isinstance(self.connection, spark.SparkReadConnection):
            return spark.spark_ident(name)
        return quote_ident(name)

    def table(self, name: str, schema: str | None = None) -> str:
        return f"{self.quote(schema or self.schema)}.{self.quote(name)}"

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of `sql`, whose `?` placeholders take `params` in order."""
        if isinstance(self.connection, duckdb.DuckDBPyConnection):
            return self.connection.execute(sql, list(params)).fetchall()
        with self.connection.cursor() as cursor:
            return cursor.execute(sql.replace("?", "%s"), list(params)).fetchall()

    def records(
        self, mart: str, columns: Sequence[str], where: str = "", order_by: str = "",
        params: Sequence[Any] = (),
    ) -> list[dict[str, Any]]:
        """`columns` of `mart` as dicts, filtered by `where` (with `?` placeholders)."""
        sql = f"select {', '.join(self.quote(c) for c in columns)} from {self.table(mart)}"
        if where:
            sql += f" where {where}"
        if order_by:
            sql += f" order by {order_by}"
        return [dict(zip(columns, row, strict=True)) for row in self.rows(sql, params)]

    def require(self, marts: Sequence[str], error: type[Exception]) -> None:
        """Raise `error` naming the marts that are not built."""
        missing = [name for name in marts if not table_exists(self.connection, self.schema, name)]
        if missing:
            raise error(
                f"the marts are not built ({', '.join(f'{self.schema}.{m}' for m in missing)} "
                "missing): run `conversation-analytics build` first"
            )

    def window(self, days: int | None, error: type[Exception]) -> Window:
        """The trailing window of `days` days, the longest when None; `error`
        when the marts hold no such window."""
        held = {
            int(row[0]): (row[1], row[2])
            for row in self.rows(
                f"select window_days, window_start_at, as_of_at from {self.table(SUMMARY_MART)}"
            )
        }
        if not held:
            raise error(
                f"{self.schema}.{SUMMARY_MART} holds no window: run `conversation-analytics "
                "build` first"
            )
        chosen = max(held) if days is None else days
        if chosen not in held:
            listed = ", ".join(str(d) for d in sorted(held))
            wanted = ", ".join(str(d) for d in sorted({*held, chosen}))
            raise error(
                f"the marts hold no {chosen}-day window (they hold {listed} days): use --days "
                f"{' or --days '.join(str(d) for d in sorted(held))}, or add {chosen} to the dbt "
                "var summary_window_days (dbt_project.yml, or `conversation-analytics build "
                f"--var 'summary_window_days=[{wanted}]'`) and build again"
            )
        start_at, as_of_at = held[chosen]
        return Window(days=chosen, start_at=start_at, as_of_at=as_of_at)
