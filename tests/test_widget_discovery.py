"""Finding things (``widget/discovery.py``): the challenge of a notebook, the
running servers from their runtime files and JupyterHub's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from challenge_factory import notebook
from widget_helpers import (
    write_nb,
)

from codequest_jupyter.widget.discovery import (
    ChallengeUnknown,
    ServerInfo,
    hub_server_url,
    infer_challenge,
    notebook_path_hint,
    relative_to_root,
    running_servers,
)


def test_challenge_is_told_from_metadata_workspace_folder_or_file_name(tmp_path):
    listing = [
        {"id": "two-sum", "notebook": "two_sum.ipynb"},
        {"id": "fizzbuzz", "notebook": "fizzbuzz.ipynb"},
        {"id": "fizzbuzz-2", "notebook": "fizzbuzz.ipynb"},
    ]
    assert infer_challenge("codequest/two-sum/two_sum.ipynb", listing) == "two-sum"
    assert infer_challenge("codequest/two-sum/two_sum-Copy1.ipynb", listing) == "two-sum"
    assert infer_challenge("elsewhere/two_sum.ipynb", listing) == "two-sum"
    assert (
        infer_challenge("x.ipynb", listing, {"codequest": {"challenge": "fizzbuzz"}}) == "fizzbuzz"
    )
    with pytest.raises(ChallengeUnknown, match="Several challenges"):
        infer_challenge("elsewhere/fizzbuzz.ipynb", listing)
    with pytest.raises(ChallengeUnknown, match="does not belong"):
        infer_challenge("notes.ipynb", listing)
    with pytest.raises(ChallengeUnknown, match="TestsPanel"):
        infer_challenge(None, listing)

    nb = write_nb(tmp_path / "root" / "sub" / "a.ipynb", notebook("x = 1"))
    assert relative_to_root(nb, str(tmp_path / "root")) == "sub/a.ipynb"
    assert relative_to_root(nb, str(tmp_path / "other")) is None
    # jupyter_server's JPY_SESSION_NAME, VS Code's __vsc_ipynb_file__; missing files skipped.
    assert notebook_path_hint({}, {"JPY_SESSION_NAME": str(nb)}) == nb
    assert notebook_path_hint({"__vsc_ipynb_file__": str(nb)}, {}) == nb
    assert notebook_path_hint({}, {"JPY_SESSION_NAME": str(tmp_path / "gone.ipynb")}) is None


def test_servers_from_runtime_files_and_jupyterhub(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for name, pid, url in (
        ("a", os.getpid(), "http://localhost:8888/"),
        ("b", dead.pid, "http://x/"),
    ):
        info = {"url": url, "token": "t", "root_dir": "/srv", "pid": pid}
        (tmp_path / f"jpserver-{name}.json").write_text(json.dumps(info))
    (tmp_path / "jpserver-c.json").write_text("{half written")
    env = {
        "JUPYTERHUB_SERVICE_URL": "http://:8890/user/alice/",
        "JUPYTERHUB_API_TOKEN": "hub-token",
    }
    servers = running_servers(str(tmp_path), env=env)
    assert servers == [
        ServerInfo("http://localhost:8888/", "t", "/srv"),
        ServerInfo("http://127.0.0.1:8890/user/alice/", "hub-token", None, "JupyterHub"),
    ]
    assert hub_server_url({"JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:9000"}) == (
        "http://127.0.0.1:9000/"
    )
    assert running_servers(str(tmp_path / "none"), env={}) == []
