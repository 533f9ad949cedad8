"""The learner's view of the challenge catalog: listings and detail pages as JSON.

Combines a challenge's metadata with the learner's progress (from the store) and the
state of their workspace. Hidden tests are only ever counted, never read.
"""

from __future__ import annotations

import ast
from typing import Any

import anyio
from traitlets import Instance
from traitlets.config import LoggingConfigurable

from .challenges import Challenge, ChallengeCatalog
from .store import AsyncSubmissionStore
from .workspace import WorkspaceManager

EMPTY_PROGRESS: dict[str, Any] = {
    "attempts": 0,
    "failed_attempts": 0,
    "runs": 0,
    "best_score": None,
    "best_total": None,
    "best_points": None,
    "max_points": None,
    "completed_at": None,
    "last_submitted_at": None,
}


def progress_view(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The store's progress row for one challenge, with a ``status`` word added."""
    progress = dict(EMPTY_PROGRESS)
    if raw:
        progress.update({k: raw.get(k, v) for k, v in EMPTY_PROGRESS.items()})
    if progress["completed_at"]:
        status = "completed"
    elif progress["attempts"] or progress["runs"]:
        # Pressing Run tests counts as having started, not only Submit.
        status = "attempted"
    else:
        status = "not_started"
    return {"status": status, **progress}


def test_names(source: str) -> list[str]:
    """Names of the tests pytest would collect from ``source``, in file order.

    ``test_*`` functions, and ``test_*`` methods of ``Test*`` classes and of
    ``unittest.TestCase`` subclasses (as ``Class::method``). A file that does not
    parse yields no names rather than an error: the grader reports it properly.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and (
            node.name.startswith("Test") or any(_is_testcase_base(b) for b in node.bases)
        ):
            for item in node.body:
                if isinstance(
                    item, (ast.FunctionDef, ast.AsyncFunctionDef)
                ) and item.name.startswith("test"):
                    names.append(f"{node.name}::{item.name}")
    return names


def _is_testcase_base(base: ast.expr) -> bool:
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    return name.endswith("TestCase")


class ChallengeViews(LoggingConfigurable):
    """Builds the ``challenges`` and ``challenges/{id}`` replies for one learner.

    ``store`` is an AsyncSubmissionStore, ``workspace`` a WorkspaceManager.
    """

    catalog = Instance(ChallengeCatalog, help="The challenges served.")
    store = Instance(AsyncSubmissionStore, help="The learner's progress.")
    workspace = Instance(WorkspaceManager, help="The learner's copies of the challenges.")

    def get(self, challenge_id: str) -> Challenge:
        """The challenge, or ChallengeNotFound (a 404)."""
        return self.catalog.get(challenge_id)

    async def list(self, user: str) -> dict[str, Any]:
        """``{"challenges": [summary + progress, ...]}`` in catalog order."""
        progress = await self.store.progress(user)
        used = await self.store.count_submits(user)
        return {
            "challenges": [
                {
                    **ch.summary_json(),
                    "submissions_used": used.get(ch.id, 0),
                    "progress": progress_view(progress.get(ch.id)),
                }
                for ch in self.catalog
            ]
        }

    async def detail(self, user: str, challenge_id: str) -> dict[str, Any]:
        """Everything the challenge page shows; hidden tests only as a count."""
        ch = self.get(challenge_id)
        progress = progress_view((await self.store.progress(user)).get(ch.id))
        unlocked = ch.unlocked_hints(progress["failed_attempts"])
        sources = await anyio.to_thread.run_sync(ch.read_sources, ch.public_tests)
        ids = list(self.catalog.ids())
        index = ids.index(ch.id)
        used = await self.store.count_submits(user, ch.id)
        return {
            **ch.summary_json(),
            "submissions_used": used.get(ch.id, 0),
            "description": ch.description,
            "module": ch.module,
            "files": list(ch.files),
            "locked": list(ch.locked),
            "public_tests": [
                {"path": path, "source": source, "tests": test_names(source)}
                for path, source in sources.items()
            ],
            "hidden_tests": len(ch.hidden_tests),
            "hints": [{"text": h.text, "after_attempts": h.after_attempts} for h in unlocked],
            "locked_hints": len(ch.hints) - len(unlocked),
            "limits": ch.limits.to_json(),
            "progress": progress,
            "workspace": await self.workspace.info(ch),
            "next": ids[index + 1] if index + 1 < len(ids) else None,
        }
