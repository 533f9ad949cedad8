"""The OpenAPI 3.1 document of the CodeQuest REST API, served at ``openapi.json``.

Built in Python so the schemas of the result JSON sit next to each other and the
document always names the server's real base URL. The test suite validates every
response it receives against this document.

It runs past ~400 lines because it is the API document written as data (the schemas,
then every path and its operations), read top to bottom like the contract it is;
split across modules, a schema and the operations that use it would drift apart. It
is not a YAML or JSON file shipped beside the code because its enums are the
vocabularies defined once in Python (statuses, modes, error kinds, difficulties,
reserved paths): a data file would spell them a second time. The code in it has one
job, building that document.
"""

from __future__ import annotations

import copy
from typing import Any

from ._version import __version__
from .challenges import DIFFICULTIES, ISOLATIONS
from .paths import RESERVED_FILE_ROOTS
from .results import ERROR_KINDS, MODE_WORDS, SUBMISSION_STATUSES, TEST_STATUS_WORDS

API_VERSION = 1


def _obj(required: list[str], props: dict[str, Any], *, extra: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": props}
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
OPT_STR = {"type": ["string", "null"]}
OPT_INT = {"type": ["integer", "null"]}
OPT_NUM = {"type": ["number", "null"]}
TIMESTAMP = {"type": "string", "description": "UTC time, ISO 8601 (2026-11-24T14:32:05Z)"}
STATUS = {"type": "string", "enum": list(SUBMISSION_STATUSES)}
MODE = {"type": "string", "enum": list(MODE_WORDS)}
#: Progress words of a challenge listing (codequest_jupyter.views.progress_view).
PROGRESS_STATUSES = ("not_started", "attempted", "completed")
MAX_FILES = 100

_RESULT_FIELDS: dict[str, Any] = {
    "id": STR,
    "challenge": STR,
    "challenge_version": {**STR, "description": "sha256 of the challenge directory"},
    "user": STR,
    "mode": MODE,
    "submitted_at": TIMESTAMP,
    "status": STATUS,
    "score": INT,
    "total": INT,
    "points": NUM,
    "max_points": NUM,
    "duration_ms": INT,
    "error": _nullable(_ref("GradeError")),
}
#: Extensions of the result JSON for deadlines and regrades (present when they apply).
_LATE_FIELDS: dict[str, Any] = {
    "late": {**BOOL, "description": "Submitted after the challenge's due time"},
    "penalty": {
        **NUM,
        "description": "Fraction of the points taken off for lateness (0 when none)",
    },
    "raw_points": {**NUM, "description": "Points the tests earned, before the penalty"},
    "regraded_at": {**TIMESTAMP, "description": "When a regrade produced this result"},
}
#: A challenge's deadlines and attempts (codequest_jupyter.deadlines.Schedule.to_json).
_SCHEDULE_FIELDS: dict[str, Any] = {
    "opens": {**OPT_STR, "description": "UTC time before which submissions are refused"},
    "due": {**OPT_STR, "description": "UTC time after which work is late"},
    "late": {
        "type": "string",
        "enum": ["accept", "reject", "penalty"],
        "description": "After due: accept and flag, reject, or take late_penalty off",
    },
    "late_penalty": {**OPT_NUM, "description": "Fraction of points taken off late work"},
    "max_submissions": {**OPT_INT, "description": "Submits allowed (Run tests is free)"},
    "submissions_used": {**INT, "description": "This user's submits of the challenge"},
}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(["message"], {"message": STR}),
    "Info": _obj(
        ["version", "api_version", "user", "instructor"],
        {
            "version": STR,
            "api_version": INT,
            "user": STR,
            "instructor": BOOL,
            "mode": {
                "type": "string",
                "enum": ["remote"],
                "description": "Present on a learner's server that a hub's grading service "
                "grades for (remote mode); absent in personal mode and on the service",
            },
            "service_available": {
                **BOOL,
                "description": "Remote mode: whether the grading service answered",
            },
            "service_message": {**STR, "description": "Remote mode: why it did not"},
        },
    ),
    "Material": _obj(
        ["challenge", "files"],
        {
            "challenge": {
                "type": "object",
                "description": "Metadata: id, version, notebook, "
                "module, files, locked, limits, description, public_tests, "
                "public_test_data (the files beside the public tests)",
            },
            "files": {
                "type": "object",
                "additionalProperties": STR,
                "description": "Relative path to base64 content: the starter notebook, the "
                "starter files, the public tests and the files beside them; never hidden "
                "tests or solutions",
            },
        },
    ),
    "Progress": _obj(
        [
            "status",
            "attempts",
            "failed_attempts",
            "runs",
            "best_score",
            "best_total",
            "best_points",
            "max_points",
            "completed_at",
            "last_submitted_at",
        ],
        {
            "status": {"type": "string", "enum": list(PROGRESS_STATUSES)},
            "attempts": INT,
            "failed_attempts": INT,
            "runs": INT,
            "best_score": OPT_INT,
            "best_total": OPT_INT,
            "best_points": OPT_NUM,
            "max_points": OPT_NUM,
            "completed_at": OPT_STR,
            "last_submitted_at": OPT_STR,
        },
    ),
    "ChallengeSummary": _obj(
        ["id", "title", "difficulty", "estimated_minutes", "tags", "notebook", "progress"],
        {
            "id": STR,
            "title": STR,
            "difficulty": {"type": "string", "enum": list(DIFFICULTIES)},
            "estimated_minutes": OPT_INT,
            "tags": {"type": "array", "items": STR},
            "notebook": STR,
            "version": STR,
            **_SCHEDULE_FIELDS,
            "progress": _ref("Progress"),
        },
    ),
    "ChallengeList": _obj(
        ["challenges"], {"challenges": {"type": "array", "items": _ref("ChallengeSummary")}}
    ),
    "Limits": _obj(
        ["timeout_s", "memory_mb"],
        {
            "timeout_s": NUM,
            "memory_mb": INT,
            "run_timeout_s": OPT_NUM,
            "cell_timeout_s": OPT_NUM,
            "output_kb": INT,
        },
    ),
    "WorkspaceInfo": _obj(["path", "exists"], {"path": STR, "exists": BOOL}),
    "ChallengeDetail": {
        "allOf": [
            _ref("ChallengeSummary"),
            _obj(
                [
                    "description",
                    "module",
                    "public_tests",
                    "hidden_tests",
                    "hints",
                    "locked_hints",
                    "limits",
                    "workspace",
                    "next",
                ],
                {
                    "description": {**STR, "description": "Markdown"},
                    "module": STR,
                    "files": {"type": "array", "items": STR},
                    "locked": {"type": "array", "items": STR},
                    "public_tests": {
                        "type": "array",
                        "items": _obj(
                            ["path", "source", "tests"],
                            {"path": STR, "source": STR, "tests": {"type": "array", "items": STR}},
                        ),
                    },
                    "hidden_tests": {**INT, "description": "Number of hidden test files"},
                    "hints": {
                        "type": "array",
                        "items": _obj(
                            ["text", "after_attempts"], {"text": STR, "after_attempts": INT}
                        ),
                    },
                    "locked_hints": INT,
                    "limits": _ref("Limits"),
                    "workspace": _ref("WorkspaceInfo"),
                    "next": OPT_STR,
                },
            ),
        ]
    },
    "WorkspaceOpened": _obj(
        ["path", "created"],
        {"path": STR, "created": BOOL, "created_files": {"type": "array", "items": STR}},
    ),
    "SubmissionRequest": _obj(
        [],
        {
            "mode": {**MODE, "default": "submit"},
            "notebook": {
                "type": ["object", "null"],
                "description": "nbformat 4 JSON (its cells are checked when it is submitted); "
                "absent or null: the notebook at `path` is graded",
            },
            "files": {
                "type": ["object", "null"],
                "additionalProperties": STR,
                "maxProperties": MAX_FILES,
                "description": "Learner files graded beside the notebook, by relative path "
                "('/' separators, no '..'; not the notebook's own path, nor under "
                + ", ".join(f"'{name}'" for name in sorted(RESERVED_FILE_ROOTS))
                + ")",
            },
            "path": {
                **OPT_STR,
                "description": "Notebook path in the server's contents, used "
                "when no notebook is sent (default: the challenge's workspace copy)",
            },
        },
    ),
    "SubmissionAccepted": _obj(["id", "status"], {"id": STR, "status": STATUS}),
    "TestResult": _obj(
        ["id", "name", "hidden", "status", "points", "max_points"],
        {
            "id": STR,
            "name": STR,
            "hidden": {
                **BOOL,
                "description": "A hidden test: a learner gets its name, status, timing and "
                "points only (message, expected, actual, output and traceback are null unless "
                "the challenge sets show_hidden_details); an instructor gets every detail",
            },
            "status": {"type": "string", "enum": list(TEST_STATUS_WORDS)},
            "message": OPT_STR,
            "expected": OPT_STR,
            "actual": OPT_STR,
            "duration_ms": INT,
            "points": NUM,
            "max_points": NUM,
            "output": OPT_STR,
            "output_truncated": {
                **BOOL,
                "description": "The captured output was cut at the challenge's output_kb",
            },
        },
    ),
    "GradeError": _obj(
        ["kind", "message"],
        {
            "kind": {"type": "string", "enum": list(ERROR_KINDS)},
            "message": STR,
            "cell": INT,
            "traceback": STR,
        },
    ),
    "CellError": _obj(
        ["cell", "ename", "evalue"],
        {
            "cell": INT,
            "ename": STR,
            "evalue": STR,
            "traceback": OPT_STR,
            "kind": {
                "type": "string",
                "enum": ["exception", "timeout"],
                "description": "exception: the cell raised; timeout: it ran past its "
                "time limit and was interrupted (the tests ran after it either way)",
            },
        },
    ),
    "Result": _obj(
        list(_RESULT_FIELDS) + ["tests"],
        {
            **_RESULT_FIELDS,
            **_LATE_FIELDS,
            "tests": {"type": "array", "items": _ref("TestResult")},
            "cell_errors": {"type": "array", "items": _ref("CellError")},
            "output_truncated": {
                **BOOL,
                "description": "Some output of the run (a test's or the notebook's) was "
                "cut at its limit",
            },
            "isolation": {
                "enum": [*ISOLATIONS, None],
                "description": "Where the tests ran: judge (a process of their own that "
                "learner code cannot reach) or kernel (inside the learner's kernel); "
                "null for results stored before it was recorded",
            },
        },
    ),
    "SubmissionSummary": _obj(
        list(_RESULT_FIELDS), {**_RESULT_FIELDS, "late": _LATE_FIELDS["late"]}
    ),
    "SubmissionList": _obj(
        ["submissions", "total"],
        {"submissions": {"type": "array", "items": _ref("SubmissionSummary")}, "total": INT},
    ),
    "Code": _obj(
        ["notebook", "files"],
        {
            "notebook": {"type": ["object", "null"]},
            "files": {"type": "object", "additionalProperties": STR},
        },
    ),
    "RestoreRequest": _obj([], {"path": OPT_STR}),
    "Checkpoint": _obj(["id", "last_modified"], {"id": STR, "last_modified": STR}),
    "RestoreResult": _obj(
        ["path", "checkpoint"],
        {
            "path": STR,
            "checkpoint": _nullable(_ref("Checkpoint")),
            "files": {
                "type": "array",
                "items": _obj(
                    ["path", "checkpoint"],
                    {"path": STR, "checkpoint": _nullable(_ref("Checkpoint"))},
                ),
            },
        },
    ),
    "CollectedEvent": _obj(
        ["total", "tests"],
        {
            "total": INT,
            "tests": {
                "type": "array",
                "items": _obj(
                    ["id", "name", "hidden", "max_points"],
                    {"id": STR, "name": STR, "hidden": BOOL, "max_points": NUM},
                ),
            },
        },
    ),
    "StatusEvent": _obj(
        ["status"],
        {
            "status": STATUS,
            "message": {
                **STR,
                "description": "Why the submission waits, for the learner to read (while "
                "no grading worker is running, say); the submission stays saved",
            },
        },
    ),
    "ClassMatrix": _obj(
        ["learners", "challenges", "cells"],
        {
            "learners": {"type": "array", "items": STR},
            "challenges": {"type": "array", "items": STR},
            "cells": {
                "type": "array",
                "description": "One per learner and challenge with a finished Submit",
                "items": _obj(
                    [
                        "learner",
                        "challenge",
                        "best_points",
                        "last_points",
                        "max_points",
                        "attempts",
                        "first_passed_at",
                        "late",
                        "passed",
                        "last_submitted_at",
                    ],
                    {
                        "learner": STR,
                        "challenge": STR,
                        "best_points": OPT_NUM,
                        "last_points": NUM,
                        "max_points": NUM,
                        "attempts": INT,
                        "first_passed_at": OPT_STR,
                        "late": BOOL,
                        "passed": BOOL,
                        "last_submitted_at": OPT_STR,
                    },
                ),
            },
        },
    ),
    "ChallengeStats": _obj(
        [
            "challenge",
            "submissions",
            "learners",
            "statuses",
            "max_points",
            "score_distribution",
            "tests",
            "submissions_per_day",
        ],
        {
            "challenge": STR,
            "submissions": INT,
            "learners": INT,
            "statuses": {"type": "object", "additionalProperties": INT},
            "max_points": NUM,
            "score_distribution": {
                "type": "array",
                "description": "Learners by best points, in equal bins from 0 to max_points",
                "items": _obj(
                    ["from", "to", "learners"], {"from": NUM, "to": NUM, "learners": INT}
                ),
            },
            "tests": {
                "type": "array",
                "items": _obj(
                    ["id", "name", "hidden", "runs", "failures", "failure_rate", "common_failures"],
                    {
                        "id": STR,
                        "name": STR,
                        "hidden": BOOL,
                        "runs": INT,
                        "failures": INT,
                        "failure_rate": NUM,
                        "common_failures": {
                            "type": "array",
                            "items": _obj(["message", "count"], {"message": STR, "count": INT}),
                        },
                    },
                ),
            },
            "submissions_per_day": {
                "type": "array",
                "items": _obj(["day", "count"], {"day": STR, "count": INT}),
            },
        },
    ),
    "RegradeRequest": _obj(
        ["challenge"],
        {
            "challenge": {**STR, "minLength": 1, "maxLength": 255},
            "learner": {**OPT_STR, "description": "Only this learner's submissions"},
            "latest": {**BOOL, "default": False, "description": "Only each learner's newest"},
        },
        extra=False,
    ),
    "ResultFigures": _obj(
        ["status", "score", "total", "points", "max_points", "challenge_version"],
        {
            "status": STATUS,
            "score": OPT_INT,
            "total": OPT_INT,
            "points": OPT_NUM,
            "max_points": OPT_NUM,
            "challenge_version": OPT_STR,
        },
    ),
    "RegradeJob": _obj(
        [
            "id",
            "challenge",
            "challenge_version",
            "status",
            "total",
            "done",
            "changed",
            "started_at",
            "finished_at",
            "error",
        ],
        {
            "id": STR,
            "challenge": STR,
            "challenge_version": STR,
            "user": OPT_STR,
            "latest": BOOL,
            "status": {"type": "string", "enum": ["running", "finished", "failed"]},
            "total": INT,
            "done": INT,
            "changed": INT,
            "failed": {
                **INT,
                "description": "Submissions whose regrading failed outright, their results "
                "left unchanged (counted in done; a hub's grading workers only)",
            },
            "started_at": TIMESTAMP,
            "finished_at": OPT_STR,
            "error": OPT_STR,
            "items": {
                "type": "array",
                "description": "Each regraded submission, old and new figures",
                "items": _obj(
                    ["id", "user", "submitted_at", "old", "new", "changed"],
                    {
                        "id": STR,
                        "user": STR,
                        "submitted_at": TIMESTAMP,
                        "old": _ref("ResultFigures"),
                        "new": _ref("ResultFigures"),
                        "changed": BOOL,
                    },
                ),
            },
        },
    ),
    "ResultHistory": _obj(
        ["current", "previous"],
        {
            "current": _ref("Result"),
            "previous": {
                "type": "array",
                "description": "Results regrades replaced, oldest first",
                "items": _obj(
                    [
                        "challenge_version",
                        "status",
                        "points",
                        "max_points",
                        "replaced_at",
                        "result",
                    ],
                    {
                        "challenge_version": STR,
                        "status": STATUS,
                        "score": INT,
                        "total": INT,
                        "points": NUM,
                        "max_points": NUM,
                        "graded_at": OPT_STR,
                        "replaced_at": TIMESTAMP,
                        "regrade_id": OPT_STR,
                        "result": {"type": "object"},
                    },
                ),
            },
        },
    ),
}

EVENT_STREAM_DOC = """Server-sent events of one grading:

* `event: status` `data: {"status": "queued"|"running"}` while waiting (live streams only);
  a `queued` status may carry a `message` for the learner (no grading worker is
  running: the submission is saved and graded when one starts);
* `event: collected` `data:` CollectedEvent, once the tests are known;
* `event: test` `data:` TestResult, one per finished test, in order;
* `event: result` `data:` Result, the final result; then the stream ends.

Comment lines (`: ping`) keep idle connections open. Connecting after the grading
finished replays `collected`, the `test` events and `result` from the stored result."""


#: The schema of the JSON on each event's ``data:`` line, by event name.
EVENT_DATA = {
    "status": "StatusEvent",
    "collected": "CollectedEvent",
    "test": "TestResult",
    "result": "Result",
}


def _event(name: str) -> dict[str, Any]:
    return _obj(
        ["event", "data"],
        {
            "event": {"const": name},
            "data": {
                **STR,
                "contentMediaType": "application/json",
                "contentSchema": _ref(EVENT_DATA[name]),
            },
        },
    )


#: The stream's media type. As OpenAPI 3.1 reads an event stream (and 3.2's
#: ``itemSchema``), ``schema`` describes one event: its ``event`` name and its ``data``
#: line, JSON of the schema named in ``contentSchema``. ``x-events`` lists the same
#: pairs for readers that want a plain map.
EVENT_STREAM: dict[str, Any] = {
    "schema": {
        "description": "One event: `event: NAME` and `data: JSON` lines ended by a blank "
        "line. `: ping` comment lines between events keep idle connections open.",
        "oneOf": [_event(name) for name in EVENT_DATA],
    },
    "x-events": {name: _ref(schema) for name, schema in EVENT_DATA.items()},
}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed JSON, wrong types or an unsafe path",
        401: "Hub mode: the hub token is not valid (expired or revoked); sign in to the hub again",
        403: "Not authenticated, not authorized (instructors' endpoints), missing XSRF "
        "token, or the challenge is not open (before opens; after due when late work "
        "is refused)",
        404: "No such challenge, submission (of this user), regrade or workspace file",
        409: "Every submission the challenge allows is used",
        413: "Request body too large",
        429: "Too many submissions; retry after the given seconds",
        503: "Grading is unavailable: the server is shutting down, its grading sandbox "
        "cannot run, or (remote mode) the grading service cannot be reached; nothing was "
        "submitted",
    }
    out = {}
    for code in (401, 403, *codes):
        response = _json("Error", text[code])
        if code == 429:
            response["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": INT, "required": True}
            }
        out[str(code)] = response
    return out


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False):
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


#: Where a new submission's id leads (OpenAPI links, followed by clients and schema tools).
SUBMISSION_LINKS: dict[str, Any] = {
    name: {"operationId": op, "parameters": {"submission_id": "$response.body#/id"}}
    for name, op in (
        ("result", "getSubmission"),
        ("events", "followSubmission"),
        ("code", "getSubmissionCode"),
        ("restore", "restoreSubmission"),
    )
}

CID = _param("challenge_id", "path", STR, "Challenge id")
SID = _param("submission_id", "path", STR, "Submission id")
LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size")
OFFSET = _param(
    "offset", "query", {"type": "integer", "minimum": 0, "maximum": 10**9}, "Items to skip"
)

PATHS: dict[str, Any] = {
    "/info": {
        "get": {
            "operationId": "getInfo",
            "summary": "Server version and the current user",
            "responses": {"200": _json("Info", "Version and user"), **_errors()},
        }
    },
    "/challenges": {
        "get": {
            "operationId": "listChallenges",
            "summary": "Challenges with this user's progress",
            "responses": {"200": _json("ChallengeList", "The catalog"), **_errors()},
        }
    },
    "/challenges/{challenge_id}": {
        "get": {
            "operationId": "getChallenge",
            "summary": "Description, public tests, unlocked hints, limits, workspace state",
            "parameters": [CID],
            "responses": {"200": _json("ChallengeDetail", "The challenge"), **_errors(404)},
        }
    },
    "/challenges/{challenge_id}/material": {
        "get": {
            "operationId": "getChallengeMaterial",
            "summary": "Hub grading service only: the public material a learner's server "
            "copies into the workspace",
            "parameters": [CID],
            "responses": {"200": _json("Material", "The public material"), **_errors(404)},
        }
    },
    "/challenges/{challenge_id}/workspace": {
        "post": {
            "operationId": "openWorkspace",
            "summary": "Copy the starter notebook and files into the workspace (never overwrites)",
            "parameters": [CID],
            "responses": {
                "200": _json("WorkspaceOpened", "The notebook's path"),
                **_errors(400, 404, 413),
            },
        }
    },
    "/challenges/{challenge_id}/reset": {
        "post": {
            "operationId": "resetWorkspace",
            "summary": "Write the starter notebook and files over the workspace copy, "
            "checkpointing every file replaced",
            "parameters": [CID],
            "responses": {
                "200": _json("RestoreResult", "Where they went, and the checkpoints"),
                **_errors(400, 404, 413),
            },
        }
    },
    "/challenges/{challenge_id}/submissions": {
        "get": {
            "operationId": "listChallengeSubmissions",
            "summary": "This user's submissions of the challenge, newest first",
            "parameters": [CID, LIMIT, OFFSET],
            "responses": {"200": _json("SubmissionList", "One page"), **_errors(400, 404)},
        },
        "post": {
            "operationId": "submit",
            "summary": "Queue a grading; without a notebook the workspace copy is graded",
            "parameters": [
                CID,
                _param(
                    "wait",
                    "query",
                    {"type": "boolean"},
                    "Wait for the final result (200) instead of 202",
                ),
            ],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("SubmissionRequest")}},
            },
            "responses": {
                "200": {
                    **_json("Result", "The final result (wait=true)"),
                    "links": SUBMISSION_LINKS,
                },
                "202": {**_json("SubmissionAccepted", "Queued"), "links": SUBMISSION_LINKS},
                **_errors(400, 404, 409, 413, 429, 503),
            },
        },
    },
    "/submissions": {
        "get": {
            "operationId": "listAllSubmissions",
            "summary": "Everyone's submissions (instructors only)",
            "parameters": [
                _param("user", "query", STR, "Only this user's"),
                _param("challenge", "query", STR, "Only this challenge's"),
                LIMIT,
                OFFSET,
            ],
            "responses": {"200": _json("SubmissionList", "One page"), **_errors(400)},
        }
    },
    "/submissions/{submission_id}": {
        "get": {
            "operationId": "getSubmission",
            "summary": "The result JSON (while grading: the tests finished so far)",
            "parameters": [SID],
            "responses": {"200": _json("Result", "The result"), **_errors(404)},
        }
    },
    "/submissions/{submission_id}/events": {
        "get": {
            "operationId": "followSubmission",
            "summary": "Server-sent events of the grading",
            "description": EVENT_STREAM_DOC,
            "parameters": [SID],
            "responses": {
                "200": {
                    "description": "An event stream (see the operation's description)",
                    "content": {"text/event-stream": EVENT_STREAM},
                },
                **_errors(404),
            },
        }
    },
    "/submissions/{submission_id}/code": {
        "get": {
            "operationId": "getSubmissionCode",
            "summary": "The submitted notebook and files",
            "parameters": [SID],
            "responses": {"200": _json("Code", "The snapshot"), **_errors(404)},
        }
    },
    "/submissions/{submission_id}/restore": {
        "post": {
            "operationId": "restoreSubmission",
            "summary": "Write the snapshot into the workspace, checkpointing the current version",
            "parameters": [SID],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("RestoreRequest")}},
            },
            "responses": {
                "200": _json("RestoreResult", "Where it went, and the checkpoint"),
                **_errors(400, 404, 413),
            },
        }
    },
    "/submissions/{submission_id}/results": {
        "get": {
            "operationId": "getResultHistory",
            "summary": "The current result and those regrades replaced (instructors only)",
            "parameters": [SID],
            "responses": {"200": _json("ResultHistory", "Current and old results"), **_errors(404)},
        }
    },
    "/challenges/{challenge_id}/stats": {
        "get": {
            "operationId": "getChallengeStats",
            "summary": "Score distribution, per-test failure rates and common failure "
            "messages, submissions per day (instructors only)",
            "parameters": [CID],
            "responses": {"200": _json("ChallengeStats", "The statistics"), **_errors(404)},
        }
    },
    "/class": {
        "get": {
            "operationId": "getClassMatrix",
            "summary": "Learners x challenges: best points, attempts, last activity, late "
            "(instructors only)",
            "parameters": [
                _param(
                    "challenge",
                    "query",
                    {**STR, "maxLength": 4096},
                    "Only these challenges (ids separated by commas)",
                )
            ],
            "responses": {"200": _json("ClassMatrix", "The matrix"), **_errors(400)},
        }
    },
    "/gradebook.csv": {
        "get": {
            "operationId": "getGradebook",
            "summary": "The gradebook as CSV, as `codequest export` prints it (instructors only)",
            "parameters": [
                _param(
                    "challenge",
                    "query",
                    {**STR, "maxLength": 4096},
                    "Only these challenges (ids separated by commas)",
                )
            ],
            "responses": {
                "200": {
                    "description": "One row per learner and challenge; header `"
                    + ",".join(
                        (
                            "learner",
                            "challenge",
                            "best_points",
                            "last_points",
                            "max_points",
                            "attempts",
                            "first_passed_at",
                            "late",
                        )
                    )
                    + "`",
                    "content": {
                        "text/csv": {"schema": {"description": "UTF-8 CSV text, '\\n' line ends"}}
                    },
                },
                **_errors(400),
            },
        }
    },
    "/regrades": {
        "post": {
            "operationId": "startRegrade",
            "summary": "Regrade a challenge's stored submissions against it as it is now "
            "(instructors only); old results are kept",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RegradeRequest")}},
            },
            "responses": {
                "202": {
                    **_json("RegradeJob", "Started; follow it at regrades/{job_id}"),
                    "links": {
                        "progress": {
                            "operationId": "getRegrade",
                            "parameters": {"job_id": "$response.body#/id"},
                        }
                    },
                },
                **_errors(400, 404, 413, 503),
            },
        }
    },
    "/regrades/{job_id}": {
        "get": {
            "operationId": "getRegrade",
            "summary": "A regrade's progress (done of total) and old vs new per submission",
            "parameters": [_param("job_id", "path", STR, "Regrade id")],
            "responses": {"200": _json("RegradeJob", "The regrade"), **_errors(404)},
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenAPI",
            "summary": "This document",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                **_errors(),
            },
        }
    },
}


def build_openapi(base_url: str = "/") -> dict[str, Any]:
    """The OpenAPI document, with ``servers`` pointing at ``{base_url}codequest/api``."""
    base = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CodeQuest",
            "version": __version__,
            "description": "Coding challenges with sandboxed grading in Jupyter. Every "
            "endpoint needs an authenticated Jupyter user (token or login cookie); "
            "cookie-authenticated POSTs also need the `_xsrf` token, as everywhere in "
            f"Jupyter. API version {API_VERSION}.",
        },
        "servers": [{"url": f"{base}codequest/api"}],
        "security": [{"token": []}, {"cookie": []}],
        "paths": copy.deepcopy(PATHS),
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`token <jupyter server token>`",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "username-*",
                    "description": "Jupyter's login cookie (plus `_xsrf` on POST)",
                },
            },
        },
    }
