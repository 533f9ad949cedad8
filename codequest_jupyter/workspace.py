"""The learner's copy of a challenge, kept in the Jupyter server's contents.

A challenge is opened by copying its starter notebook and files into
``<workspace>/<challenge id>/`` (``codequest/two-sum/two_sum.ipynb`` by default). All
reads and writes go through the server's ContentsManager, so they work with any
contents backend (local files, S3, a database) and the learner's file browser sees
them at once. Nothing here imports tornado or jupyter_server: the contents manager is
passed in, and its coroutines or plain methods are both accepted.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import posixpath
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from jupyter_core.utils import ensure_async
from traitlets import Any as AnyTrait
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from .challenges import Challenge
from .errors import CodeQuestError, Forbidden, InvalidRequest, NotFound, WorkspaceUnavailable
from .paths import check_notebook_path, check_relpath

T = TypeVar("T")


def _iso(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return value


class WorkspaceManager(LoggingConfigurable):
    """Opens, reads and restores challenge copies through a ContentsManager."""

    contents_manager = AnyTrait(help="The Jupyter server's ContentsManager.")
    root = Unicode(
        "codequest",
        help="Folder, relative to the server's root, holding one sub-folder per opened challenge.",
    )

    # -- paths ------------------------------------------------------------------

    def challenge_dir(self, challenge: Challenge) -> str:
        """The workspace folder of ``challenge`` (``codequest/two-sum``)."""
        root = self.root.strip("/")
        return f"{root}/{challenge.id}" if root else challenge.id

    def notebook_path(self, challenge: Challenge) -> str:
        """The default path of the learner's notebook for ``challenge``."""
        return f"{self.challenge_dir(challenge)}/{challenge.notebook}"

    async def info(self, challenge: Challenge) -> dict[str, Any]:
        """``{"path": ..., "exists": bool}`` for the learner's notebook."""
        path = self.notebook_path(challenge)
        return {"path": path, "exists": await self._file_exists(path)}

    # -- opening ----------------------------------------------------------------

    async def open(self, challenge: Challenge) -> dict[str, Any]:
        """Copy the starter notebook and files into the workspace, never overwriting.

        Returns ``{"path": notebook path, "created": bool (the notebook was created),
        "created_files": [every path written]}``.
        """
        base = self.challenge_dir(challenge)
        await self._ensure_dirs(base)
        created: list[str] = []
        nb_path = self.notebook_path(challenge)
        await self._ensure_dirs(posixpath.dirname(nb_path))
        if not await self._file_exists(nb_path):
            notebook = json.loads(
                await anyio.to_thread.run_sync(challenge.notebook_path.read_text, "utf-8")
            )
            # The copy names its challenge, so it stays a challenge notebook (for the
            # Tests panels) wherever the learner moves or renames it.
            metadata = notebook.setdefault("metadata", {})
            metadata.setdefault("codequest", {})["challenge"] = challenge.id
            await self._save_notebook(nb_path, notebook)
            created.append(nb_path)
        starter = await anyio.to_thread.run_sync(challenge.starter_files)
        for rel, data in starter.items():
            path = f"{base}/{rel}"
            if await self._file_exists(path):
                continue
            await self._ensure_dirs(posixpath.dirname(path))
            await self._save_file(path, data)
            created.append(path)
        if created:
            self.log.info(
                "CodeQuest: opened %s in %s (%d new files)", challenge.id, base, len(created)
            )
        return {"path": nb_path, "created": nb_path in created, "created_files": created}

    # -- reading a submission from disk -------------------------------------------

    async def read_submission(
        self, challenge: Challenge, path: str | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The learner's notebook at ``path`` (default: the workspace copy) and the
        starter files next to it, as ``(notebook, {relpath: text})``.

        Locked files and files that are not text are left out: the grader uses the
        challenge's own copy of those.
        """
        nb_path = check_notebook_path(path) if path is not None else self.notebook_path(challenge)
        if not await self._file_exists(nb_path):
            raise NotFound(
                f"There is no notebook at {nb_path}. Open the challenge first, "
                "or send the notebook in the request."
            )
        model = await self._call(self.contents_manager.get, nb_path, content=True, type="notebook")
        # Round-trip to plain JSON types: NotebookNode and friends stay out of the store.
        notebook = json.loads(json.dumps(model["content"]))
        files: dict[str, str] = {}
        folder = posixpath.dirname(nb_path)
        for rel in await anyio.to_thread.run_sync(challenge.learner_relpaths):
            text = await self._read_text(f"{folder}/{rel}" if folder else rel)
            if text is not None:
                files[rel] = text
        return notebook, files

    # -- restoring --------------------------------------------------------------

    async def restore(
        self,
        challenge: Challenge,
        notebook: dict[str, Any],
        files: dict[str, str] | None = None,
        path: str | None = None,
    ) -> dict[str, Any]:
        """Write a snapshot back into the workspace, checkpointing what it replaces.

        Returns ``{"path", "checkpoint": {"id", "last_modified"} | None, "files":
        [{"path", "checkpoint"}]}``; a checkpoint is ``None`` when there was no
        current version to keep. Locked files are never written.
        """
        nb_path = check_notebook_path(path) if path is not None else self.notebook_path(challenge)
        folder = posixpath.dirname(nb_path)
        await self._ensure_dirs(folder)
        checkpoint = await self._checkpoint_if_exists(nb_path)
        await self._save_notebook(nb_path, notebook)
        written = []
        for rel, text in sorted((files or {}).items()):
            rel = check_relpath(rel, "file path")
            if challenge.is_locked(rel):
                continue
            fpath = f"{folder}/{rel}" if folder else rel
            await self._ensure_dirs(posixpath.dirname(fpath))
            file_checkpoint = await self._checkpoint_if_exists(fpath)
            await self._save_file(fpath, text.encode("utf-8"))
            written.append({"path": fpath, "checkpoint": file_checkpoint})
        return {"path": nb_path, "checkpoint": checkpoint, "files": written}

    async def reset(self, challenge: Challenge) -> dict[str, Any]:
        """Put the starter notebook and starter files back over the workspace copy.

        Every file it replaces is checkpointed first, exactly as :meth:`restore` does,
        so the learner can get each one back; files the learner added are left alone.
        Returns the same shape as :meth:`restore`.
        """
        notebook = json.loads(
            await anyio.to_thread.run_sync(challenge.notebook_path.read_text, "utf-8")
        )
        notebook.setdefault("metadata", {}).setdefault("codequest", {})["challenge"] = challenge.id
        nb_path = self.notebook_path(challenge)
        base = self.challenge_dir(challenge)
        await self._ensure_dirs(posixpath.dirname(nb_path))
        checkpoint = await self._checkpoint_if_exists(nb_path)
        await self._save_notebook(nb_path, notebook)
        written = []
        starter = await anyio.to_thread.run_sync(challenge.starter_files)
        for rel, data in sorted(starter.items()):
            fpath = f"{base}/{rel}"
            await self._ensure_dirs(posixpath.dirname(fpath))
            file_checkpoint = await self._checkpoint_if_exists(fpath)
            await self._save_file(fpath, data)
            written.append({"path": fpath, "checkpoint": file_checkpoint})
        self.log.info("CodeQuest: reset %s in %s to its starter", challenge.id, base)
        return {"path": nb_path, "checkpoint": checkpoint, "files": written}

    # -- ContentsManager plumbing -------------------------------------------------

    async def _call(self, method: Callable[..., Awaitable[T] | T], *args: Any, **kwargs: Any) -> T:
        """Call a ContentsManager method (sync or async) and turn its HTTP errors into
        typed ones; a sync manager raises in the call itself, so the call happens here."""
        try:
            return await ensure_async(method(*args, **kwargs))
        except CodeQuestError:
            raise
        except Exception as exc:
            # The ContentsManager raises tornado's HTTPError; it is matched by its
            # status attribute so this module stays free of server imports.
            status = getattr(exc, "status_code", None)
            message = getattr(exc, "log_message", None) or str(exc)
            if status == 404:
                raise NotFound(message) from exc
            if status == 403:
                raise Forbidden(message) from exc
            if status in (400, 409):
                raise InvalidRequest(message) from exc
            if status is not None and status >= 500:
                # The disk, not the request: read-only, full, gone. Nothing was changed
                # that the checkpoint taken before it does not keep.
                raise WorkspaceUnavailable(
                    f"Your workspace cannot be changed right now: {message}"
                ) from exc
            raise

    async def _file_exists(self, path: str) -> bool:
        return bool(await self._call(self.contents_manager.file_exists, path))

    async def _ensure_dirs(self, path: str) -> None:
        parts = [p for p in path.split("/") if p]
        current = ""
        for part in parts:
            current = f"{current}/{part}" if current else part
            if await self._call(self.contents_manager.dir_exists, current):
                continue
            if await self._file_exists(current):
                raise InvalidRequest(
                    f"{current} is a file, so the workspace folder cannot be created"
                )
            await self._call(self.contents_manager.save, {"type": "directory"}, current)

    async def _save_notebook(self, path: str, notebook: dict[str, Any]) -> None:
        model = {"type": "notebook", "format": "json", "content": notebook}
        await self._call(self.contents_manager.save, model, path)

    async def _save_file(self, path: str, data: bytes) -> None:
        try:
            model = {"type": "file", "format": "text", "content": data.decode("utf-8")}
        except UnicodeDecodeError:
            model = {
                "type": "file",
                "format": "base64",
                "content": base64.b64encode(data).decode("ascii"),
            }
        await self._call(self.contents_manager.save, model, path)

    async def _read_text(self, path: str) -> str | None:
        if not await self._file_exists(path):
            return None
        try:
            model = await self._call(
                self.contents_manager.get, path, content=True, type="file", format="text"
            )
        except InvalidRequest:
            return None  # not UTF-8 text: the grader keeps the challenge's copy
        content = model.get("content")
        return content if isinstance(content, str) else None

    async def _checkpoint_if_exists(self, path: str) -> dict[str, Any] | None:
        if not await self._file_exists(path):
            return None
        cp = await self._call(self.contents_manager.create_checkpoint, path)
        return {"id": cp["id"], "last_modified": _iso(cp.get("last_modified"))}
