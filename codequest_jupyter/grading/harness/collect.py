"""The harness's collection side: the learner's notebook as the challenge's module, the
test files written out, and the tests of a file as read from its source (when pytest
cannot import it, or before a later phase is collected).

Runs inside the grading kernel as part of the harness (see the package docstring). The
engine also imports ``_static_tests_from_source`` to count tests the kernel never listed.
"""

from __future__ import annotations

import ast
import os
import re
import sys


def learner_module(name, shell):
    """The learner's notebook as the module ``name``: the very module the cells ran in.

    IPython runs every cell in ``shell.user_module``, whose ``__dict__`` is the user
    namespace: the learner's functions look their globals up there. Registered under
    the challenge's module name, ``mock.patch("mod.open", create=True)``,
    ``monkeypatch.setattr(mod, ...)`` and ``mod.CONSTANT = ...`` in a test act on the
    learner's functions exactly as on a ``.py`` module's. What IPython itself put into
    that namespace (``In``, ``Out``, ``get_ipython``, ``exit``, its own ``open``...) is
    taken out first, so the module holds what a ``.py`` file with the same code would.
    """
    module = shell.user_module
    namespace = module.__dict__
    for key, value in list(shell.user_ns_hidden.items()):
        if key.startswith("__") or namespace.get(key, _MISSING) is not value:
            continue
        del namespace[key]
    for key in [k for k in namespace if _HISTORY.match(k)]:
        del namespace[key]
    sys.modules[name] = module
    return module


_MISSING = object()
# The history variables IPython sets after each cell: _, __, ___, _i, _ii, _iii, _iN, _N.
_HISTORY = re.compile(r"^(_{1,3}|_i{1,3}|_i\d+|_\d+)$")


def _static_tests(path, relpath):
    """(nodeid, name, points) of the tests in a file that failed to import, read from source."""
    try:
        with open(path, encoding="utf-8") as fh:
            return _static_tests_from_source(fh.read(), relpath)
    except OSError:
        return []


def _static_tests_from_source_files(files):
    return [
        t
        for rel, src in files.items()
        for t in _static_tests_from_source(src, rel)
        if os.path.basename(rel).startswith("test_") or rel.endswith("_test.py")
    ]


def _static_tests_from_source(source, relpath):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []

    def points_of(node):
        for dec in node.decorator_list:
            if (
                isinstance(dec, ast.Call)
                and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "points"
                and dec.args
                and isinstance(dec.args[0], ast.Constant)
                and isinstance(dec.args[0].value, (int, float))
            ):
                return float(dec.args[0].value)
        return 1.0

    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            out.append((f"{relpath}::{node.name}", node.name, points_of(node)))
        elif isinstance(node, ast.ClassDef):
            cls_points = points_of(node)
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith(
                    "test"
                ):
                    pts = points_of(sub) if sub.decorator_list else cls_points
                    out.append(
                        (f"{relpath}::{node.name}::{sub.name}", f"{node.name}.{sub.name}", pts)
                    )
    return out


def _display_name(item):
    cls = getattr(item, "cls", None)
    if cls is not None:
        return f"{cls.__name__}.{item.name}"
    return item.name


def _points(item):
    marker = item.get_closest_marker("points")
    if marker is not None and marker.args:
        try:
            return float(marker.args[0])
        except (TypeError, ValueError):
            return 1.0
    return 1.0


def _write_files(root, files):
    for rel, source in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(source)
