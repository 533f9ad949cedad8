"""A Tests panel for any notebook frontend, built with ipywidgets.

.. code-block:: python

    from codequest_jupyter.widget import TestsPanel
    TestsPanel("two-sum")   # or TestsPanel(): the challenge is told from the notebook

Modules: :mod:`.client` (the REST and event-stream client), :mod:`.discovery`
(finding the notebook, the server and the challenge), :mod:`.model` (the state of a
run, pure Python), :mod:`.wording` and :mod:`.history` (what it says, earlier
submissions and hints), :mod:`.backends` (grading through the server or locally),
:mod:`.choose` (which of the two a panel gets), :mod:`.deadline` (the schedule's words),
:mod:`.controller` (worker threads), :mod:`.render` (escaped HTML) and :mod:`.view`
(the ipywidgets). Only :mod:`.view` imports ipywidgets, and only when ``TestsPanel``
is first used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TestsPanel"]


def __getattr__(name: str) -> Any:
    if name == "TestsPanel":
        from .view import TestsPanel

        return TestsPanel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
