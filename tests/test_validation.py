"""Requests checked against the OpenAPI document: messages that name the field."""

from __future__ import annotations

import pytest

from codequest_jupyter.errors import InvalidRequest
from codequest_jupyter.openapi import build_openapi
from codequest_jupyter.validation import ABSENT, operation, operations


def message(check, *args) -> str:
    with pytest.raises(InvalidRequest) as info:
        check(*args)
    return str(info.value)


def test_every_documented_operation_has_its_checks():
    document = build_openapi()
    ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert set(operations()) == ids
    assert operation("submit").body is not None and operation("restoreSubmission").body
    assert set(operation("listAllSubmissions").query) == {"user", "challenge", "limit", "offset"}


@pytest.mark.parametrize(
    "body, words",
    [
        ({"mode": {}}, "mode must be of type string (got {})"),  # once a 500
        ({"mode": []}, "mode must be of type string (got [])"),
        ({"mode": "grade"}, 'mode must be one of "submit", "run" (got "grade")'),
        ({"files": {"a.py": 3}}, "files['a.py'] must be of type string (got 3)"),
        ({"files": {f"f{i}.py": "" for i in range(101)}}, "files may hold at most 100 entries"),
        ({"notebook": 17}, "notebook must be of type object or null (got 17)"),
        ({"path": ["x"]}, 'path must be of type string or null (got ["x"])'),
        ([1, 2], "The request body must be a JSON object"),
        (None, "The request body must be a JSON object"),  # JSON null is a body
    ],
)
def test_a_malformed_body_names_the_field(body, words):
    assert message(operation("submit").check_body, body) == words


def test_valid_bodies_pass_unchanged():
    submit = operation("submit")
    body = {"mode": "run", "notebook": {"cells": []}, "files": {"a.py": "x"}, "extra": 1}
    assert submit.check_body(body) is body
    assert submit.check_body({"notebook": None, "files": None, "path": None}) is not None
    assert submit.check_body(ABSENT) is None  # no body at all: optional here
    assert operation("restoreSubmission").check_body({"path": "a/b.ipynb"}) == {"path": "a/b.ipynb"}


def test_query_parameters_are_typed_and_bounded():
    page = operation("listAllSubmissions")
    assert page.check_query({"limit": [b"5"], "offset": [b"0"], "user": [b" bob "]}) == {
        "limit": 5,
        "offset": 0,
        "user": "bob",
    }
    assert page.check_query({"limit": [b"1", b"7"], "unknown": [b"x"]}) == {"limit": 7}
    # Bounds hold for the value as sent: white space does not hide its length.
    gradebook = operation("getGradebook")
    assert "challenge" in message(gradebook.check_query, {"challenge": [b"a" + b"\x1d" * 5000]})
    assert message(page.check_query, {"limit": [b"0"]}) == "limit must be at least 1 (got 0)"
    assert "at most 500" in message(page.check_query, {"limit": [b"501"]})
    assert "whole number" in message(page.check_query, {"offset": [b"1e3"]})
    wait = operation("submit")
    assert wait.check_query({"wait": [b"YES"]}) == {"wait": True}
    assert wait.check_query({"wait": [b""]}) == {"wait": False}
    assert message(wait.check_query, {"wait": [b"perhaps"]}) == (
        "wait must be true or false (got 'perhaps')"
    )
