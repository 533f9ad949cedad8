"""Small challenge directories and notebooks built inside a test's tmp_path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any


def notebook(*sources: str, markdown: str | None = "# Task") -> dict[str, Any]:
    """An nbformat 4 notebook with a markdown cell (optional) then one code cell per source."""
    cells: list[dict[str, Any]] = []
    if markdown is not None:
        cells.append({"cell_type": "markdown", "id": "md", "metadata": {}, "source": markdown})
    for i, src in enumerate(sources):
        cells.append(
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": textwrap.dedent(src),
            }
        )
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": cells,
    }


def make_challenge(
    root: Path,
    cid: str = "adder",
    *,
    tests: dict[str, str] | None = None,
    hidden: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    locked: list[str] | None = None,
    toml_extra: str = "",
    limits: str = "timeout_s = 3\nmemory_mb = 256",
    starter: dict[str, Any] | None = None,
    solution: str | None = "def add(a, b):\n    return a + b\n",
    module: str = "adder",
) -> Path:
    """Write a challenge directory; the default is a tiny ``add(a, b)`` exercise."""
    path = root / cid
    path.mkdir(parents=True)
    tests = (
        tests
        if tests is not None
        else {
            "test_add.py": """
            from adder import add

            def test_small_numbers():
                assert add(1, 2) == 3

            def test_negative_numbers():
                assert add(-1, -1) == -2
        """
        }
    )
    hidden = (
        hidden
        if hidden is not None
        else {
            "test_add_hidden.py": """
            from adder import add

            def test_large_numbers():
                assert add(10**12, 1) == 10**12 + 1
        """
        }
    )
    files = files or {}
    file_list = json.dumps(sorted(files))
    locked_list = json.dumps(locked or [])
    (path / "challenge.toml").write_text(
        f'title = "Adder {cid}"\ndifficulty = "easy"\nestimated_minutes = 5\n'
        f'tags = ["basics"]\nnotebook = "{module}.ipynb"\nmodule = "{module}"\n'
        f"files = {file_list}\nlocked = {locked_list}\n{toml_extra}\n"
        f"[limits]\n{limits}\n"
        '[[hints]]\ntext = "Use +."\nafter_attempts = 1\n',
        encoding="utf-8",
    )
    (path / f"{module}.ipynb").write_text(
        json.dumps(starter or notebook("def add(a, b):\n    return 0\n")), encoding="utf-8"
    )
    for folder, content in (("tests", tests), ("hidden", hidden)):
        if content:
            (path / folder).mkdir()
            for name, src in content.items():
                (path / folder / name).write_text(textwrap.dedent(src), encoding="utf-8")
    for name, src in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(src), encoding="utf-8")
    if solution is not None:
        (path / "solution").mkdir()
        (path / "solution" / f"{module}.py").write_text(solution, encoding="utf-8")
    return path
