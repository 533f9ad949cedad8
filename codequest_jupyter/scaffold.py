"""``codequest new ID``: a challenge directory that validates, ready to edit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .challenges import ID_PATTERN


class ScaffoldError(Exception):
    """The challenge cannot be created (bad id, directory exists)."""


def _module_name(challenge_id: str) -> str:
    name = re.sub(r"[^0-9a-zA-Z_]", "_", challenge_id)
    return f"_{name}" if name[0].isdigit() else name


def _notebook(title: str, module: str) -> dict:
    def cell(kind: str, source: str, cid: str) -> dict:
        c: dict[str, Any] = {"cell_type": kind, "id": cid, "metadata": {}, "source": source}
        if kind == "code":
            c.update(outputs=[], execution_count=None)
        return c

    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "codequest": {"challenge": module},
        },
        "cells": [
            cell(
                "markdown",
                f"# {title}\n\nWrite `solve(numbers)` so that it returns the sum "
                "of the even numbers in the list.\n\nPress **Run tests** to check your work, "
                "**Submit** when you are done.",
                "task",
            ),
            cell("code", "def solve(numbers):\n    # Your code here\n    return 0\n", "code"),
            cell("code", "solve([1, 2, 3, 4])", "try"),
        ],
    }


def scaffold(challenge_id: str, parent: Path, *, title: str | None = None) -> Path:
    """Create ``parent/challenge_id`` with every part of a challenge; return its path."""
    if not ID_PATTERN.match(challenge_id):
        raise ScaffoldError(
            f"{challenge_id!r} is not a valid challenge id: use lowercase letters, digits, "
            "'-' and '_' (at most 64 characters)"
        )
    root = parent / challenge_id
    if root.exists():
        raise ScaffoldError(f"{root} already exists")
    title = title or challenge_id.replace("-", " ").replace("_", " ").capitalize()
    module = _module_name(challenge_id)
    (root / "tests").mkdir(parents=True)
    (root / "hidden").mkdir()
    (root / "solution").mkdir()
    (root / "challenge.toml").write_text(
        f"title = {json.dumps(title)}\n"
        'difficulty = "easy"            # easy | medium | hard\n'
        "estimated_minutes = 10\n"
        'tags = ["lists"]\n'
        f'notebook = "{module}.ipynb"\n'
        f'module = "{module}"            # tests import the notebook\'s code under this name\n'
        "\n[limits]\n"
        "timeout_s = 5                  # per test\n"
        "memory_mb = 256\n"
        "\n[[hints]]\n"
        'text = "`n % 2 == 0` tells whether n is even."\n'
        "after_attempts = 1\n"
        "\n[[hints]]\n"
        'text = "sum() accepts a generator: sum(n for n in numbers if ...)."\n'
        "after_attempts = 3\n",
        encoding="utf-8",
    )
    (root / "README.md").write_text(
        f"# {title}\n\nWrite `solve(numbers)` that returns the sum of the even numbers in "
        "`numbers`.\n\n```python\n>>> solve([1, 2, 3, 4])\n6\n```\n",
        encoding="utf-8",
    )
    (root / f"{module}.ipynb").write_text(
        json.dumps(_notebook(title, module), indent=1) + "\n", encoding="utf-8"
    )
    (root / "tests" / f"test_{module}.py").write_text(
        f"from {module} import solve\n\n\n"
        "def test_sums_the_even_numbers():\n"
        "    assert solve([1, 2, 3, 4]) == 6\n\n\n"
        "def test_empty_list_sums_to_zero():\n"
        "    assert solve([]) == 0\n",
        encoding="utf-8",
    )
    (root / "hidden" / f"test_{module}_hidden.py").write_text(
        "import pytest\n\n"
        f"from {module} import solve\n\n\n"
        "def test_negative_even_numbers_count():\n"
        "    assert solve([-2, -3, 4]) == 2\n\n\n"
        "@pytest.mark.points(2)\n"
        "def test_long_list():\n"
        "    assert solve(list(range(10_001))) == 25_005_000\n",
        encoding="utf-8",
    )
    (root / "solution" / f"{module}.py").write_text(
        "def solve(numbers):\n    return sum(n for n in numbers if n % 2 == 0)\n",
        encoding="utf-8",
    )
    return root
