"""PostgreSQL store: psycopg 3 async, a connection pool, COPY per batch.

Each batch is copied into a session-local temporary table and moved into the
raw table with `insert ... on conflict (id) do nothing`, so a retried batch
never lands twice. That needs a unique index on `id`: the store creates the
raw table with a primary key when it is missing. A raw table made by someone
else without such an index (the bulk loader makes one) still works: the store
then copies straight into it and says so once in the log; staging removes the
duplicates a retry may leave (docs/event-contract.md, deduplication).

Both ways name the six event columns, so the ingestion time `loaded_at` comes
from the column's default `now()` (the time the batch's transaction began,
never the agent's clock), and a raw table without that column works the same.

Connection settings come from `conninfo`, else from libpq's environment
variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
"""

from __future__ import annotations

import logging
import os

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from ...contract import RAW_COLUMNS
from ...raw_table import (
    DEFAULT_RAW_SCHEMA,
    TABLE_NAME,
    MetadataType,
    create_schema_sql,
    create_table_sql,
)
from .base import Row

logger = logging.getLogger("conversation_analytics.tracker")

_BATCH_TABLE = "ca_tracker_batch"

APPLICATION_NAME = "conversation-analytics-tracker"
"""The `application_name` of the store's sessions, unless the conninfo or
PGAPPNAME sets one: it makes them easy to find in pg_stat_activity."""

_UNIQUE_ID_INDEX_SQL = """
select exists (
    select 1
    from pg_index as i
    join pg_attribute as a
        on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where i.indrelid = %s::regclass
        and i.indisunique
        and i.indnkeyatts = 1
        and i.indpred is null
        and a.attname = 'id'
)
"""


class PostgresStore:
    """Writes batches to `<schema>.conversation_events` through a pool.

    Pass `pool` to share an `AsyncConnectionPool` you already run (the store
    then leaves it open on close); otherwise the store makes a small one from
    `conninfo`. `connect_timeout` bounds how long one write waits for a
    connection, so a server that is down fails the attempt quickly and the
    tracker's backoff takes over.
    """

    def __init__(
        self,
        conninfo: str = "",
        *,
        pool: AsyncConnectionPool | None = None,
        schema: str = DEFAULT_RAW_SCHEMA,
        table: str = TABLE_NAME,
        metadata_type: MetadataType = "json",
        max_connections: int = 2,
        connect_timeout: float = 5.0,
    ) -> None:
        self.conninfo = conninfo
        self.schema = schema
        self.table = table
        self.metadata_type = metadata_type
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.has_unique_id: bool | None = None
        self._pool = pool
        self._owns_pool = pool is None
        self._ready = False
        target = sql.Identifier(schema, table)
        columns = sql.SQL(", ").join(sql.Identifier(c) for c in RAW_COLUMNS)
        batch = sql.Identifier(_BATCH_TABLE)
        self._target = target
        self._create_batch = sql.SQL(
            "create temporary table if not exists {batch} "
            "(like {target} including defaults) on commit delete rows"
        ).format(batch=batch, target=target)
        self._copy_batch = sql.SQL("copy {batch} ({columns}) from stdin").format(
            batch=batch, columns=columns
        )
        self._copy_target = sql.SQL("copy {target} ({columns}) from stdin").format(
            target=target, columns=columns
        )
        self._upsert = sql.SQL(
            "insert into {target} ({columns}) select {columns} from {batch} "
            "on conflict (id) do nothing"
        ).format(target=target, columns=columns, batch=batch)

    @property
    def name(self) -> str:
        return f"postgres:{self.schema}.{self.table}"

    async def open(self) -> None:
        if self._pool is None:
            named = "application_name" in conninfo_to_dict(self.conninfo) or os.environ.get(
                "PGAPPNAME"
            )
            self._pool = AsyncConnectionPool(
                self.conninfo,
                kwargs={} if named else {"application_name": APPLICATION_NAME},
                min_size=1,
                max_size=self.max_connections,
                open=False,
                timeout=self.connect_timeout,
                reconnect_timeout=max(60.0, self.connect_timeout),
                name="conversation-analytics-tracker",
            )
        if self._owns_pool and self._pool.closed:
            await self._pool.open(wait=False)
        if self._ready:
            return
        pool = self._pool
        async with pool.connection(timeout=self.connect_timeout) as conn, conn.transaction():
            await conn.execute(create_schema_sql(self.schema))
            await conn.execute(
                create_table_sql(
                    "postgres", self.schema, self.metadata_type, self.table, primary_key=True
                )
            )
            qualified = self._target.as_string(conn)
            cursor = await conn.execute(_UNIQUE_ID_INDEX_SQL, (qualified,))
            row = await cursor.fetchone()
        self.has_unique_id = bool(row and row[0])
        if not self.has_unique_id:
            logger.warning(
                "%s has no unique index on id: writing plain inserts, so a retried "
                "batch may land twice (staging deduplicates by id)",
                self.name,
            )
        self._ready = True

    async def write(self, rows: list[Row]) -> None:
        if not rows:
            return
        if not self._ready or self._pool is None:
            raise psycopg.OperationalError(f"{self.name} is not open")
        pool = self._pool
        async with (
            pool.connection(timeout=self.connect_timeout) as conn,
            conn.transaction(),
            conn.cursor() as cursor,
        ):
            if self.has_unique_id:
                await cursor.execute(self._create_batch)
                copy_sql = self._copy_batch
            else:
                copy_sql = self._copy_target
            async with cursor.copy(copy_sql) as copy:
                for row in rows:
                    await copy.write_row(row)
            if self.has_unique_id:
                await cursor.execute(self._upsert)

    async def close(self) -> None:
        self._ready = False
        if self._pool is not None and self._owns_pool:
            pool, self._pool = self._pool, None
            # Forgotten even when closing fails (its event loop may be gone, at
            # interpreter exit): the next open() makes a new one.
            await pool.close(timeout=self.connect_timeout)

    def is_transient(self, error: BaseException) -> bool:
        # OperationalError covers lost or refused connections, pool time-outs,
        # admin shutdowns, serialisation failures and deadlocks. It also covers
        # class 54, "program limit exceeded" (an id too long for the primary
        # key's btree index): a fault of the batch that no retry fixes.
        if isinstance(error, psycopg.Error) and (error.sqlstate or "").startswith("54"):
            return False
        return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError | OSError)
