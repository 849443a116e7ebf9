"""The semantic layer: `mf query` (dbt-metricflow) on DuckDB answers with the
marts' numbers, at day, week and month grain, by agent, channel and model;
the saved queries run; the extending guide's worked example builds and adds
a working dimension and metric.

One build per module, in a copy of the project: `mf` reads
`<project>/target/semantic_manifest.json`, so the copy keeps the repository's
own target/ untouched.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conversation_analytics.simulation.simulator import run_simulation
from conversation_analytics.warehouse import dbt_runner, loader
from decimal_rounding import round_half_up

REPO = Path(__file__).resolve().parents[2]
PROJECT_PARTS = ("models", "macros", "seeds", "analyses", "tests/generic", "tests/singular")
PROJECT_FILES = ("dbt_project.yml", "profiles.example.yml")
MARTS = dbt_runner.layer_schema("duckdb", "marts")
TOLERANCE = 1e-9


def executable(name: str) -> str:
    """`dbt` or `mf` beside this Python (the venv), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed: pip install -e '.[pipeline,dev]'", pytrace=False)
    return found


def run_tool(
    name: str, args: list[str], *, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [executable(name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, (
        f"{name} {' '.join(args)} failed ({completed.returncode}):\n"
        f"{completed.stdout[-4000:]}\n{completed.stderr[-3000:]}"
    )
    return completed


def copy_project(folder: Path, target: str, database: Path) -> dict[str, str]:
    """Copy the dbt project (and its example profile) into `folder`; return the
    environment that runs dbt and `mf` there on `target` (DuckDB: `database`)."""
    for part in PROJECT_PARTS:
        shutil.copytree(REPO / part, folder / part)
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, folder / name)
    profiles = folder / ".dbt"
    profiles.mkdir()
    shutil.copy2(REPO / "profiles.example.yml", profiles / "profiles.yml")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBT_TARGET_PATH", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR")
    }
    env.update(
        DBT_PROFILES_DIR=str(profiles),
        DBT_PROJECT_DIR=str(folder),
        CA_TARGET=target,
        CA_DUCKDB_PATH=str(database),
    )
    return env


@dataclass
class SemanticProject:
    folder: Path
    database: Path
    env: dict[str, str]

    def mf(self, *args: str) -> list[dict[str, str]]:
        """Run `mf query ARGS` and return its rows (CSV, full precision)."""
        out = self.folder / "mf-out.csv"
        out.unlink(missing_ok=True)
        run_tool("mf", ["query", *args, "--csv", str(out), "--quiet"], cwd=self.folder,
                 env=self.env)
        assert out.is_file(), f"mf query {' '.join(args)} wrote no CSV"
        with out.open(newline="") as handle:
            return list(csv.DictReader(handle))

    def relation(self, model: str) -> str:
        """Where dbt built `model` (from the manifest, so folder configs can move it)."""
        manifest = json.loads((self.folder / "target" / "manifest.json").read_text())
        return manifest["nodes"][f"model.conversation_analytics.{model}"]["relation_name"]

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with closing(duckdb.connect(str(self.database), read_only=True)) as connection:
            return connection.execute(query).fetchall()


@pytest.fixture(scope="module")
def semantic_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SemanticProject]:
    folder = tmp_path_factory.mktemp("semantic") / "project"
    database = folder.parent / "semantic.duckdb"
    env = copy_project(folder, "duckdb", database)
    profiles = Path(env["DBT_PROFILES_DIR"])

    simulation = run_simulation(600, date(2026, 10, 5), 28, seed=23, faults=True)
    loader.load_events(simulation.events, "duckdb", replace=True, duckdb_path=database)

    # dbt in a subprocess: in-process, dbt-duckdb would keep the file locked
    # against `mf`. Models, then the tests of the semantic layer (the whole
    # project's tests run in the pipeline tests).
    for command in (
        ["seed"],
        ["run"],
        ["test", "--select", "path:models/semantic"],
    ):
        run_tool(
            "dbt",
            [
                *command,
                "--project-dir", str(folder),
                "--profiles-dir", str(profiles),
                "--target-path", str(folder / "target"),
            ],
            cwd=folder,
            env=env,
        )
    assert (folder / "target" / "semantic_manifest.json").is_file()
    yield SemanticProject(folder=folder, database=database, env=env)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _number(value: str) -> float | None:
    return None if value in ("", "None", "nan") else float(value)


def _percent(fraction: str) -> float | None:
    """An mf ratio (a fraction) as the marts publish a rate."""
    value = _number(fraction)
    return None if value is None else round_half_up(100 * value, 1)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


# --- acceptance: mf query equals the marts -------------------------------------------


def test_mf_completion_rate_by_week_and_agent_equals_agent_performance_weekly(
    semantic_project: SemanticProject,
) -> None:
    rows = semantic_project.mf(
        "--metrics", "completion_rate,conversations,completed_conversations",
        "--group-by", "metric_time__week,conversation__agent_id",
    )
    mart = {
        (_day(week), agent): (total, completed, rate)
        for week, agent, total, completed, rate in semantic_project.sql(
            "select week_start, agent_id, total_conversations, completed_conversations, "
            f"completion_rate from {MARTS}.agent_performance_weekly"
        )
    }
    answered = {
        (_day(r["metric_time__week"]), r["conversation__agent_id"]): r for r in rows
    }
    assert answered.keys() == mart.keys()
    assert len(mart) >= 10
    for key, (total, completed, rate) in mart.items():
        row = answered[key]
        assert int(row["conversations"]) == total, key
        assert int(row["completed_conversations"]) == completed, key
        assert _percent(row["completion_rate"]) == rate, key
        assert _close(float(row["completion_rate"]), completed / total), key


def test_mf_rates_and_averages_by_day_agent_channel_equal_conversation_metrics_daily(
    semantic_project: SemanticProject,
) -> None:
    rows = semantic_project.mf(
        "--metrics",
        "conversations,abandonment_rate,handoff_rate,rephrase_rate,average_turns,"
        "average_completed_duration_seconds,average_satisfaction",
        "--group-by", "metric_time__day,conversation__agent_id,conversation__channel",
    )
    mart = {
        (_day(day), agent, channel): values
        for day, agent, channel, *values in semantic_project.sql(
            "select started_date, agent_id, channel, total_conversations, abandonment_rate, "
            "handoff_rate, rephrase_rate, avg_turns, avg_duration_seconds, "
            "avg_satisfaction_score, sum_satisfaction_score "
            f"from {MARTS}.conversation_metrics_daily"
        )
    }
    answered = {
        (_day(r["metric_time__day"]), r["conversation__agent_id"], r["conversation__channel"]): r
        for r in rows
    }
    assert answered.keys() == mart.keys()
    for key, values in mart.items():
        total, abandonment, handoff, rephrase, turns, duration, satisfaction, sum_score = values
        row = answered[key]
        assert int(row["conversations"]) == total, key
        assert _percent(row["abandonment_rate"]) == abandonment, key
        assert _percent(row["handoff_rate"]) == handoff, key
        assert _percent(row["rephrase_rate"]) == rephrase, key
        assert round_half_up(_number(row["average_turns"]), 1) == turns, key
        assert round_half_up(_number(row["average_completed_duration_seconds"]), 0) == duration
        assert round_half_up(_number(row["average_satisfaction"]), 3) == satisfaction, key
        assert _close(_number(row["average_satisfaction"]), sum_score / total), key


def test_mf_month_grain_re_aggregates_the_daily_sums(semantic_project: SemanticProject) -> None:
    rows = semantic_project.mf(
        "--metrics", "conversations,completion_rate,average_satisfaction",
        "--group-by", "metric_time__month",
    )
    sums: dict[date, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for day, total, completed, satisfaction in semantic_project.sql(
        "select started_date, total_conversations, completed_conversations, "
        f"sum_satisfaction_score from {MARTS}.conversation_metrics_daily"
    ):
        month = _day(day).replace(day=1)
        sums[month][0] += total
        sums[month][1] += completed
        sums[month][2] += satisfaction
    answered = {_day(r["metric_time__month"]): r for r in rows}
    assert answered.keys() == sums.keys()
    for month, (total, completed, satisfaction) in sums.items():
        assert int(answered[month]["conversations"]) == total
        assert _close(float(answered[month]["completion_rate"]), completed / total)
        assert _close(float(answered[month]["average_satisfaction"]), satisfaction / total)


def test_mf_model_dimension_equals_model_performance(semantic_project: SemanticProject) -> None:
    rows = semantic_project.mf(
        "--metrics", "model_conversations,model_completion_rate,model_agent_responses",
        "--group-by", "metric_time__week,conversation_model__model",
    )
    mart = {
        (_day(week), model): (total, rate, responses)
        for week, model, total, rate, responses in semantic_project.sql(
            "select week_start, model, total_conversations, completion_rate, agent_responses "
            f"from {MARTS}.model_performance"
        )
    }
    answered = {
        (_day(r["metric_time__week"]), r["conversation_model__model"]): r for r in rows
    }
    assert answered.keys() == mart.keys()
    for key, (total, rate, responses) in mart.items():
        assert int(answered[key]["model_conversations"]) == total, key
        assert _percent(answered[key]["model_completion_rate"]) == rate, key
        assert int(answered[key]["model_agent_responses"]) == responses, key


# --- saved queries ---------------------------------------------------------------------


def test_saved_query_conversation_metrics_equals_the_daily_mart_totals(
    semantic_project: SemanticProject,
) -> None:
    (row,) = semantic_project.mf("--saved-query", "conversation_metrics")
    (totals,) = semantic_project.sql(
        "select sum(total_conversations), sum(completed_conversations), "
        "sum(abandoned_conversations), sum(handoff_conversations), sum(sum_user_turns), "
        "sum(sum_duration_seconds), sum(sum_satisfaction_score) "
        f"from {MARTS}.conversation_metrics_daily"
    )
    total, completed, abandoned, handoff, turns, duration, satisfaction = totals
    assert int(row["conversations"]) == total
    assert _close(float(row["completion_rate"]), completed / total)
    assert _close(float(row["abandonment_rate"]), abandoned / total)
    assert _close(float(row["handoff_rate"]), handoff / total)
    assert _close(float(row["average_turns"]), turns / total)
    assert _close(float(row["average_completed_duration_seconds"]), duration / completed)
    assert _close(float(row["average_satisfaction"]), satisfaction / total)


def test_saved_query_abandon_turns_equals_conversation_drop_off(
    semantic_project: SemanticProject,
) -> None:
    rows = semantic_project.mf("--saved-query", "abandon_turns")
    mart = dict(
        semantic_project.sql(
            "select abandon_turn, sum(abandon_count) "
            f"from {MARTS}.conversation_drop_off group by abandon_turn"
        )
    )
    answered = {
        int(r["conversation__abandoned_at_turn"]): int(r["abandoned_conversations"])
        for r in rows
    }
    assert answered == mart
    assert sum(answered.values()) > 0


def test_every_metric_and_saved_query_is_documented(semantic_project: SemanticProject) -> None:
    manifest = json.loads(
        (semantic_project.folder / "target" / "semantic_manifest.json").read_text()
    )
    metrics = {m["name"]: m for m in manifest["metrics"]}
    for name in (
        "conversations", "completion_rate", "abandonment_rate", "handoff_rate",
        "rephrase_rate", "average_turns", "average_completed_duration_seconds",
        "average_satisfaction",
    ):
        assert name in metrics, name
    for ratio in ("completion_rate", "abandonment_rate", "handoff_rate", "rephrase_rate"):
        assert metrics[ratio]["type"] == "ratio"
    undocumented = [
        m["name"] for m in manifest["metrics"] if not (m.get("description") and m.get("label"))
    ]
    assert undocumented == []
    assert all(q.get("description") for q in manifest["saved_queries"])
    models = {m["name"]: m for m in manifest["semantic_models"]}
    dimensions = {d["name"] for d in models["conversations"]["dimensions"]}
    assert {"agent_id", "channel", "outcome", "started_at"} <= dimensions
    assert {d["name"] for d in models["conversation_models"]["dimensions"]} >= {"model"}
    assert manifest["project_configuration"]["time_spines"]


# --- documentation ---------------------------------------------------------------------------


def test_docs_generate_and_every_model_and_column_is_described(
    semantic_project: SemanticProject,
) -> None:
    run_tool(
        "dbt",
        [
            "docs", "generate",
            "--project-dir", str(semantic_project.folder),
            "--target-path", str(semantic_project.folder / "target"),
        ],
        cwd=semantic_project.folder,
        env=semantic_project.env,
    )
    target = semantic_project.folder / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    models = {
        key: node
        for key, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "conversation_analytics"
    }
    assert "model.conversation_analytics.metricflow_time_spine" in models
    undescribed_models = sorted(n["name"] for n in models.values() if not n["description"].strip())
    assert undescribed_models == []
    # The metadata keys' columns are described where the keys are declared
    # (macros/metadata/metadata_keys.sql), in staging and in the models that
    # carry them to the conversation; the public marts describe their own.
    declared = json.loads(
        run_tool(
            "dbt",
            [
                "compile", "--quiet", "--inline",
                "{{ tojson(conversation_analytics.metadata_keys()) }}",
                "--project-dir", str(semantic_project.folder),
                "--target-path", str(semantic_project.folder / "target"),
            ],
            cwd=semantic_project.folder,
            env=semantic_project.env,
        ).stdout
    )
    assert [key["name"] for key in declared if not key["description"].strip()] == []
    key_docs = {key["name"]: key["description"].strip() for key in declared}
    keys_documented_in = {
        "stg_conversation_events",
        "int_events_rolled_up_to_conversations",
        "int_conversations_scored",
    }
    undescribed_columns = []
    for key, node in models.items():
        built_columns = catalog["nodes"].get(key, {}).get("columns", {})
        assert built_columns, f"{node['name']} is missing from the catalog"
        documented = {
            **(key_docs if node["name"] in keys_documented_in else {}),
            **{
                name.lower(): column.get("description", "").strip()
                for name, column in node["columns"].items()
            },
        }
        undescribed_columns += [
            f"{node['name']}.{name}" for name in built_columns if not documented.get(name.lower())
        ]
    assert undescribed_columns == []
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert "model.conversation_analytics.agent_performance_weekly" in (
        exposures["conversation_dashboard"]["depends_on"]["nodes"]
    )
    assert (target / "index.html").is_file()
