"""Checking a submitted notebook without importing nbformat on the hot path."""

from __future__ import annotations

import json
from typing import Any

from ..errors import SubmissionInvalid


def parse_notebook(data: Any) -> dict[str, Any]:
    """A notebook as a dict, from a dict, JSON text or bytes; ``SubmissionInvalid`` if not.

    Checks the structure grading relies on (nbformat 4, a list of cells, each with a
    type and a string or list-of-strings source); other fields are kept as they are.
    """
    if isinstance(data, (bytes, bytearray)):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SubmissionInvalid("the notebook is not UTF-8 text") from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise SubmissionInvalid(f"the notebook is not valid JSON ({exc})") from None
        except RecursionError:
            raise SubmissionInvalid("the notebook's JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise SubmissionInvalid("the notebook must be a JSON object")
    if data.get("nbformat", 4) != 4:
        raise SubmissionInvalid(
            f"only nbformat 4 notebooks can be graded (got nbformat {data.get('nbformat')!r})"
        )
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise SubmissionInvalid("the notebook has no 'cells' list")
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise SubmissionInvalid(f"cell {i + 1} is not a JSON object")
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise SubmissionInvalid(
                f"cell {i + 1} has an unknown cell_type {cell.get('cell_type')!r}"
            )
        source = cell.get("source", "")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(s, str) for s in source)
        ):
            raise SubmissionInvalid(f"cell {i + 1} has a source that is not text")
    return data


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def code_cells(nb: dict[str, Any]) -> list[tuple[int, str]]:
    """(index in the notebook, source) of every non-empty code cell, top to bottom."""
    return [
        (i, cell_source(c))
        for i, c in enumerate(nb["cells"])
        if c.get("cell_type") == "code" and cell_source(c).strip()
    ]


def notebook_from_code(source: str, *, language: str = "python") -> dict[str, Any]:
    """A one-cell notebook holding ``source`` (used for .py solutions)."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": language}
        },
        "cells": [
            {
                "cell_type": "code",
                "id": "solution",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
        ],
    }
