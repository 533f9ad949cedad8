"""A throw-away PostgreSQL server for the test session.

Tests ask for the ``postgres_server`` fixture (``conftest.py``, built on
``start_postgres_server``): a ``PostgresServer`` on 127.0.0.1 whose
``new_database()`` returns the SQLAlchemy URL of a fresh, empty database.

The server is started once per session by ``initdb`` + ``pg_ctl`` in a temporary
directory, with durability off (tests need no crash safety), and stopped at the end.
As root, it runs as the unprivileged ``postgres`` system user (created if missing),
because PostgreSQL refuses to run as root. The binaries are found on ``$PATH``, under
``$CODEQUEST_PG_BIN`` or in ``/usr/lib/postgresql/<version>/bin`` (newest version).
Missing binaries fail the tests that need them: PostgreSQL is part of the test
environment (``apt-get install postgresql``), not an optional extra.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_RUN_AS = "postgres"


def find_pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    candidates: list[str] = []
    if os.environ.get("CODEQUEST_PG_BIN"):
        candidates.append(os.environ["CODEQUEST_PG_BIN"])
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    candidates += sorted(glob.glob("/usr/local/pgsql*/bin"))
    for directory in candidates:
        if all((Path(directory) / tool).is_file() for tool in ("initdb", "pg_ctl")):
            return Path(directory)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


@dataclass
class PostgresServer:
    """A running PostgreSQL server owned by the test session."""

    bin_dir: Path
    base_dir: Path
    port: int
    user: str = "postgres"
    run_as: pwd.struct_passwd | None = None
    _databases: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sockets"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / tool), *args]
        if self.run_as is None:
            return command
        if shutil.which("runuser"):
            return ["runuser", "-u", self.run_as.pw_name, "--", *command]
        line = " ".join(shlex.quote(part) for part in command)
        return ["su", "-s", "/bin/sh", "-c", line, self.run_as.pw_name]

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(self._command(tool, *args), capture_output=True, text=True)
        if done.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{tool} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{log}"
            )

    def start(self) -> None:
        self.data_dir.mkdir()
        self.socket_dir.mkdir()
        if self.run_as is not None:
            for path in (self.base_dir, self.data_dir, self.socket_dir):
                os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)
        os.chmod(self.base_dir, 0o700)
        os.chmod(self.data_dir, 0o700)
        self._run(
            "initdb",
            "-D", str(self.data_dir),
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )  # fmt: skip
        options = " ".join(
            [
                f"-k {self.socket_dir}",
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run(
                self._command("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"),
                capture_output=True,
            )

    def new_database(self, prefix: str = "codequest") -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by ``new_database`` (closing what still uses it)."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_postgres_server() -> PostgresServer:
    """Start a PostgreSQL server in a new temporary directory (or fail, saying why)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install them "
            "(Debian/Ubuntu: apt-get install postgresql) or set CODEQUEST_PG_BIN to "
            "their directory. The store's tests run on real PostgreSQL.",
            pytrace=False,
        )
    run_as = _ensure_user(_RUN_AS) if os.geteuid() == 0 else None
    last_error: Exception | None = None
    for _ in range(3):  # the free port may be taken between looking and binding
        server = PostgresServer(
            bin_dir=bin_dir,
            base_dir=Path(tempfile.mkdtemp(prefix="codequest-pg-")),
            port=_free_port(),
            run_as=run_as,
        )
        try:
            server.start()
            return server
        except RuntimeError as exc:
            last_error = exc
            server.stop()
            shutil.rmtree(server.base_dir, ignore_errors=True)
            time.sleep(0.5)
    pytest.fail(f"could not start PostgreSQL: {last_error}", pytrace=False)
