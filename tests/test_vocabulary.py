"""The status and error-kind words: defined once in Python, the same everywhere.

results.py defines them; the OpenAPI document's enums must be built from them, and
the frontend's TypeScript unions (labextension/src/tokens.ts) must list the same words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codequest_jupyter import results
from codequest_jupyter.challenges import DIFFICULTIES, ISOLATIONS
from codequest_jupyter.openapi import PROGRESS_STATUSES, build_openapi
from codequest_jupyter.views import progress_view

TOKENS_TS = Path(__file__).resolve().parents[1] / "labextension" / "src" / "tokens.ts"
UNION = re.compile(r"export\s+type\s+(\w+)\s*=\s*((?:\s*\|?\s*'[^']*')+)\s*;")


def typescript_unions(source: str) -> dict[str, set[str]]:
    """``export type Name = 'a' | 'b';`` declarations of string literals, by name."""
    return {name: set(re.findall(r"'([^']*)'", body)) for name, body in UNION.findall(source)}


def test_the_union_parser_reads_multi_line_unions():
    source = "export type A =\n  | 'x'\n  | 'y';\nexport type B = 'p' | 'q';\ntype C = 1;"
    assert typescript_unions(source) == {"A": {"x", "y"}, "B": {"p", "q"}}


def test_python_literals_are_the_one_source():
    assert set(results.SUBMISSION_STATUSES) >= results.FINAL_STATUSES
    assert frozenset(results.TEST_STATUS_WORDS) == results.TEST_STATUSES
    assert frozenset(results.MODE_WORDS) == results.MODES


def _enum(doc: dict, schema: str, prop: str) -> set[str]:
    return set(doc["components"]["schemas"][schema]["properties"][prop]["enum"])


DOCUMENT = build_openapi()
# (TypeScript type, words in Python, the same words in the OpenAPI document)
VOCABULARIES = [
    ("SubmissionStatus", results.SUBMISSION_STATUSES, _enum(DOCUMENT, "Result", "status")),
    ("TestStatus", results.TEST_STATUS_WORDS, _enum(DOCUMENT, "TestResult", "status")),
    ("ErrorKind", results.ERROR_KINDS, _enum(DOCUMENT, "GradeError", "kind")),
    ("Mode", results.MODE_WORDS, _enum(DOCUMENT, "SubmissionRequest", "mode")),
    ("Difficulty", DIFFICULTIES, _enum(DOCUMENT, "ChallengeSummary", "difficulty")),
    ("ProgressStatus", PROGRESS_STATUSES, _enum(DOCUMENT, "Progress", "status")),
    ("Isolation", ISOLATIONS, _enum(DOCUMENT, "Result", "isolation") - {None}),
]


@pytest.mark.parametrize("ts_name, python, documented", VOCABULARIES, ids=lambda v: str(v)[:20])
def test_openapi_and_typescript_use_the_python_words(ts_name, python, documented):
    assert documented == set(python)
    unions = typescript_unions(TOKENS_TS.read_text(encoding="utf-8"))
    assert ts_name in unions, f"tokens.ts no longer declares {ts_name}"
    assert unions[ts_name] == set(python), (
        f"tokens.ts {ts_name} {sorted(unions[ts_name])} differs from Python {sorted(python)}"
    )


def test_other_schemas_reuse_the_same_enums():
    schemas = DOCUMENT["components"]["schemas"]
    assert set(schemas["SubmissionAccepted"]["properties"]["status"]["enum"]) == set(
        results.SUBMISSION_STATUSES
    )
    assert set(schemas["SubmissionSummary"]["properties"]["mode"]["enum"]) == set(
        results.MODE_WORDS
    )


def test_progress_words_are_the_ones_the_views_produce():
    produced = {
        progress_view(None)["status"],
        progress_view({"attempts": 1})["status"],
        progress_view({"attempts": 1, "completed_at": "2026-01-01T00:00:00Z"})["status"],
    }
    assert produced == set(PROGRESS_STATUSES)
