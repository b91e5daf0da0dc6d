"""Reading request bodies: limits first, then JSON, then the fields, each failure a :class:`RequestError`.

Pure (bytes in, typed values out), so every bad request of the table test is one function
call. Status codes: 400 the body is not JSON (or not UTF-8); 413 the body, the number of
queries or the number of tasks is over its limit; 422 JSON of the wrong shape (a missing
field, a wrong type, an empty or overlong query, a bad date). Messages say what to change.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any

from inference.serving.errors import RequestError

_TAG_FIELDS = frozenset({"query", "queries", "reference_date", "explain"})


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_queries: int
    max_query_chars: int
    max_tasks: int
    max_predict_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class TagRequest:
    queries: list[str]
    reference: dt.date
    explain: bool


def read_json(body: bytes, limits: Limits, max_bytes: int | None = None) -> Any:
    """The body as JSON. Raises :class:`RequestError` 413 (over ``max_bytes``, default the body limit) or 400."""
    max_bytes = max_bytes or limits.max_body_bytes
    if len(body) > max_bytes:
        raise RequestError(413, f"the body has {len(body)} bytes; send at most {max_bytes} (split the batch)")
    if not body.strip():
        raise RequestError(400, "the body is empty; send a JSON object")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RequestError(400, f"the body is not UTF-8 (byte {exc.start}); send UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise RequestError(
            400, f"the body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise RequestError(400, "the body is not valid JSON (nested too deeply)") from None


def check_query(value: Any, where: str, limits: Limits) -> str:
    """One query text as ``nerloop tag`` would read it from one line. Raises :class:`RequestError` 422."""
    if not isinstance(value, str):
        raise RequestError(422, f"{where} must be a string, not {_kind(value)}")
    if not value.strip():
        raise RequestError(422, f"{where} is empty; send the query text")
    if len(value) > limits.max_query_chars:
        raise RequestError(
            422, f"{where} has {len(value)} characters; a query may have at most {limits.max_query_chars}"
        )
    if "\n" in value or "\r" in value:
        raise RequestError(422, f"{where} holds a line break; send each query as its own string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(422, f"{where} holds a lone surrogate escape (\\udXXX); it is not text") from None
    return value


def parse_tag_request(body: bytes, limits: Limits) -> TagRequest:
    """``{"query": "…"}`` or ``{"queries": ["…", …]}``, optional ``reference_date`` and ``explain``."""
    data = read_json(body, limits)
    if not isinstance(data, dict):
        raise RequestError(422, f'send a JSON object such as {{"queries": ["…"]}}, not {_kind(data)}')
    unknown = sorted(set(data) - _TAG_FIELDS)
    if unknown:
        raise RequestError(
            422, f"unknown field(s) {', '.join(unknown)}; expected query or queries, reference_date, explain"
        )
    if ("query" in data) == ("queries" in data):
        raise RequestError(422, 'give exactly one of "query" (one text) and "queries" (a list of texts)')
    if "query" in data:
        queries = [check_query(data["query"], "query", limits)]
    else:
        raw = data["queries"]
        if not isinstance(raw, list):
            raise RequestError(422, f"queries must be a list of strings, not {_kind(raw)}")
        if not raw:
            raise RequestError(422, "queries is empty; send at least one query")
        if len(raw) > limits.max_queries:
            raise RequestError(413, f"{len(raw)} queries in one request; send at most {limits.max_queries} per request")
        queries = [check_query(q, f"queries[{i}]", limits) for i, q in enumerate(raw)]
    explain = data.get("explain", False)
    if not isinstance(explain, bool):
        raise RequestError(422, f"explain must be true or false, not {_kind(explain)}")
    return TagRequest(queries, parse_date(data.get("reference_date")), explain)


def parse_date(value: Any) -> dt.date:
    """``reference_date``: YYYY-MM-DD, or today when absent or null. Raises :class:`RequestError` 422."""
    if value is not None and not isinstance(value, str):
        raise RequestError(422, f"reference_date must be a YYYY-MM-DD string, not {_kind(value)}")
    if value is None:
        return _parse_date(None)  # today: never cached
    return _cached_date(value)


@functools.lru_cache(maxsize=64)
def _cached_date(value: str) -> dt.date:
    """Clients send the same date all day (a failure raises, and is not cached)."""
    return _parse_date(value)


def _parse_date(value: str | None) -> dt.date:
    from nerloop.config import parse_reference_date
    from nerloop.errors import UsageError

    try:
        return parse_reference_date(value)
    except UsageError as exc:
        raise RequestError(422, str(exc).replace("--reference-date", "reference_date")) from None


@dataclass(frozen=True)
class PredictRequest:
    tasks: list[Any]
    label_config: str | None


def parse_predict_request(body: bytes, limits: Limits) -> PredictRequest:
    """Label Studio's ``/predict``: ``tasks`` (a list) and ``label_config``; other fields are not needed.

    Its body may be larger than others (``max_predict_bytes``): Label Studio sends each task with its
    annotations and predictions, thousands at a time from "Retrieve Predictions".
    """
    data = read_json(body, limits, limits.max_predict_bytes)
    if not isinstance(data, dict):
        raise RequestError(422, f"send a JSON object with tasks, not {_kind(data)}")
    tasks = data.get("tasks")
    if not isinstance(tasks, list):
        raise RequestError(422, f"tasks must be a list of tasks, not {_kind(tasks)}")
    if len(tasks) > limits.max_tasks:
        raise RequestError(413, f"{len(tasks)} tasks in one request; send at most {limits.max_tasks} (--max-tasks)")
    label_config = data.get("label_config")
    if label_config is not None and not isinstance(label_config, str):
        raise RequestError(422, f"label_config must be a string, not {_kind(label_config)}")
    return PredictRequest(tasks, label_config)


def parse_object(body: bytes, limits: Limits) -> dict[str, Any]:
    """A JSON object body (``/setup``, ``/webhook``, ``/train``)."""
    data = read_json(body, limits)
    if not isinstance(data, dict):
        raise RequestError(422, f"send a JSON object, not {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
