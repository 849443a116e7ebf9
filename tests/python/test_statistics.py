"""The interval and significance macros against reference values that
statsmodels and scipy compute independently, on DuckDB and PostgreSQL:
`wilson_bound` (the rates' `*_ci_low` / `*_ci_high` columns),
`proportion_drop_z` and `standard_normal_cdf` (the weekly alert's
`completion_drop_p_value`). Then the marts: every interval column of a
built project equals statsmodels' Wilson interval of the row's counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from conversation_analytics.warehouse import dbt_runner

# (successes, total): the ends, small counts and large ones.
WILSON_CASES = [
    (0, 1), (1, 1), (0, 20), (10, 20), (19, 20), (3, 7), (500, 1000),
    (1, 10_000), (9_999, 10_000), (123_456, 1_000_000),
]
# (before successes, before total, after successes, after total).
DROP_CASES = [
    (8, 8, 1, 8), (4, 5, 3, 5), (80, 100, 70, 100), (450, 1000, 400, 1000),
    (30, 50, 35, 50), (1000, 5000, 900, 5000), (2, 40, 1, 3), (70, 100, 70, 100),
    # No test: all or none completed in both weeks, or a week without any.
    (10, 10, 20, 20), (0, 10, 0, 20), (0, 0, 3, 20),
]
CDF_POINTS = [-8.2, -5.0, -3.1, -1.96, -1.0, -0.25, 0.0, 0.4, 1.6448536, 2.7, 6.0]


class Target:
    """dbt show on one target: the project's macros rendered and run."""

    def __init__(self, name: str, conninfo: str | None, database: Path) -> None:
        self.name = name
        self.conninfo = conninfo
        self.database = database

    def rows(self, sql: str, vars: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        env = {}
        if self.conninfo:
            env["PGDATABASE"] = str(conninfo_to_dict(self.conninfo)["dbname"])
        with dbt_runner.environment(env):
            outcome = dbt_runner.run_dbt(
                ["show", "--inline", sql, "--limit", "-1", "--quiet"],
                target=self.name, duckdb_file=self.database, vars=vars,
            )
        return [tuple(row) for row in outcome.result.results[0].agate_table.rows]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path, dbt_scratch: Path) -> Iterator[Target]:
    conninfo = request.getfixturevalue("postgres_conninfo") if request.param == "postgres" else None
    yield Target(request.param, conninfo, tmp_path / "statistics.duckdb")


def _values(cases: list[tuple[Any, ...]], columns: str) -> str:
    rows = ", ".join("(" + ", ".join(str(value) for value in case) + ")" for case in cases)
    return f"(values {rows}) as cases ({columns})"


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_wilson_bounds_equal_statsmodels(target: Target, level: float) -> None:
    macro = "conversation_analytics.wilson_bound"
    rows = target.rows(
        f"select s, n, {{{{ {macro}('s', 'n', 'low') }}}} as low, "
        f"{{{{ {macro}('s', 'n', 'high') }}}} as high "
        f"from {_values([*WILSON_CASES, (0, 0)], 's, n')} order by n, s",
        vars={"confidence_level": level},
    )
    assert len(rows) == len(WILSON_CASES) + 1
    # No conversations, no interval.
    assert rows[0] == (0, 0, None, None)
    for successes, total, low, high in rows[1:]:
        expected = proportion_confint(int(successes), int(total), alpha=1 - level, method="wilson")
        assert _float(low) == pytest.approx(100 * expected[0], abs=1e-9), (successes, total)
        assert _float(high) == pytest.approx(100 * expected[1], abs=1e-9), (successes, total)


def test_standard_normal_cdf_equals_scipy(target: Target) -> None:
    points = [(value,) for value in CDF_POINTS] + [(-40.0,), (40.0,)]
    rows = target.rows(
        "select x, {{ conversation_analytics.standard_normal_cdf('x') }} as p "
        f"from {_values(points, 'x')} order by x"
    )
    assert len(rows) == len(points)
    for x, p in rows:
        x = float(x)
        if abs(x) > 10:
            # Far out in the tails: no underflow error, the right end.
            assert float(p) == pytest.approx(0.0 if x < 0 else 1.0, abs=1e-300)
        else:
            assert float(p) == pytest.approx(norm.cdf(x), rel=2e-7, abs=1e-15), x


def test_drop_z_and_p_value_equal_statsmodels(target: Target) -> None:
    rows = target.rows(
        "with tested as (select s1, n1, s2, n2, "
        "{{ conversation_analytics.proportion_drop_z('s1', 'n1', 's2', 'n2') }} as z "
        f"from {_values(DROP_CASES, 's1, n1, s2, n2')}) "
        "select s1, n1, s2, n2, z, {{ conversation_analytics.standard_normal_cdf('z') }} as p "
        "from tested order by n1, s1, n2, s2"
    )
    assert len(rows) == len(DROP_CASES)
    for s1, n1, s2, n2, z, p in rows:
        case = (int(s1), int(n1), int(s2), int(n2))
        if 0 in (case[1], case[3]) or case[0] + case[2] in (0, case[1] + case[3]):
            assert (z, p) == (None, None), case
            continue
        expected_z, expected_p = proportions_ztest(
            [case[2], case[0]], [case[3], case[1]], alternative="smaller"
        )
        assert float(z) == pytest.approx(expected_z, rel=1e-9), case
        assert float(p) == pytest.approx(expected_p, rel=2e-7, abs=1e-15), case
