"""Read a Langfuse export: traces, observations and scores, one raw row each.

What is read (docs/langfuse.md):

- JSON lines or a JSON array of one entity per file, the entity named by
  the file or a folder under the one loaded (`traces`, `observations`,
  `scores`), as the blob storage export writes them (`traces/...`) and as
  the UI's table
  export downloads them; a public API page (`{"data": [...], "meta": ...}`)
  saved to such a file reads the same;
- a trace as the UI's "Download JSON" or `GET /api/public/traces/{traceId}`
  returns it: the trace with its `observations` and `scores` lists;
- one JSON object holding the three lists `traces`, `observations`,
  `scores`;
- a directory: every `.json` and `.jsonl` file in it, recursively.

Field names are read as the public API writes them (camelCase: `sessionId`,
`startTime`, `usageDetails`) or as the blob storage export does (snake_case:
`session_id`, `start_time`, `usage_details`). Timestamps are ISO 8601
(`2024-05-29T13:46:19.963Z`) or the export's `2024-05-29 13:46:19.963000`
(UTC). A value of the wrong type is loaded as missing, so staging quarantines
what it cannot place; a file that is not an export stops the load with
`LangfuseFormatError` naming it, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Each raw column and the field names it is read from: the public API's
# camelCase first, then the export's snake_case.
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "langfuse_traces": {
        "id": ("id",), "timestamp": ("timestamp",), "name": ("name",),
        "user_id": ("userId", "user_id"), "session_id": ("sessionId", "session_id"),
        "release": ("release",), "version": ("version",), "input": ("input",),
        "output": ("output",), "metadata": ("metadata",), "tags": ("tags",),
    },
    "langfuse_observations": {
        "id": ("id",), "trace_id": ("traceId", "trace_id"),
        "parent_observation_id": ("parentObservationId", "parent_observation_id"),
        "type": ("type",), "name": ("name",), "start_time": ("startTime", "start_time"),
        "end_time": ("endTime", "end_time"),
        "completion_start_time": ("completionStartTime", "completion_start_time"),
        "model": ("model", "providedModelName", "provided_model_name"),
        "usage_details": ("usageDetails", "usage_details", "usage"),
        "level": ("level",), "status_message": ("statusMessage", "status_message"),
        "input": ("input",), "output": ("output",), "metadata": ("metadata",),
    },
    "langfuse_scores": {
        "id": ("id",), "trace_id": ("traceId", "trace_id"),
        "observation_id": ("observationId", "observation_id"),
        "session_id": ("sessionId", "session_id"), "name": ("name",), "value": ("value",),
        "string_value": ("stringValue", "string_value"),
        "data_type": ("dataType", "data_type"), "source": ("source",),
        "timestamp": ("timestamp",), "comment": ("comment",), "metadata": ("metadata",),
    },
}
_TIMESTAMPS = {"timestamp", "start_time", "end_time", "completion_start_time"}
_JSON = {"input", "output", "metadata", "tags", "usage_details"}
# The file or folder words that name an entity.
_ENTITY_WORDS = {
    "trace": "langfuse_traces",
    "observation": "langfuse_observations",
    "score": "langfuse_scores",
}


class LangfuseFormatError(ValueError):
    """A file that is not a Langfuse export."""


@dataclass
class LangfuseExport:
    """The rows of an export, per raw table (docs/langfuse.md)."""

    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in _FIELDS}
    )

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables[table]

    def add(self, table: str, item: Any, where: str) -> None:
        if not isinstance(item, dict):
            raise LangfuseFormatError(f"{where}: expected a JSON object, got {type(item).__name__}")
        self.tables[table].append(_row(table, item))


def _timestamp(value: Any) -> datetime | None:
    """ISO 8601 (with `Z` or an offset) or the export's `YYYY-MM-DD
    HH:MM:SS.ffffff` (UTC) as a UTC datetime; anything else is None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A score's numeric value; JSON has no NaN, so nothing else is odd.
        return repr(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return None


def _row(table: str, item: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, names in _FIELDS[table].items():
        value = next((item[n] for n in names if item.get(n) is not None), None)
        if column in _TIMESTAMPS:
            row[column] = _timestamp(value)
        elif column in _JSON:
            row[column] = value
        else:
            row[column] = _text(value)
    return row


def _entity_of(path: Path, root: Path) -> str | None:
    """The entity a file's name, else the nearest of its folders under the
    directory loaded (`root`), names."""
    folders = path.parent.relative_to(root).parts if path.is_relative_to(root) else ()
    for part in (path.name, *reversed(folders)):
        words = [w for w in _ENTITY_WORDS if w in part.lower()]
        if len(words) == 1:
            return _ENTITY_WORDS[words[0]]
    return None


def _read_document(path: Path) -> Iterator[tuple[int, Any]]:
    """The JSON values of a file with their line numbers: one document (a
    .json file that parses whole), else one value a line (blank lines
    skipped)."""
    text = path.read_text(encoding="utf-8")
    try:
        yield 1, json.loads(text)
        return
    except ValueError:
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except ValueError as exc:
                raise LangfuseFormatError(f"{path}:{number}: not JSON ({exc})") from None


def _read_file(path: Path, root: Path, export: LangfuseExport) -> None:
    entity = _entity_of(path, root)
    values = list(_read_document(path))
    for number, value in values:
        where = f"{path}:{number}"
        if isinstance(value, dict) and len(values) == 1:
            if isinstance(value.get("observations"), list) and "id" in value:
                # A trace with its observations and scores.
                export.add("langfuse_traces", value, where)
                for item in value["observations"]:
                    export.add("langfuse_observations", item, where)
                for item in value.get("scores") or []:
                    export.add("langfuse_scores", item, where)
                continue
            lists = {k: value.get(k) for k in ("traces", "observations", "scores")}
            if any(isinstance(v, list) for v in lists.values()):
                for key, items in lists.items():
                    for item in items or []:
                        export.add(f"langfuse_{key}", item, where)
                continue
            if isinstance(value.get("data"), list):
                value = value["data"]
        if entity is None:
            raise LangfuseFormatError(
                f"{path}: cannot tell traces, observations or scores apart: name the "
                "file (or its folder) after them, as the export does (traces.jsonl, ...)"
            )
        for item in value if isinstance(value, list) else [value]:
            export.add(entity, item, where)


def read_langfuse_export(path: str | Path) -> LangfuseExport:
    """The rows of a Langfuse export file or directory (module docstring);
    raises `LangfuseFormatError` naming the file (and line) that is not."""
    root = Path(path)
    files = (
        sorted(p for p in root.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
        if root.is_dir()
        else [root]
    )
    if not files:
        raise LangfuseFormatError(f"{root}: no .json or .jsonl files in it")
    export = LangfuseExport()
    for file in files:
        try:
            _read_file(file, root if root.is_dir() else root.parent, export)
        except UnicodeDecodeError:
            raise LangfuseFormatError(f"{file}: not UTF-8 text") from None
    return export
