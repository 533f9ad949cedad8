"""WorkspaceManager on Jupyter's real contents managers, async and sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jupyter_server.services.contents.filemanager import FileContentsManager
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from server_fixtures import notebook, write_challenge

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.errors import InvalidRequest, NotFound
from codequest_jupyter.workspace import WorkspaceManager, check_relpath


@pytest.fixture
def challenge(tmp_path: Path):
    path = write_challenge(
        tmp_path / "challenges",
        "helper",
        starter="def quad(x):\n    return x\n",
        tests={"test_q.py": "def test_q():\n    pass\n"},
        files={"helpers.py": "H = 1\n", "data/words.txt": "a\nb\n", "data/blob.bin": ""},
        listed=["helpers.py", "data"],
        locked=["data"],
    )
    (path / "data" / "blob.bin").write_bytes(b"\x00\xff\x10")
    return load_challenge(path)


@pytest.fixture(params=["async", "sync"])
def workspace(request, tmp_path: Path) -> WorkspaceManager:
    root = tmp_path / "root"
    root.mkdir()
    cls = AsyncLargeFileManager if request.param == "async" else FileContentsManager
    return WorkspaceManager(contents_manager=cls(root_dir=str(root)), root="codequest")


def disk(workspace: WorkspaceManager) -> Path:
    return Path(workspace.contents_manager.root_dir)


async def test_open_copies_everything_once(workspace, challenge):
    opened = await workspace.open(challenge)
    assert opened["path"] == "codequest/helper/helper.ipynb" and opened["created"] is True
    root = disk(workspace) / "codequest" / "helper"
    assert (root / "helpers.py").read_text() == "H = 1\n"
    assert (root / "data" / "words.txt").read_text() == "a\nb\n"
    assert (root / "data" / "blob.bin").read_bytes() == b"\x00\xff\x10"  # binary kept exact
    copy = json.loads((root / "helper.ipynb").read_text())
    assert copy["cells"][0]["cell_type"] == "code"
    assert copy["metadata"]["codequest"] == {"challenge": "helper"}
    (root / "helpers.py").write_text("MINE = 2\n")
    again = await workspace.open(challenge)
    assert again == {"path": opened["path"], "created": False, "created_files": []}
    assert (root / "helpers.py").read_text() == "MINE = 2\n"
    assert await workspace.info(challenge) == {"path": opened["path"], "exists": True}


async def test_read_submission_takes_text_starter_files_but_not_locked_ones(workspace, challenge):
    with pytest.raises(NotFound):
        await workspace.read_submission(challenge)
    await workspace.open(challenge)
    nb, files = await workspace.read_submission(challenge)
    assert nb["cells"][0]["source"] == "def quad(x):\n    return x\n"
    assert files == {"helpers.py": "H = 1\n"}  # data/ is locked
    with pytest.raises(InvalidRequest):
        await workspace.read_submission(challenge, "../escape.ipynb")
    with pytest.raises(InvalidRequest):
        await workspace.read_submission(challenge, "codequest/helper/helpers.py")


async def test_restore_checkpoints_the_current_version(workspace, challenge):
    await workspace.open(challenge)
    cm = workspace.contents_manager
    snapshot = notebook("def quad(x):\n    return 4 * x\n")
    restored = await workspace.restore(
        challenge, snapshot, {"helpers.py": "H = 3\n", "data/words.txt": "locked!"}
    )
    assert restored["checkpoint"]["id"]
    assert isinstance(restored["checkpoint"]["last_modified"], str)
    root = disk(workspace) / "codequest" / "helper"
    assert "4 * x" in (root / "helper.ipynb").read_text()
    assert (root / "helpers.py").read_text() == "H = 3\n"
    assert (root / "data" / "words.txt").read_text() == "a\nb\n"  # locked: untouched
    assert [f["path"] for f in restored["files"]] == ["codequest/helper/helpers.py"]
    # Undo through the contents manager's own checkpoint API.
    from jupyter_core.utils import ensure_async

    await ensure_async(cm.restore_checkpoint(restored["checkpoint"]["id"], restored["path"]))
    assert "4 * x" not in (root / "helper.ipynb").read_text()


def test_check_relpath():
    assert check_relpath("a/./b//c.py") == "a/b/c.py"
    for bad in ("", "/x", "../x", "a/../../x", "a\\b", "a\x00b", "C:/x", 3, None):
        with pytest.raises(InvalidRequest):
            check_relpath(bad)


@pytest.fixture
def read_only_disk(monkeypatch, workspace):
    """The workspace's file system refuses writes from now on, as a read-only mount does."""
    import errno

    from jupyter_server.services.contents import fileio

    root = str(disk(workspace))

    def refusing(original):
        def write(os_path, *args, **kwargs):
            if str(os_path).startswith(root):
                raise OSError(errno.EROFS, "Read-only file system", os_path)
            return original(os_path, *args, **kwargs)

        return write

    # Every write of Jupyter's file contents managers goes through these two.
    for name in ("atomic_writing", "_simple_writing"):
        monkeypatch.setattr(fileio, name, refusing(getattr(fileio, name)))


async def test_read_only_workspace_is_a_clear_error_and_loses_nothing(
    workspace, challenge, read_only_disk
):
    from codequest_jupyter.errors import WorkspaceUnavailable

    nb_path = disk(workspace) / "codequest" / "helper" / "helper.ipynb"
    with pytest.raises(WorkspaceUnavailable, match="Read-only file system"):
        await workspace.open(challenge)
    assert not nb_path.exists()
    assert WorkspaceUnavailable.status == 503


async def test_restore_into_a_read_only_workspace_keeps_the_current_notebook(
    workspace, challenge, request
):
    from codequest_jupyter.errors import WorkspaceUnavailable

    await workspace.open(challenge)
    nb_path = disk(workspace) / "codequest" / "helper" / "helper.ipynb"
    before = nb_path.read_text()
    request.getfixturevalue("read_only_disk")
    with pytest.raises(WorkspaceUnavailable):
        await workspace.restore(challenge, notebook("def quad(x):\n    return 99\n"))
    assert nb_path.read_text() == before
