"""Requests checked against the published OpenAPI document: the server's input boundary.

The document :func:`codequest_jupyter.openapi.build_openapi` serves is the one source
of truth for what a request may hold: every JSON body is validated against its
operation's ``requestBody`` schema and every query parameter against its ``parameters``
entry, by ``jsonschema`` (OpenAPI 3.1 schemas are JSON Schema 2020-12). A malformed
request is an :class:`~codequest_jupyter.errors.InvalidRequest` naming the field, so a
400 ``{"message": ...}``, before any service sees it. What a schema cannot say (path
safety, reserved names, a notebook's structure) is checked by the domain
(:mod:`codequest_jupyter.paths`, :func:`codequest_jupyter.grading.parse_notebook`).

No tornado imports: the handler passes the body and the query arguments in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import InvalidRequest
from .openapi import build_openapi

#: A request without a body (``check_body``'s default); JSON ``null`` is a body.
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
_DOC_URI = "urn:codequest:openapi"
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Operation:
    """The checks of one documented operation (``operationId``)."""

    operation_id: str
    body: Draft202012Validator | None
    body_required: bool
    query: dict[str, dict[str, Any]]  # name -> the parameter's schema
    query_validator: Draft202012Validator | None

    def check_body(self, body: Any = ABSENT) -> Any:
        """``body`` (parsed JSON), or InvalidRequest naming the field; no body (``ABSENT``)
        gives None where the body is optional."""
        if body is ABSENT:
            if self.body_required:
                raise InvalidRequest("The request needs a JSON body")
            return None
        if self.body is None:
            return body  # not documented: the handler ignores it
        error = best_match(self.body.iter_errors(body))
        if error is not None:
            raise InvalidRequest(_describe(error, body_root=True))
        return body

    def check_query(self, arguments: Mapping[str, Sequence[str | bytes]]) -> dict[str, Any]:
        """The documented query parameters that were given, typed; others are ignored.

        ``arguments`` maps a name to its values (tornado's ``query_arguments``, bytes
        or text); the last value of a repeated parameter wins, as in tornado.
        """
        values: dict[str, Any] = {}
        for name, schema in self.query.items():
            given = arguments.get(name)
            if not given:
                continue
            raw = given[-1]
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            values[name] = _coerce(name, text, schema)
        if self.query_validator is not None:
            error = best_match(self.query_validator.iter_errors(values))
            if error is not None:
                raise InvalidRequest(_describe(error))
        # Checked as sent (a schema's bounds hold for what came over the wire), then
        # taken without the white space around it.
        return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


def _coerce(name: str, text: str, schema: dict[str, Any]) -> Any:
    """A query string as the type its schema declares (integer, boolean or string);
    a number or a flag may have white space around it, a string is checked as sent."""
    kind = schema.get("type")
    if kind in ("integer", "boolean"):
        text = text.strip()
    if kind == "integer":
        if not _INTEGER.match(text):
            raise InvalidRequest(f"{name} must be a whole number (got {text!r})")
        return int(text)
    if kind == "boolean":
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise InvalidRequest(f"{name} must be true or false (got {text!r})")
    return text


def _field(path: Sequence[Any]) -> str:
    """A JSON path as a reader writes it: ``files['a.py']``, ``notebook.cells[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(error: ValidationError, *, body_root: bool = False) -> str:
    """One sentence naming the field at fault and what it must be."""
    where = _field(list(error.absolute_path))
    schema = error.schema if isinstance(error.schema, dict) else {}
    if not where and error.validator == "type" and body_root:
        return "The request body must be a JSON object"
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in schema.get("enum", []))
        return f"{where} must be one of {allowed} (got {_short(error.instance)})"
    value = error.validator_value
    name = where or "The request body"
    if error.validator == "type":
        kinds = " or ".join(value) if isinstance(value, list) else value
        return f"{name} must be of type {kinds} (got {_short(error.instance)})"
    if error.validator == "maxProperties":
        return f"{name} may hold at most {value} entries"
    if error.validator == "minimum":
        return f"{name} must be at least {value} (got {_short(error.instance)})"
    if error.validator == "maximum":
        return f"{name} must be at most {value} (got {_short(error.instance)})"
    if error.validator == "required":
        return f"{name}: {error.message}"
    message = error.message
    if len(message) > 200:
        message = message[:199] + "…"
    return f"{where}: {message}" if where else message


def _validator(schema: dict[str, Any], registry: Registry) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=registry)


def _anchored(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``#/components/...`` references resolved in the document."""
    text = json.dumps(schema).replace('"#/components/', f'"{_DOC_URI}#/components/')
    return json.loads(text)


@cache
def operations() -> dict[str, Operation]:
    """Every documented operation's checks, by ``operationId`` (built once)."""
    document = build_openapi()
    registry: Registry = Registry().with_resource(
        _DOC_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    out: dict[str, Operation] = {}
    for item in document["paths"].values():
        for op in item.values():
            body_doc = op.get("requestBody")
            body = None
            if body_doc is not None:
                schema = body_doc["content"]["application/json"]["schema"]
                body = _validator(_anchored(schema), registry)
            query = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "query"}
            query_validator = None
            if query:
                query_schema = {"type": "object", "properties": _anchored(query)}
                query_validator = _validator(query_schema, registry)
            out[op["operationId"]] = Operation(
                operation_id=op["operationId"],
                body=body,
                body_required=bool(body_doc and body_doc.get("required")),
                query=query,
                query_validator=query_validator,
            )
    return out


def operation(operation_id: str) -> Operation:
    """The checks of one operation; a KeyError for an undocumented one is a bug."""
    return operations()[operation_id]
