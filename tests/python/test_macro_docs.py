"""Every macro of the project is documented (house style: "Every macro and
argument is described in a macros yml", macros/_macros.yml).

`dbt parse` writes the manifest; each macro of the package must have a
description, and the arguments documented for it must be exactly the
parameters of its `{% macro name(...) %}` signature, in order, each with a
type dbt accepts and a description. Generic tests (`{% test %}` blocks under
tests/generic) are held to the same rule in tests/generic/_generic_tests.yml,
and the ones copied from dbt-utils must keep dbt-utils' signatures, so that a
project can switch to `dbt_utils.<name>` without touching its ymls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest
from dbt.parser.schemas import is_valid_type
from dbt_common.clients.jinja import parse as parse_jinja
from dbt_common.utils.jinja import MACRO_PREFIX

from conversation_analytics.warehouse.dbt_runner import run_dbt

PACKAGE = "conversation_analytics"
REPO = Path(__file__).resolve().parents[2]


# dbt-utils' signatures of the generic tests the project copies (parameter
# names in order; dbt-utils 1.x, macros/generic_tests/).
DBT_UTILS_SIGNATURES = {
    "test_accepted_range": ["model", "column_name", "min_value", "max_value", "inclusive"],
    "test_expression_is_true": ["model", "expression", "column_name"],
    "test_unique_combination_of_columns": ["model", "combination_of_columns", "quote_columns"],
}


@pytest.fixture(scope="module")
def package_macros(
    dbt_scratch: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    """The package's macros and generic tests from a fresh manifest."""
    database = tmp_path_factory.mktemp("macro_docs") / "parse.duckdb"
    run_dbt(["parse", "--quiet"], target="duckdb", project_dir=REPO, duckdb_file=database)
    manifest = json.loads((dbt_scratch / "target" / "manifest.json").read_text())
    return [macro for macro in manifest["macros"].values() if macro["package_name"] == PACKAGE]


@pytest.fixture(scope="module")
def project_macros(package_macros: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The project's macros, by name, without the generic tests."""
    return {
        macro["name"]: macro
        for macro in package_macros
        if Path(macro["original_file_path"]).parts[0] != "tests"
    }


@pytest.fixture(scope="module")
def generic_tests(package_macros: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The project's generic tests (macros named `test_<name>`), by name."""
    return {
        macro["name"]: macro
        for macro in package_macros
        if Path(macro["original_file_path"]).parts[:2] == ("tests", "generic")
    }


def signature(macro: dict[str, Any]) -> list[str]:
    """The parameter names of the macro's `{% macro name(a, b=...) %}`, as
    dbt's Jinja parses them (defaults and line breaks do not matter; dbt's
    parser names the macro with a prefix)."""
    definitions = [
        node
        for node in parse_jinja(macro["macro_sql"]).find_all(jinja2.nodes.Macro)
        if node.name in (macro["name"], MACRO_PREFIX + macro["name"])
    ]
    assert len(definitions) == 1, f"{macro['name']}: cannot find its macro tag"
    return [argument.name for argument in definitions[0].args]


def test_the_manifest_holds_the_macros(project_macros: dict[str, dict[str, Any]]) -> None:
    # A guard against passing vacuously: the macros folder is read.
    assert {"satisfaction_score", "default__satisfaction_score"} <= project_macros.keys()
    assert all(
        Path(macro["original_file_path"]).parts[0] == "macros" for macro in project_macros.values()
    )


def test_every_macro_has_a_description(project_macros: dict[str, dict[str, Any]]) -> None:
    undescribed = sorted(
        f"{name} ({macro['original_file_path']})"
        for name, macro in project_macros.items()
        if not (macro.get("description") or "").strip()
    )
    assert not undescribed, "macros without a description in macros/_macros.yml: " + ", ".join(
        undescribed
    )


def argument_problems(macros: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong with the documented arguments of `macros`: each
    parameter of the signature documented, in order, with a type dbt accepts
    and a description."""
    problems: list[str] = []
    for name, macro in sorted(macros.items()):
        parameters = signature(macro)
        documented = macro.get("arguments") or []
        names = [argument["name"] for argument in documented]
        missing = [parameter for parameter in parameters if parameter not in names]
        extra = [argument for argument in names if argument not in parameters]
        if missing:
            problems.append(f"{name}: undocumented arguments {missing}")
        if extra:
            problems.append(f"{name}: documented arguments not in the signature {extra}")
        if not missing and not extra and names != parameters:
            problems.append(f"{name}: arguments documented as {names}, signature is {parameters}")
        for argument in documented:
            if not (argument.get("description") or "").strip():
                problems.append(f"{name}.{argument['name']}: no description")
            arg_type = (argument.get("type") or "").strip()
            if not arg_type:
                problems.append(f"{name}.{argument['name']}: no type")
            elif not is_valid_type(arg_type):
                problems.append(
                    f"{name}.{argument['name']}: type {arg_type!r} is not one dbt accepts "
                    "(string, integer, float, bool, any, relation, column, list[...], "
                    "dict[..., ...], optional[...])"
                )
    return problems


def test_every_argument_is_documented(project_macros: dict[str, dict[str, Any]]) -> None:
    problems = argument_problems(project_macros)
    assert not problems, "macros/_macros.yml is out of date:\n" + "\n".join(problems)


def test_every_generic_test_and_argument_is_documented(
    generic_tests: dict[str, dict[str, Any]],
) -> None:
    assert set(DBT_UTILS_SIGNATURES) <= generic_tests.keys()
    problems = [
        f"{name}: no description"
        for name, macro in sorted(generic_tests.items())
        if not (macro.get("description") or "").strip()
    ] + argument_problems(generic_tests)
    assert not problems, "tests/generic/_generic_tests.yml is out of date:\n" + "\n".join(problems)


def test_generic_tests_keep_dbt_utils_signatures(
    generic_tests: dict[str, dict[str, Any]],
) -> None:
    # Drop-in compatibility: `accepted_range:` and `dbt_utils.accepted_range:`
    # take the same arguments.
    for name, expected in DBT_UTILS_SIGNATURES.items():
        assert signature(generic_tests[name]) == expected, name
