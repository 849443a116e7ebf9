"""Read OpenTelemetry spans from OTLP JSON, one raw span row per span.

The input is what the OpenTelemetry Collector's file exporter writes: one
`ExportTraceServiceRequest` JSON object per line (resourceSpans ->
scopeSpans -> spans). Both spellings of the encoding are read:

- OTLP/JSON proper (the Collector): ids as hex, enums as integers;
- the protobuf JSON mapping (`google.protobuf.json_format.MessageToJson` of
  the SDK's encoder): ids as base64, enums by name.

Attributes, a list of `{key, value: {stringValue|intValue|...}}`, become one
flat JSON object (`{"gen_ai.operation.name": "chat", ...}`): an `intValue`
(a string in OTLP/JSON, since it is 64-bit) becomes a JSON number, an
`arrayValue` a list, a `kvlistValue` an object, `bytesValue` its base64 text.
A value that is none of these is kept as it came, so nothing is dropped
here; staging decides what it can read (docs/opentelemetry.md).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SPAN_KINDS = {
    0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer",
}
STATUS_CODES = {0: "unset", 1: "ok", 2: "error"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OtlpFormatError(ValueError):
    """A line of an OTLP JSON file that is not an export request."""


@dataclass(frozen=True)
class SpanRecord:
    """One row of the raw span table (docs/opentelemetry.md)."""

    trace_id: str | None
    span_id: str | None
    parent_span_id: str | None
    name: str | None
    kind: str | None
    start_time: datetime | None
    end_time: datetime | None
    status_code: str | None
    status_message: str | None
    resource_attributes: Any
    attributes: Any
    events: Any


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    return obj[camel] if camel in obj else obj.get(snake)


def _id(value: Any, length: int) -> str | None:
    """A trace or span id as lowercase hex (`length` bytes). OTLP/JSON writes
    hex; the protobuf JSON mapping writes base64. Anything else is kept as
    text, so staging can still show it."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 2 * length and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    return decoded.hex() if len(decoded) == length else value


def _enum(value: Any, names: dict[int, str], prefix: str) -> str | None:
    """An enum written as its number (OTLP/JSON) or its name (protobuf
    JSON), as the lowercase short name (`error`, `client`)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, str(value))
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return names.get(int(text), text)
        return text.removeprefix(prefix).lower()
    return json.dumps(value)


def _time(value: Any) -> datetime | None:
    """Unix nanoseconds (a string, or a number) as a UTC datetime, to the
    microsecond; missing, zero or unreadable is None."""
    if isinstance(value, bool):
        return None
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        return None
    if nanos <= 0:
        return None
    try:
        return _EPOCH + timedelta(microseconds=nanos // 1000)
    except OverflowError:
        return None


def any_value(value: Any) -> Any:
    """An OTLP `AnyValue` as plain JSON."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value or "string_value" in value:
        return _get(value, "stringValue", "string_value")
    if "boolValue" in value or "bool_value" in value:
        return _get(value, "boolValue", "bool_value")
    if "intValue" in value or "int_value" in value:
        raw = _get(value, "intValue", "int_value")
        try:
            return int(raw)
        except (TypeError, ValueError):
            return raw
    if "doubleValue" in value or "double_value" in value:
        raw = _get(value, "doubleValue", "double_value")
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return raw
        # JSON has no NaN or infinity: those are kept as text.
        return number if number == number and abs(number) != float("inf") else str(raw)
    if "arrayValue" in value or "array_value" in value:
        array = _get(value, "arrayValue", "array_value") or {}
        return [any_value(v) for v in (array.get("values") or [])]
    if "kvlistValue" in value or "kvlist_value" in value:
        return attributes(((_get(value, "kvlistValue", "kvlist_value")) or {}).get("values"))
    if "bytesValue" in value or "bytes_value" in value:
        return _get(value, "bytesValue", "bytes_value")
    # An empty AnyValue is OTLP's way of writing an empty value.
    return value or None


def attributes(values: Any) -> Any:
    """A list of `{key, value}` as one JSON object; anything that is not such
    a list is returned as it is (staging reads it as no attributes)."""
    if values is None:
        return {}
    if not isinstance(values, list):
        return values
    result: dict[str, Any] = {}
    for item in values:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            result[item["key"]] = any_value(item.get("value"))
    return result


def _events(values: Any) -> Any:
    if values is None:
        return []
    if not isinstance(values, list):
        return values
    events = []
    for event in values:
        if not isinstance(event, dict):
            events.append(event)
            continue
        moment = _time(_get(event, "timeUnixNano", "time_unix_nano"))
        events.append(
            {
                "name": event.get("name"),
                "time": moment.isoformat() if moment else None,
                "attributes": attributes(event.get("attributes")),
            }
        )
    return events


def spans_of_request(request: Any) -> Iterator[SpanRecord]:
    """The spans of one `ExportTraceServiceRequest` (a parsed JSON object)."""
    if not isinstance(request, dict):
        raise OtlpFormatError(f"expected a JSON object, got {type(request).__name__}")
    resource_spans = _get(request, "resourceSpans", "resource_spans") or []
    if not isinstance(resource_spans, list):
        raise OtlpFormatError("resourceSpans is not a list")
    for resource_span in resource_spans:
        if not isinstance(resource_span, dict):
            raise OtlpFormatError("a resourceSpans entry is not an object")
        resource = resource_span.get("resource") or {}
        resource_attributes = attributes(
            resource.get("attributes") if isinstance(resource, dict) else resource
        )
        for scope_span in _get(resource_span, "scopeSpans", "scope_spans") or []:
            if not isinstance(scope_span, dict):
                raise OtlpFormatError("a scopeSpans entry is not an object")
            for span in scope_span.get("spans") or []:
                if not isinstance(span, dict):
                    raise OtlpFormatError("a span is not an object")
                status = span.get("status") or {}
                if not isinstance(status, dict):
                    status = {"message": json.dumps(status)}
                yield SpanRecord(
                    trace_id=_id(_get(span, "traceId", "trace_id"), 16),
                    span_id=_id(_get(span, "spanId", "span_id"), 8),
                    parent_span_id=_id(_get(span, "parentSpanId", "parent_span_id"), 8),
                    name=span.get("name") if isinstance(span.get("name"), str) else None,
                    kind=_enum(span.get("kind"), SPAN_KINDS, "SPAN_KIND_"),
                    start_time=_time(_get(span, "startTimeUnixNano", "start_time_unix_nano")),
                    end_time=_time(_get(span, "endTimeUnixNano", "end_time_unix_nano")),
                    # A status without a code is UNSET (protobuf JSON leaves
                    # default values out).
                    status_code=_enum(status.get("code", 0), STATUS_CODES, "STATUS_CODE_"),
                    status_message=status.get("message") or None,
                    resource_attributes=resource_attributes,
                    attributes=attributes(span.get("attributes")),
                    events=_events(span.get("events")),
                )


def iter_otlp_json(path: str | Path) -> Iterator[SpanRecord]:
    """The spans of an OTLP JSON file, one export request per line (blank
    lines skipped), lazily; a line that is not a request raises
    `OtlpFormatError` naming it, before anything is written."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                yield from spans_of_request(request)
            except (ValueError, TypeError) as exc:
                raise OtlpFormatError(f"{path}:{number}: {exc}") from None
