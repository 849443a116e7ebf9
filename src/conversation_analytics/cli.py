"""The `conversation-analytics` command line.

    conversation-analytics simulate --conversations 2000 --output events.jsonl
    conversation-analytics load --target duckdb --input events.jsonl --replace
    conversation-analytics build --target duckdb
    conversation-analytics report --target duckdb --days 7
    conversation-analytics alerts --target duckdb
    conversation-analytics demo

Exit codes: 0 success, 1 a failure the message explains (unreachable server,
missing table, dbt failure), 2 a bad argument; `alerts` also exits 3 when an
alert is open and 4 when it is open and the webhook did not take it. Errors are one line on stderr
saying what to do; set CA_DEBUG=1 to see a traceback for an unexpected error.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
import duckdb
import psycopg

from conversation_analytics import __version__
from conversation_analytics.presentation import alerts as alerts_module
from conversation_analytics.presentation.dashboard import DashboardError, write_dashboard
from conversation_analytics.presentation.report import ReportError, build_report, render_report
from conversation_analytics.raw_table import DEFAULT_RAW_SCHEMA, SPAN_TABLE_NAME, TABLE_NAME
from conversation_analytics.simulation.simulator import (
    JsonlFormatError,
    iter_jsonl,
    run_simulation,
    write_jsonl,
)
from conversation_analytics.warehouse import dbt_runner, loader
from conversation_analytics.warehouse.langfuse import LangfuseFormatError, read_langfuse_export
from conversation_analytics.warehouse.loader import (
    DEFAULT_BATCH_SIZE,
    LoadError,
    describe_conninfo,
    load_events,
    postgres_conninfo,
    raw_table_exists,
    resolve_duckdb_path,
)
from conversation_analytics.warehouse.otlp import OtlpFormatError, iter_otlp_json
from conversation_analytics.warehouse.spark import SparkLoadError, spark_address

DEFAULT_CONVERSATIONS = 2000
DEFAULT_DAYS = 28
DEFAULT_SEED = 42
DEMO_CONVERSATIONS = 3000
DEMO_DAYS = 30

# Errors whose message already says what to do: shown as one line, exit 1.
_EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    LoadError,
    ReportError,
    DashboardError,
    alerts_module.AlertsError,
    dbt_runner.DbtError,
    JsonlFormatError,
    SparkLoadError,
    OtlpFormatError,
    LangfuseFormatError,
    OSError,
    duckdb.Error,
    psycopg.Error,
)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class _Cli(click.Group):
    """A group that turns expected errors into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _EXPECTED_ERRORS as exc:
            raise click.ClickException(_one_line(exc)) from None


# --- shared options -------------------------------------------------------------


def _target_option(targets: tuple[str, ...], help: str) -> Callable[..., Any]:
    return click.option(
        "--target",
        type=click.Choice(targets),
        envvar="CA_TARGET",
        default="duckdb",
        show_default=True,
        show_envvar=True,
        help=help,
    )


# load and build: every warehouse the dbt project runs on.
target_option = _target_option(
    dbt_runner.TARGETS,
    "Warehouse: an embedded DuckDB file, PostgreSQL from the PG* variables, or a Spark "
    "Thrift Server from the CA_SPARK_* variables.",
)
# report and alerts: they read the marts, on every warehouse.
read_target_option = _target_option(
    dbt_runner.TARGETS,
    "Warehouse: an embedded DuckDB file, PostgreSQL from the PG* variables, or a Spark "
    "Thrift Server from the CA_SPARK_* variables (read only).",
)
# erase-user deletes rows: DuckDB and PostgreSQL (Spark's Parquet tables
# have no DELETE; README, "On Apache Spark").
erase_target_option = _target_option(
    ("duckdb", "postgres"),
    "Warehouse: an embedded DuckDB file, or PostgreSQL from the PG* variables.",
)


def duckdb_path_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--duckdb-path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="CA_DUCKDB_PATH",
        default=dbt_runner.DEFAULT_DUCKDB_PATH,
        show_default=True,
        show_envvar=True,
        help="The DuckDB database file (duckdb target).",
    )(func)


def raw_schema_option(default: str | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--raw-schema",
        default=default,
        show_default=default is not None,
        help="Schema of the raw conversation_events table"
        + ("." if default else " (dbt var raw_schema; default raw)."),
    )


def simulation_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--start-date, --days, --seed and --no-faults, shared by simulate and load."""
    options = [
        click.option(
            "--start-date",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            default=None,
            help="First day (UTC), YYYY-MM-DD.  [default: DAYS days before today]",
        ),
        click.option(
            "--days", type=click.IntRange(min=1), default=DEFAULT_DAYS, show_default=True,
            help="How many days the conversations start over.",
        ),
        click.option(
            "--seed", type=int, default=DEFAULT_SEED, show_default=True,
            help="Random seed: the same seed gives the same events.",
        ),
        click.option(
            "--faults/--no-faults", default=True, show_default=True,
            help="Inject delivery faults (duplicates, late rows, broken metadata, ...).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _start_date(value: datetime | None, days: int) -> date:
    if value is not None:
        return value.date()
    return datetime.now(UTC).date() - timedelta(days=days)


@contextmanager
def _step(label: str) -> Iterator[None]:
    """Print `label`, run the block, then its elapsed seconds."""
    click.echo(f"{label} ...", nl=False, err=True)
    began = time.perf_counter()
    try:
        yield
    except BaseException:
        click.echo(" failed", err=True)
        raise
    click.echo(f" done in {time.perf_counter() - began:.1f} s", err=True)


def _where(target: str, duckdb_path: Path) -> str:
    if target == "duckdb":
        return f"DuckDB file {resolve_duckdb_path(duckdb_path)}"
    if target == "spark":
        host, port, _ = spark_address()
        return f"the Spark Thrift Server at {host}:{port}"
    return f"PostgreSQL {describe_conninfo(postgres_conninfo())}"


# --- commands --------------------------------------------------------------------


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conversation-analytics")
def cli() -> None:
    """Conversation analytics for AI agents: simulate raw events, load them into
    DuckDB, PostgreSQL or Spark, build the dbt marts and print the headline report.

    Start with `conversation-analytics demo`. PostgreSQL is reached through
    PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE, a Spark Thrift Server
    through CA_SPARK_HOST, CA_SPARK_PORT and CA_SPARK_USER; CA_TARGET and
    CA_DUCKDB_PATH set the defaults of --target and --duckdb-path.

    Exit codes: 0 success, 1 failure (the message says what to do), 2 bad
    arguments.
    """


@cli.command(short_help="Simulate messy conversation events into a JSONL file.")
@click.option(
    "--conversations", type=click.IntRange(min=1), default=DEFAULT_CONVERSATIONS,
    show_default=True, help="How many conversations to simulate.",
)
@simulation_options
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True, help="JSONL file to write (one event a line).",
)
def simulate(
    conversations: int,
    start_date: datetime | None,
    days: int,
    seed: int,
    faults: bool,
    output: Path,
) -> None:
    """Simulate realistic, messy conversation events into a JSONL file."""
    first = _start_date(start_date, days)
    began = time.perf_counter()
    result = run_simulation(conversations, first, days, seed, faults)
    written = write_jsonl(result.events, output)
    click.echo(result.summary())
    click.echo(f"wrote {written:,} events to {output} in {time.perf_counter() - began:.1f} s")


@cli.command(short_help="Load events (or OpenTelemetry spans) into the raw tables.")
@target_option
@click.argument(
    "file", required=False, type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--input", "input_path", type=click.Path(exists=True, path_type=Path),
    help="The file to load (or give it as FILE): JSONL events (from `simulate` or the "
    "tracker's JSONL store), OTLP JSON with --format otlp-json, or a Langfuse export "
    "file or directory with --format langfuse.",
)
@click.option(
    "--format", "input_format", type=click.Choice(["events-jsonl", "otlp-json", "langfuse"]),
    default="events-jsonl", show_default=True,
    help="events-jsonl: one conversation event a line, into conversation_events. "
    "otlp-json: the OpenTelemetry Collector's file exporter output (one "
    "ExportTraceServiceRequest a line), one row per span into the span table "
    "(docs/opentelemetry.md). langfuse: a Langfuse export's traces, observations and "
    "scores into langfuse_traces, langfuse_observations, langfuse_scores in "
    "--raw-schema (docs/langfuse.md).",
)
@click.option(
    "--span-schema", default=None,
    help="Schema of the span table (dbt var otel_spans_schema).  [default: --raw-schema]",
)
@click.option(
    "--span-table", default=SPAN_TABLE_NAME, show_default=True,
    help="Name of the span table (dbt var otel_spans_table).",
)
@click.option(
    "--conversations", type=click.IntRange(min=1), default=None,
    help="Simulate this many conversations instead of reading --input.",
)
@simulation_options
@click.option(
    "--replace", is_flag=True,
    help="Drop and recreate the raw table first (on PostgreSQL the views built on it go "
    "too; build with --full-refresh afterwards).",
)
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE, show_default=True,
    help="Rows per insert (DuckDB) or COPY (PostgreSQL).",
)
@click.option(
    "--metadata-type", type=click.Choice(["json", "text"]), default="json", show_default=True,
    help="Column type for metadata when the table is created: json/jsonb or text.",
)
@click.option(
    "--timestamp-type", type=click.Choice(["timestamptz", "timestamp"]), default="timestamptz",
    show_default=True,
    help="Column type for timestamp when the table is created: with time zone, or without "
    "(holding UTC wall-clock times).",
)
@click.option(
    "--no-ingestion-column", "no_ingestion_column", is_flag=True,
    help="Create the table without the ingestion-time column loaded_at (as tables made "
    "before it existed; they load and build the same).",
)
@raw_schema_option(DEFAULT_RAW_SCHEMA)
@duckdb_path_option
def load(
    target: str,
    file: Path | None,
    input_path: Path | None,
    input_format: str,
    span_schema: str | None,
    span_table: str,
    conversations: int | None,
    start_date: datetime | None,
    days: int,
    seed: int,
    faults: bool,
    replace: bool,
    batch_size: int,
    metadata_type: str,
    timestamp_type: str,
    no_ingestion_column: bool,
    raw_schema: str,
    duckdb_path: Path,
) -> None:
    """Load raw events into <raw-schema>.conversation_events, or, with
    --format otlp-json, OpenTelemetry spans into <span-schema>.<span-table>
    (build with --vars '{otel_spans_enabled: true}' to read them)."""
    if file is not None and input_path is not None:
        raise click.UsageError("give the file once: as FILE or as --input FILE")
    input_path = input_path or file
    if (input_path is None) == (conversations is None):
        raise click.UsageError("give exactly one of --input FILE or --conversations N")
    if input_path is not None and input_path.is_dir() and input_format != "langfuse":
        raise click.UsageError(f"{input_path} is a directory: only --format langfuse reads one")
    if input_format == "langfuse":
        if input_path is None:
            raise click.UsageError("--format langfuse reads a file or directory: give FILE")
        counts = loader.load_langfuse(
            read_langfuse_export(input_path), target,  # type: ignore[arg-type]
            raw_schema=raw_schema, replace=replace, batch_size=batch_size,
            duckdb_path=duckdb_path,
        )
        click.echo(
            "loaded " + ", ".join(f"{n:,} {t.removeprefix('langfuse_')}" for t, n in counts.items())
            + f" from {input_path} into {raw_schema}.langfuse_* ({_where(target, duckdb_path)})"
        )
        return
    if input_format == "otlp-json":
        if input_path is None:
            raise click.UsageError("--format otlp-json reads a file: give FILE or --input FILE")
        began = time.perf_counter()
        count = loader.load_spans(
            iter_otlp_json(input_path),
            target,  # type: ignore[arg-type]
            raw_schema=raw_schema,
            span_schema=span_schema,
            span_table=span_table,
            replace=replace,
            batch_size=batch_size,
            duckdb_path=duckdb_path,
        )
        seconds = time.perf_counter() - began
        click.echo(
            f"loaded {count:,} spans from {input_path} into "
            f"{span_schema or raw_schema}.{span_table} ({_where(target, duckdb_path)}) "
            f"in {seconds:.1f} s"
        )
        return
    events: Any
    if input_path is not None:
        events, source = iter_jsonl(input_path), str(input_path)
    else:
        assert conversations is not None
        result = run_simulation(conversations, _start_date(start_date, days), days, seed, faults)
        events, source = result.events, f"{conversations:,} simulated conversations"
    began = time.perf_counter()
    count = load_events(
        events,
        target,  # type: ignore[arg-type]
        raw_schema=raw_schema,
        replace=replace,
        batch_size=batch_size,
        metadata_type=metadata_type,  # type: ignore[arg-type]
        timestamp_type=timestamp_type,  # type: ignore[arg-type]
        duckdb_path=duckdb_path,
        ingestion_column=not no_ingestion_column,
    )
    seconds = time.perf_counter() - began
    rate = f", {count / seconds:,.0f} events/s" if seconds > 0 else ""
    click.echo(
        f"loaded {count:,} events from {source} into {raw_schema}.{TABLE_NAME} "
        f"({_where(target, duckdb_path)}) in {seconds:.1f} s{rate}"
    )


def _parse_vars(values: tuple[str, ...]) -> dict[str, Any]:
    """`key=value` pairs; values are read as JSON when they parse (numbers,
    booleans, null), else as text."""
    parsed: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not key=value", param_hint="--var")
        try:
            parsed[key.strip()] = json.loads(raw)
        except ValueError:
            parsed[key.strip()] = raw
    return parsed


def _require_raw_table(
    target: str, raw_schema: str, duckdb_path: Path, raw_table: str = TABLE_NAME
) -> None:
    if not raw_table_exists(
        target, raw_schema=raw_schema, duckdb_path=duckdb_path, raw_table=raw_table  # type: ignore[arg-type]
    ):
        raise click.ClickException(
            f"no raw table {raw_schema}.{raw_table} in {_where(target, duckdb_path)}: "
            "run `conversation-analytics load` first"
        )


def _lock_timeout_hint(began: float) -> str:
    """One line when the run that just failed hit PostgreSQL's lock timeout
    (its run_results.json says so), else ''."""
    with suppress(OSError, ValueError, dbt_runner.DbtError):
        results = (
            dbt_runner.find_project_dir() / os.environ.get("DBT_TARGET_PATH", "target")
        ) / "run_results.json"
        if results.stat().st_mtime >= began and "due to lock timeout" in results.read_text():
            return (
                "\nhint: another session (a BI query, another run) held a lock on a "
                "relation this run rebuilds for longer than CA_PG_LOCK_TIMEOUT (default "
                "60s): retry when it ends, or raise CA_PG_LOCK_TIMEOUT"
            )
    return ""


def _run_build(
    target: str,
    duckdb_path: Path,
    *,
    extra: list[str],
    variables: dict[str, Any],
) -> None:
    began = time.time()
    try:
        dbt_runner.run_dbt(
            ["build", *extra],
            target=target,
            vars=variables or None,
            duckdb_file=duckdb_path if target == "duckdb" else None,
        )
    except dbt_runner.DbtError as exc:
        raise click.ClickException(
            f"{_one_line(exc)}: see dbt's output above for the failing model or test, "
            "fix it, then run `conversation-analytics build` again"
            + (_lock_timeout_hint(began) if target == "postgres" else "")
        ) from None


@cli.command()
@target_option
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@click.option(
    "--select", "-s", "selects", multiple=True, metavar="SELECTOR",
    help="dbt node selection (repeatable), e.g. marts or +conversation_metrics_daily.",
)
@click.option(
    "--var", "variables", multiple=True, metavar="KEY=VALUE",
    help="dbt var (repeatable), e.g. --var inactivity_timeout_minutes=45.",
)
@raw_schema_option(None)
@duckdb_path_option
def build(
    target: str,
    full_refresh: bool,
    selects: tuple[str, ...],
    variables: tuple[str, ...],
    raw_schema: str | None,
    duckdb_path: Path,
) -> None:
    """Run `dbt build` (models and tests) on the target."""
    parsed = _parse_vars(variables)
    if raw_schema is not None:
        parsed["raw_schema"] = raw_schema
    if parsed.get("raw_database") is None:  # another database: dbt says if it is missing
        _require_raw_table(
            target,
            str(parsed.get("raw_schema", DEFAULT_RAW_SCHEMA)),
            duckdb_path,
            str(parsed.get("raw_table", TABLE_NAME)),
        )
    extra = ["--full-refresh"] if full_refresh else []
    for selector in selects:
        extra += ["--select", selector]
    began = time.perf_counter()
    _run_build(target, duckdb_path, extra=extra, variables=parsed)
    click.echo(f"dbt build on {target} passed in {time.perf_counter() - began:.1f} s")


@cli.command("erase-user", short_help="Erase users' conversations from raw and every model.")
@erase_target_option
@click.argument("user_ids", nargs=-1, required=True, metavar="USER_ID...")
@raw_schema_option(None)
@duckdb_path_option
def erase_user(
    target: str, user_ids: tuple[str, ...], raw_schema: str | None, duckdb_path: Path
) -> None:
    """Delete every event of every conversation each USER_ID took part in
    from the raw table and staging (dbt run-operation erase_user_events),
    then rebuild the models without them (dbt build --full-refresh)."""
    variables: dict[str, Any] = {} if raw_schema is None else {"raw_schema": raw_schema}
    _require_raw_table(target, str(variables.get("raw_schema", DEFAULT_RAW_SCHEMA)), duckdb_path)
    for user_id in user_ids:
        if not user_id.strip():
            raise click.BadParameter("a user id cannot be blank", param_hint="USER_ID")
        try:
            dbt_runner.run_dbt(
                ["run-operation", "erase_user_events", "--args", json.dumps({"user_id": user_id})],
                target=target,
                vars=variables or None,
                duckdb_file=duckdb_path if target == "duckdb" else None,
            )
        except dbt_runner.DbtError as exc:
            raise click.ClickException(
                f"{_one_line(exc)}: nothing after that user was erased; run the command again"
            ) from None
    _run_build(target, duckdb_path, extra=["--full-refresh"], variables=variables)
    click.echo(f"erased {len(user_ids)} user(s) on {target}: raw, staging and every model")


@cli.command(short_help="Print headline metrics, per agent, and top abandon turns.")
@read_target_option
@click.option(
    "--days", type=click.IntRange(min=1), default=None,
    help="The trailing window of N days up to the as-of time; one the marts hold "
    "(dbt var summary_window_days).  [default: the longest]",
)
@click.option(
    "--html", "html_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None, metavar="FILE",
    help="Write the dashboard to FILE instead: one self-contained HTML page "
    "(charts inline, no network) from the marts.",
)
@duckdb_path_option
def report(target: str, days: int | None, html_path: Path | None, duckdb_path: Path) -> None:
    """Print the headline metrics, per agent, and the top abandon turns; or,
    with --html FILE, write the dashboard page."""
    if html_path is not None:
        written = write_dashboard(target, html_path, days=days, duckdb_path=duckdb_path)  # type: ignore[arg-type]
        click.echo(f"wrote the dashboard to {written}")
        return
    result = build_report(target, days=days, duckdb_path=duckdb_path)  # type: ignore[arg-type]
    click.echo(render_report(result))


@cli.command(short_help="Print the open weekly alerts; post them to a webhook.")
@read_target_option
@duckdb_path_option
def alerts(target: str, duckdb_path: Path) -> None:
    """Print the open weekly alerts (completion fell, significantly, in a
    complete week; from agent_alert_history) and, when the environment
    variable CA_ALERT_WEBHOOK_URL is set, post them to it as Slack-compatible
    JSON, retrying a failure twice.

    \b
    Exit codes, for schedulers:
      0  no open alert
      3  open alerts (posted, when the webhook is set)
      4  open alerts, and the webhook did not take them (the reason is on stderr)
      1  the alerts cannot be read (the message says what to do)
    """
    found = alerts_module.open_alerts(target, duckdb_path=duckdb_path)  # type: ignore[arg-type]
    click.echo(alerts_module.render_alerts(found))
    delivery = None
    url = os.environ.get(alerts_module.WEBHOOK_ENV, "").strip()
    if found and url:
        delivery = alerts_module.post_webhook(url, alerts_module.webhook_payload(found))
        if delivery.delivered:
            click.echo(f"posted to the webhook ({delivery.detail})")
        else:
            click.echo(
                f"Warning: the webhook did not take the alerts after {delivery.attempts} "
                f"attempt{'s' if delivery.attempts != 1 else ''}: {delivery.detail}",
                err=True,
            )
    click.get_current_context().exit(alerts_module.exit_code(found, delivery))


@cli.command(short_help="Simulate, load, build and report on DuckDB in one go.")
@click.option(
    "--conversations", type=click.IntRange(min=1), default=DEMO_CONVERSATIONS,
    show_default=True, help="How many conversations to simulate.",
)
@click.option(
    "--days", type=click.IntRange(min=1), default=DEMO_DAYS, show_default=True,
    help="Days of history, ending today.",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed.")
@click.option(
    "--html", "html_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None, metavar="FILE",
    help="Where to write the dashboard page.  [default: beside the DuckDB file, "
    "<name>_dashboard.html]",
)
@click.option(
    "--replace", is_flag=True,
    help="Replace a raw table that an earlier demo did not write (your own events).",
)
@duckdb_path_option
def demo(
    conversations: int,
    days: int,
    seed: int,
    html_path: Path | None,
    replace: bool,
    duckdb_path: Path,
) -> None:
    """Simulate a month of messy events into DuckDB, build the marts, print the
    report and write the dashboard. The demo replaces only a raw table it
    wrote itself, unless --replace is given."""
    comment = loader.duckdb_raw_table_comment(duckdb_path)
    if comment is not None and comment != loader.DEMO_TABLE_COMMENT and not replace:
        raise click.ClickException(
            f"{duckdb_path} already holds raw.{TABLE_NAME}, which the demo did not write: "
            "pass --replace to overwrite it, or --duckdb-path NEW.duckdb for a separate demo"
        )
    began = time.perf_counter()
    first = _start_date(None, days)
    with _step(f"[1/4] simulate {conversations:,} conversations over {days} days"):
        result = run_simulation(conversations, first, days, seed, faults=True)
    with _step(f"[2/4] load {len(result.events):,} events into {duckdb_path}"):
        load_events(result.events, "duckdb", replace=True, duckdb_path=duckdb_path)
        loader.mark_duckdb_raw_table(loader.DEMO_TABLE_COMMENT, duckdb_path)
    with _step("[3/4] dbt build (models and tests)"):
        # The raw table was just replaced: rebuild the incremental models
        # from it, or they would keep events of an earlier demo.
        _run_build("duckdb", duckdb_path, extra=["--quiet", "--full-refresh"], variables={})
    with _step("[4/4] report and dashboard"):
        text = render_report(build_report("duckdb", duckdb_path=duckdb_path))
        page = write_dashboard(
            "duckdb",
            html_path or duckdb_path.with_name(f"{duckdb_path.stem}_dashboard.html"),
            duckdb_path=duckdb_path,
        )
    click.echo()
    click.echo(text)
    click.echo()
    default_path = str(duckdb_path) == dbt_runner.DEFAULT_DUCKDB_PATH
    path_option = "" if default_path else f" --duckdb-path {duckdb_path}"
    click.echo(f"dashboard: {page}")
    click.echo(
        f"demo finished in {time.perf_counter() - began:.1f} s; explore {duckdb_path} "
        "(schemas analytics_marts, analytics_staging) or run "
        f"`conversation-analytics report --days 7{path_option}`"
    )


@cli.command(short_help="Scale benchmark: full and incremental builds, marts against raw.")
@click.option(
    "--target", type=click.Choice(["duckdb", "postgres", "spark", "both"]), default="both",
    show_default=True,
    help="Warehouse(s) to benchmark; both runs DuckDB, then PostgreSQL. spark: the "
    "Thrift Server of CA_SPARK_HOST/CA_SPARK_PORT, in databases of its own, dropped.",
)
@click.option(
    "--events", type=click.IntRange(min=1000), default=1_000_000, show_default=True,
    help="Events to simulate (DuckDB; PostgreSQL or Spark too with --target postgres/spark).",
)
@click.option(
    "--pg-events", type=click.IntRange(min=1000), default=None,
    help="Events for PostgreSQL with --target both.  [default: --events, at most 1,000,000]",
)
@click.option(
    "--history-events", type=click.IntRange(min=1000), default=None, metavar="N",
    help="DuckDB: run again at N events and judge how the incremental build grew with "
    "the history (e.g. --events 10000000 --history-events 1000000).",
)
@click.option(
    "--days", type=click.IntRange(min=2), default=28, show_default=True,
    help="Days of history before the appended day.",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed.")
@click.option(
    "--window-days", type=click.IntRange(min=1), default=7, show_default=True,
    help="The article's window for its two questions (days up to the last day).",
)
@click.option(
    "--repeat", type=click.IntRange(min=1), default=3, show_default=True,
    help="Runs of each query; the median is reported.",
)
@click.option(
    "--keep", is_flag=True,
    help="Keep the work folder (DuckDB file, dbt run_results.json) and the PostgreSQL database.",
)
@click.option(
    "--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where to make the work folder.  [default: the system's temporary folder]",
)
@click.option(
    "--duckdb-memory-limit", metavar="SIZE", default=None,
    help=(
        "Run dbt and the comparison queries with DuckDB's memory_limit set (e.g. 3GB)."
        "  [default: the profile's, CA_DUCKDB_MEMORY_LIMIT or 2GB]"
    ),
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Also write the figures to this JSON file.",
)
def bench(
    target: str,
    events: int,
    pg_events: int | None,
    history_events: int | None,
    days: int,
    seed: int,
    window_days: int,
    repeat: int,
    keep: bool,
    workdir: Path | None,
    duckdb_memory_limit: str | None,
    json_path: Path | None,
) -> None:
    """Simulate events, time a full build, append a day (late and re-delivered
    events) and time an incremental build, then time the article's two
    questions on the raw table against the marts; print the table and which
    targets are met (docs/benchmark.md). PostgreSQL: a fresh database on the
    server of the PG* variables, dropped at the end. Exits 1 if a step fails or
    the marts disagree with the raw answers."""
    from conversation_analytics.benchmarks import pipeline as benchmark

    results = benchmark.run_targets(
        target, events, pg_events, history_events=history_events, days=days, seed=seed,
        window_days=window_days,
        repeat=repeat, keep=keep, workdir=workdir, duckdb_memory_limit=duckdb_memory_limit,
        progress=lambda line: click.echo(line, err=True),
    )
    for result in results:
        click.echo()
        click.echo(benchmark.render(result))
    if json_path is not None:
        benchmark.write_json(results, json_path)
    mismatch = "the marts disagree with the raw answers (MISMATCH above)"
    failed = [f"{r.target}: {r.error or mismatch}" for r in results if not r.ok]
    if failed:
        raise click.ClickException("; ".join(failed))


@cli.command(
    "bench-tracker",
    short_help="Benchmark the tracker (arguments go to the benchmark).",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def bench_tracker(ctx: click.Context, args: tuple[str, ...]) -> None:
    """The tracker's cost per call and throughput into each store; arguments go
    to the benchmark (see `bench-tracker --help`)."""
    try:
        from conversation_analytics.benchmarks import tracker as bench
    except ImportError as exc:
        if "--help" in args or "-h" in args:
            click.echo(ctx.get_help())
        raise click.ClickException(
            f"the tracker benchmark is not available (cannot import "
            f"conversation_analytics.benchmarks.tracker: {exc}): reinstall the package "
            "with `pip install -e .`"
        ) from None
    try:
        code = bench.main(list(args))
    except SystemExit as exc:  # argparse exits for --help and bad arguments
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    ctx.exit(code or 0)


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the command line, hiding tracebacks of
    unexpected errors unless CA_DEBUG=1."""
    try:
        cli.main(args=argv, prog_name="conversation-analytics")
    except Exception as exc:  # noqa: BLE001 - last resort, see docstring
        if os.environ.get("CA_DEBUG") == "1":
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {_one_line(exc)} "
            "(rerun with CA_DEBUG=1 for the traceback, and please report it)"
        )


if __name__ == "__main__":
    main()
