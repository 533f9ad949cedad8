"""A real JupyterHub for the hub-mode tests: system users, the service, PostgreSQL.

:func:`start_hub` builds everything one test module needs and :meth:`HubEnv.close`
takes it all down again (processes, system users, folders, the database server):

* system users made with ``useradd`` (a service user, learners, an instructor);
* a Python every user can execute: a venv from ``/usr/bin/python3`` that sees the
  project's ``.venv`` packages (the project's own interpreter may sit under root's
  0700 home);
* the service's folder (0700, owned by the service user) holding the challenge
  library, the database URL and ``docs/hub/codequest_service_config.py`` as it is;
* PostgreSQL from ``tests/pg_fixture.py``, switched to password authentication once
  the service's role and database exist, so only the holder of the URL gets in;
* JupyterHub with ``docs/hub/jupyterhub_config.py`` as it is, loaded from a test
  config that adds only what a test needs (dummy logins, free ports, a token).

Everything listens on 127.0.0.1; every server gets its own Jupyter folders.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from pg_fixture import PostgresServer, start_postgres_server  # noqa: E402
from procs import alive, stop_process  # noqa: E402

DOCS = REPO / "docs" / "hub"
PROXY = REPO / "tests" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
SHARED_VENV = REPO / ".venv-hub"
#: How long JupyterHub may take to stop (its cleanup ends with its proxy).
HUB_STOP_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*cmd: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(cmd), capture_output=True, text=True, **kwargs)
    if check and done.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    return done


def shared_python() -> Path:
    """A Python other users can execute, with the project's packages importable."""
    system = Path("/usr/bin/python3")
    ours = sys.version_info[:2]
    theirs = run(str(system), "-c", "import sys; print(sys.version_info[:2])").stdout.strip()
    if theirs != str(ours):
        raise RuntimeError(f"/usr/bin/python3 is {theirs}, the project's venv is {ours}")
    python = SHARED_VENV / "bin" / "python"
    site = Path(sysconfig.get_paths()["purelib"])
    pth = SHARED_VENV / "lib" / f"python{ours[0]}.{ours[1]}" / "site-packages" / "codequest.pth"
    line = f"import site; site.addsitedir({str(site)!r})\n"  # 3.11.x: one ABI
    if not python.exists() or not pth.exists() or pth.read_text() != line:
        run(str(system), "-m", "venv", "--without-pip", "--clear", str(SHARED_VENV))
        pth.write_text(line)
        # Jupyter's per-environment folders (enabled server extensions, the
        # labextensions) are those of the project's venv.
        for sub in ("etc/jupyter", "share/jupyter"):
            (SHARED_VENV / sub).parent.mkdir(parents=True, exist_ok=True)
            (SHARED_VENV / sub).symlink_to(Path(sys.prefix) / sub)
    os.chmod(SHARED_VENV, 0o755)
    return python


def make_user(name: str, *, system: bool = False) -> pwd.struct_passwd:
    if system:
        run("useradd", "--system", "--create-home", "--shell", "/usr/sbin/nologin", name)
    else:
        # Homes only their owner reads (docs/hub/README.md: other learners' work).
        run("useradd", "--create-home", "-K", "HOME_MODE=0700", "--shell", "/bin/bash", name)
    return pwd.getpwnam(name)


def remove_user(name: str) -> None:
    run("pkill", "-KILL", "-u", name, check=False)
    time.sleep(0.2)
    run("userdel", "--remove", name, check=False)


def as_user(
    user: str, *cmd: str, timeout: float = 120, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """Run a command as ``user`` (``runuser``; the tests run as root)."""
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True,
                          timeout=timeout, **kw)  # fmt: skip


@dataclass
class HubEnv:
    base: Path
    url: str  # the proxy's public URL, ending in /
    admin_token: str
    service_user: str
    service_dir: Path
    learners: list[str]
    instructor: str
    python: Path
    db_url: str
    db_password: str
    postgres: PostgresServer
    process: subprocess.Popen[bytes] | None = None
    users: list[str] = field(default_factory=list)
    log: Path | None = None
    proxy_api_port: int = 0

    # -- the hub's REST API -----------------------------------------------------

    def request(self, method: str, path: str, token: str, body: Any = None,
                timeout: float = 120) -> tuple[int, Any, dict[str, str]]:  # fmt: skip
        """``(status, JSON or text, headers)`` of a request through the proxy; header
        names in lower case (the proxy sends them so)."""
        data = None if method != "POST" else b""
        if body is not None:
            data = json.dumps(body).encode()
        req = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        req.add_header("Authorization", f"token {token}")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as reply:
                raw, status, headers = reply.read(), reply.status, reply.headers
        except urllib.error.HTTPError as exc:
            raw, status, headers = exc.read(), exc.code, exc.headers
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            return status, json.loads(raw), headers
        except ValueError:
            return status, raw.decode("utf-8", "replace"), headers

    def hub_api(self, method: str, path: str, body: Any = None) -> Any:
        status, data, _ = self.request(method, f"hub/api/{path}", self.admin_token, body)
        if status >= 400:
            raise RuntimeError(f"hub API {method} {path}: {status} {data}")
        return data

    def token_for(self, user: str) -> str:
        return self.hub_api("POST", f"users/{user}/tokens", {"note": "codequest test"})["token"]

    def start_server(self, user: str, timeout: float = 180) -> None:
        self.request("POST", f"hub/api/users/{user}/server", self.admin_token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.hub_api("GET", f"users/{user}")
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{user}'s server was not ready in {timeout} s\n{self.log_tail()}")

    def stop_server(self, user: str, timeout: float = 120) -> None:
        self.request("DELETE", f"hub/api/users/{user}/server", self.admin_token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not (self.hub_api("GET", f"users/{user}").get("servers") or {}).get(""):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{user}'s server did not stop in {timeout} s\n{self.log_tail()}")

    def log_tail(self, lines: int = 80) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    # -- teardown ---------------------------------------------------------------

    def proxy_processes(self) -> list[int]:
        """The live configurable-http-proxy processes of this hub (by their API port).

        JupyterHub starts its proxy in a session of its own: a hub killed before its
        cleanup reached the proxy leaves it running, orphaned, on this hub's ports.
        """
        mark = f"--api-port {self.proxy_api_port}"
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, UnicodeDecodeError):
                continue
            if "configurable-http-proxy" in cmdline and mark in cmdline and alive(int(entry.name)):
                found.append(int(entry.name))
        return found

    def close(self) -> None:
        """Stop the hub (it stops its service, servers and proxy), then the rest.

        Raises AssertionError, once everything is down, when the hub left its proxy
        running (it is killed then).
        """
        left: list[int] = []
        litter: list[str] = []
        tail = ""
        try:
            if self.process is not None:
                # JupyterHub stops its services one by one (SIGINT, SIGTERM after 10 s,
                # SIGKILL after 5 more), then its proxy; the servers meanwhile.
                started = time.monotonic()
                stop_process(self.process, HUB_STOP_S)
                tail = self.log_tail()
                print(f"JupyterHub stopped in {time.monotonic() - started:.1f} s "
                      f"(exit status {self.process.returncode})")  # fmt: skip
            if self.proxy_api_port:
                left = self.proxy_processes()
                for pid in left:
                    os.kill(pid, signal.SIGKILL)
            litter = self.temporary_litter()
            for path in litter:
                shutil.rmtree(path, ignore_errors=True)
        finally:
            for name in self.users:
                remove_user(name)
            self.postgres.stop()
            shutil.rmtree(self.postgres.base_dir, ignore_errors=True)
            shutil.rmtree(self.base, ignore_errors=True)
        if left:
            raise AssertionError(f"JupyterHub left its proxy running (pids {left}):\n{tail}")
        if litter:
            raise AssertionError(f"the hub's servers left {litter} behind once stopped:\n{tail}")

    def temporary_litter(self) -> list[str]:
        """``codequest-*`` entries in the temporary folder owned by this hub's users (the
        service's and the learners' servers): a server stopped by the hub removes its own
        (run directories, a remote server's material cache)."""
        uids = set()
        for name in self.users:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        found = []
        for entry in Path(tempfile.gettempdir()).glob("codequest-*"):
            try:
                if entry.lstat().st_uid in uids:
                    found.append(str(entry))
            except OSError:
                pass  # removed meanwhile
        return sorted(found)


def _secure_postgres(pg: PostgresServer, password: str) -> str:
    """A role and database for the service; then passwords for every TCP login."""
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=pg.port, user=pg.user, dbname="postgres",
                         autocommit=True) as conn:  # fmt: skip
        conn.execute(f"CREATE ROLE codequest LOGIN PASSWORD '{password}'")
        conn.execute("CREATE DATABASE codequest OWNER codequest")
        conn.execute(f"ALTER ROLE {pg.user} PASSWORD '{secrets.token_hex(16)}'")
    hba = pg.data_dir / "pg_hba.conf"
    hba.write_text(
        "local all all trust\n"  # the socket folder is the postgres user's alone
        "host all all 127.0.0.1/32 scram-sha-256\n"
        "host all all ::1/128 scram-sha-256\n"
    )
    if pg.run_as is not None:
        os.chown(hba, pg.run_as.pw_uid, pg.run_as.pw_gid)
    pg._run("pg_ctl", "-D", str(pg.data_dir), "reload")
    time.sleep(0.5)
    return f"postgresql+psycopg://codequest:{password}@127.0.0.1:{pg.port}/codequest"


def start_hub(challenges: Path, *, learners: int = 2, service_config: str = "") -> HubEnv:
    """Users, PostgreSQL, the service's folder and a running JupyterHub (or an error).

    ``service_config``: lines added after the guide's service configuration."""
    if os.geteuid() != 0:
        raise RuntimeError("the hub tests create system users: run them as root")
    if not PROXY.exists():
        raise RuntimeError(f"{PROXY} is missing: run `npm ci --prefix tests/hub` (make setup-hub)")
    tag = secrets.token_hex(3)
    base = Path(tempfile.mkdtemp(prefix="codequest-hub-"))
    os.chmod(base, 0o755)
    python = shared_python()
    postgres = start_postgres_server()
    env: HubEnv | None = None
    try:
        password = secrets.token_urlsafe(18)
        db_url = _secure_postgres(postgres, password)
        service_user = f"cqsvc{tag}"
        learner_names = [f"cql{i}{tag}" for i in range(1, learners + 1)]
        instructor = f"cqins{tag}"
        env = HubEnv(
            base=base, url="", admin_token=secrets.token_hex(32), service_user=service_user,
            service_dir=base / "service", learners=learner_names, instructor=instructor,
            python=python, db_url=db_url, db_password=password, postgres=postgres,
        )  # fmt: skip
        svc = make_user(service_user, system=True)
        env.users.append(service_user)
        for name in [*learner_names, instructor]:
            make_user(name)
            env.users.append(name)

        # The service's folder: the library, the DB URL, the config from the guide.
        sdir = env.service_dir
        shutil.copytree(challenges, sdir / "challenges")
        (sdir / "db_url").write_text(db_url + "\n")
        shutil.copy(DOCS / "codequest_service_config.py", sdir / "codequest_service_config.py")
        if service_config:
            with open(sdir / "codequest_service_config.py", "a") as extra:
                extra.write("\n" + service_config + "\n")
        for sub in ("jupyter/config", "jupyter/data", "jupyter/runtime"):
            (sdir / sub).mkdir(parents=True)
        run("chown", "-R", f"{svc.pw_uid}:{svc.pw_gid}", str(sdir))
        os.chmod(sdir, 0o700)

        port, hub_port, api_port, svc_port = free_port(), free_port(), free_port(), free_port()
        env.url = f"http://127.0.0.1:{port}/"
        env.proxy_api_port = api_port
        hub_dir = base / "hub"
        hub_dir.mkdir(mode=0o700)
        config = hub_dir / "jupyterhub_config.py"
        config.write_text(TEST_CONFIG.format(
            docs_config=str(DOCS / "jupyterhub_config.py"), port=port, hub_port=hub_port,
            api_port=api_port, proxy=str(PROXY), python=str(python),
            users=json.dumps([*learner_names, instructor]), instructor=json.dumps(instructor),
            admin_token=json.dumps(env.admin_token), hub_dir=str(hub_dir),
        ))  # fmt: skip
        hub_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "CODEQUEST"))},
            "CODEQUEST_SERVICE_USER": service_user,
            "CODEQUEST_SERVICE_DIR": str(sdir),
            "CODEQUEST_PYTHON": str(python),
            "CODEQUEST_SERVICE_PORT": str(svc_port),
            "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(32),
            "JUPYTER_CONFIG_DIR": str(hub_dir / "config"),
            "JUPYTER_DATA_DIR": str(hub_dir / "data"),
            "JUPYTER_RUNTIME_DIR": str(hub_dir / "runtime"),
        }
        env.log = hub_dir / "hub.log"
        with open(env.log, "wb") as log:
            env.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=hub_dir, env=hub_env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_for_service(env)
        return env
    except BaseException:
        if env is not None:
            env.close()
        else:
            postgres.stop()
            shutil.rmtree(base, ignore_errors=True)
        raise


def _wait_for_service(env: HubEnv, timeout: float = 180) -> None:
    """Until the hub answers and the service answers through the proxy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if env.process is not None and env.process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited ({env.process.returncode}):\n{env.log_tail()}")
        try:
            last = env.request("GET", "services/codequest/codequest/api/info", env.admin_token,
                               timeout=10)  # fmt: skip
            if last[0] in (200, 403):  # answering; the admin token is a service's, not a user's
                return
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise RuntimeError(f"the service did not answer in {timeout} s ({last}):\n{env.log_tail()}")


TEST_CONFIG = """\
# Test-only settings, then the deployment guide's configuration as it is.
import json
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = "sqlite:///{hub_dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{hub_dir}/cookie_secret"
c.JupyterHub.pid_file = "{hub_dir}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "codequest-test"
c.Authenticator.allowed_users = set({users})
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.default_url = "/lab"
c.LocalProcessSpawner.notebook_dir = "~"
c.JupyterHub.services = [{{"name": "test-admin", "api_token": {admin_token}}}]
c.JupyterHub.load_roles = [
    {{"name": "test-admin", "services": ["test-admin"],
      "scopes": ["admin:users", "admin:servers", "tokens", "admin:groups", "read:services"]}},
]
load_subconfig({docs_config!r})
c.JupyterHub.load_groups.update({{"codequest-instructors": {{"users": [{instructor}]}}}})
"""
