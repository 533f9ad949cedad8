"""Hub mode's parts that need no hub: the public material of a challenge, finding the
grading service, and how the service's errors reach a learner.

The whole of hub mode (a real JupyterHub, system users, PostgreSQL) is tested in
tests/hub/ (test_remote_mode.py, test_trust.py).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from challenge_factory import make_challenge

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.errors import InvalidRequest
from codequest_jupyter.material import challenge_from_material, material_json
from codequest_jupyter.server.discovery import find_service, service_url_from_model
from codequest_jupyter.server.remote import service_error


@pytest.fixture
def challenge(tmp_path: Path):
    path = make_challenge(
        tmp_path / "lib", "adder", files={"helpers.py": "X = 1\n", "data/in.txt": "1 2\n"},
        locked=["helpers.py"],
    )  # fmt: skip
    return load_challenge(path)


def test_material_is_the_public_part_only(challenge) -> None:
    material = material_json(challenge)
    assert sorted(material["files"]) == [
        "adder.ipynb", "data/in.txt", "helpers.py", "tests/test_add.py",
    ]  # fmt: skip
    text = json.dumps(material)
    assert "hidden" not in material["files"] and "test_large_numbers" not in text
    assert "solution" not in text and "Use +." not in text  # no hint either
    assert base64.b64decode(material["files"]["helpers.py"]) == b"X = 1\n"


def test_material_rebuilds_a_challenge_without_its_secrets(challenge, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    copy = challenge_from_material(json.loads(json.dumps(material_json(challenge))), cache)
    assert (copy.id, copy.version) == (challenge.id, challenge.version)
    assert copy.notebook == "adder.ipynb"
    assert copy.files == challenge.files and copy.locked == challenge.locked
    assert copy.public_tests == challenge.public_tests
    assert copy.hidden_tests == () and copy.solution == () and copy.hints == ()
    assert copy.starter_files() == challenge.starter_files()
    assert copy.notebook_path.read_bytes() == challenge.notebook_path.read_bytes()
    assert not (copy.path / "hidden").exists() and not (copy.path / "solution").exists()
    assert copy.is_locked("helpers.py") and not copy.is_locked("data/in.txt")
    # "Run tests" in a workspace grades where the hub's Submit does.
    assert copy.isolation == challenge.isolation == "judge"
    in_kernel = material_json(dataclasses.replace(challenge, isolation="kernel"))
    assert challenge_from_material(in_kernel, tmp_path / "cache2").isolation == "kernel"
    # The same version again: the folder written the first time.
    again = challenge_from_material(material_json(challenge), cache)
    assert again.path == copy.path and len(list(cache.iterdir())) == 1


def test_material_carries_the_files_beside_the_public_tests_only(challenge, tmp_path) -> None:
    (challenge.path / "tests" / "data").mkdir()
    (challenge.path / "tests" / "data" / "cases.json").write_text("[1, 2]\n")
    (challenge.path / "hidden" / "data").mkdir()
    (challenge.path / "hidden" / "data" / "big.txt").write_text("secret\n")
    challenge = load_challenge(challenge.path)
    assert challenge.test_data == ("tests/data/cases.json", "hidden/data/big.txt")
    material = material_json(challenge)
    assert "tests/data/cases.json" in material["files"]
    assert not any(rel.startswith("hidden") for rel in material["files"])
    copy = challenge_from_material(material, tmp_path / "cache")
    assert copy.test_data == ("tests/data/cases.json",)
    assert copy.test_data_files("submit") == {"tests/data/cases.json": b"[1, 2]\n"}
    assert challenge.test_data_files("run") == copy.test_data_files("run")
    assert challenge.test_data_files("submit")["hidden/data/big.txt"] == b"secret\n"


@pytest.mark.parametrize("bad", ["../escape.py", "/etc/passwd", "a/../../b"])
def test_material_with_an_unsafe_path_is_refused_and_writes_nothing(
    challenge, tmp_path: Path, bad: str
) -> None:
    material = material_json(challenge)
    material["files"][bad] = base64.b64encode(b"boom").decode()
    cache = tmp_path / "cache"
    with pytest.raises(InvalidRequest):
        challenge_from_material(material, cache)
    assert list(cache.iterdir()) == []
    assert not (tmp_path / "escape.py").exists()


def test_service_url_from_the_hubs_model() -> None:
    model = {"url": "http://127.0.0.1:10101", "prefix": "/services/codequest/"}
    assert service_url_from_model(model) == "http://127.0.0.1:10101/services/codequest/"
    assert service_url_from_model({"url": "http://h:1/x"}) == "http://h:1/x/"
    assert service_url_from_model({"url": None, "prefix": "/services/codequest/"}) == ""
    assert service_url_from_model(None) == ""


class _Hub(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "token server-token":
            self.send_response(403)
            self.end_headers()
            return
        if self.path == "/hub/api/services/codequest":
            body = json.dumps({"name": "codequest", "url": "http://127.0.0.1:10101",
                               "prefix": "/services/codequest/"}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hub/api"
    server.shutdown()
    server.server_close()


def _app(**traits: object) -> SimpleNamespace:
    defaults = {"service_url": "", "service_name": "codequest", "service_token": "",
                "log": SimpleNamespace(info=lambda *a: None, warning=lambda *a: None)}  # fmt: skip
    return SimpleNamespace(**{**defaults, **traits})


def test_finding_the_service_in_order(monkeypatch: pytest.MonkeyPatch, fake_hub: str) -> None:
    for name in ("CODEQUEST_SERVICE_URL", "JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert find_service(_app()) == ""  # no hub, no setting: personal mode
    monkeypatch.setenv("JUPYTERHUB_API_URL", fake_hub)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "server-token")
    assert find_service(_app()) == "http://127.0.0.1:10101/services/codequest/"
    assert find_service(_app(service_name="other")) == ""  # the hub has none: personal
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "wrong")
    assert find_service(_app()) == ""  # not allowed to read it: personal
    monkeypatch.setenv("CODEQUEST_SERVICE_URL", "http://svc:1/services/cq")
    assert find_service(_app()) == "http://svc:1/services/cq/"
    assert find_service(_app(service_url="http://set:2/")) == "http://set:2/"
    # The service itself never looks for another one.
    assert find_service(_app(service_url="http://set:2/", hub_service=True)) == ""


def test_service_errors_keep_their_status_and_say_what_to_do() -> None:
    error = service_error(429, b'{"message": "Too many"}', {"Retry-After": "7"})
    assert (error.status, error.message, error.retry_after) == (429, "Too many", "7")
    expired = service_error(403, b"<html>Forbidden</html>")
    assert expired.status == 403 and "sign in to the hub again" in expired.message
    assert service_error(404, b'{"message": "No submission"}').message == "No submission"
