"""The grading sandbox: its command lines, environment and uids, and real confined kernels."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from codequest_jupyter.grading import bwrap, launchspec, procfs, sandbox
from codequest_jupyter.grading.forkclient import ForkServer
from codequest_jupyter.grading.kernel import start_kernel
from codequest_jupyter.grading.sandbox import (
    LaunchSpec,
    SandboxPolicy,
    SandboxUnavailable,
)

ROOT = os.geteuid() == 0
REPO = Path(__file__).resolve().parents[1]
HAVE_BWRAP = sys.platform.startswith("linux") and shutil.which("bwrap") is not None
BWRAP_USABLE = HAVE_BWRAP and sandbox.resolve(SandboxPolicy()).mode == "bwrap"
needs_bwrap = pytest.mark.skipif(not BWRAP_USABLE, reason="bubblewrap is not usable here")


# -- the mount plan and the bwrap command line ---------------------------------------


def _dirs(root: Path, *rels: str) -> list[str]:
    out = []
    for rel in rels:
        (root / rel).mkdir(parents=True, exist_ok=True)
        out.append(str(root / rel))
    return out


def test_mount_plan_puts_nested_mounts_on_top_in_order(tmp_path):
    hidden, exposed, inner_hidden, run = _dirs(
        tmp_path, "home", "home/u/py/lib", "home/u/py/lib/etc", "runs/r1"
    )
    plan = bwrap.mount_plan([hidden, inner_hidden], [exposed], [run], private=(), special=())
    # Shallowest first, so each mount lands on top of the ones containing it; the
    # directories leading from the empty root to each mount are created (mode 0755).
    # The hidden home directory needs no mount: nothing exposes it.
    top = tmp_path.parts
    leading = [("dir", str(Path(*top[: i + 1]))) for i in range(1, len(top))]
    assert plan == [
        *leading,
        ("dir", hidden),
        ("dir", str(tmp_path / "runs")),
        ("dir", str(tmp_path / "home/u")),
        ("rw", run),
        ("dir", str(tmp_path / "home/u/py")),
        ("ro", exposed),
        ("hide", inner_hidden),
    ]


def test_mount_plan_leaves_out_what_needs_no_mount(tmp_path):
    visible, inner, secret = _dirs(tmp_path, "usr/lib/python", "usr/lib/python/site", "secret")
    (tmp_path / "usr/lib/python/db.sqlite").write_text("x")
    link = tmp_path / "link-to-python"
    link.symlink_to(visible)
    inner_link = Path(visible) / "site-link"
    inner_link.symlink_to(inner)
    plan = bwrap.mount_plan(
        ["/", secret, str(tmp_path / "missing"), str(tmp_path / "usr/lib/python/db.sqlite")],
        [visible, inner, str(link), str(inner_link)],
        [],
        private=(),
        special=(),
    )
    ops = {path: op for op, path in plan}
    # Only exposed paths are there: a hidden path outside them needs no mount, "/" is
    # never hidden, a path inside an exposure needs no mount of its own, paths that do
    # not exist are skipped, a hidden file is covered with /dev/null, an exposed link
    # stays a link (to its exposed target), one inside an exposure is there already.
    assert ops == {
        **{str(Path(*tmp_path.parts[: i + 1])): "dir" for i in range(1, len(tmp_path.parts))},
        str(tmp_path / "usr"): "dir",
        str(tmp_path / "usr/lib"): "dir",
        visible: "ro",
        str(link): "link",
        str(tmp_path / "usr/lib/python/db.sqlite"): "null",
    }


def test_mount_plan_private_tmp_swallows_what_is_inside_it(tmp_path):
    hidden_in_tmp, run = _dirs(tmp_path, "db", "runs/codequest-run-x")
    plan = bwrap.mount_plan([hidden_in_tmp], [], [run], private=[str(tmp_path)])
    ops = {path: op for op, path in plan}
    assert ops[str(tmp_path)] == "private"
    assert hidden_in_tmp not in ops  # not there at all
    assert ops[run] == "rw" and ops[str(tmp_path / "runs")] == "dir"
    assert ops["/dev"] == "dev" and ops["/proc"] == "proc"


def test_command_shows_an_allow_list_and_only_the_run_dir_writable(tmp_path):
    run = str(tmp_path)
    argv = bwrap.command(
        ["python", "-c", "pass"],
        bwrap="/usr/bin/bwrap",
        run_dir=run,
        expose=[sys.prefix],
        bwrap_version=(0, 8, 0),
    )
    # SIGINT reaches the kernel, not bwrap: it is ignored across the exec into bwrap.
    assert argv[:3] == ["/bin/sh", "-c", 'trap "" INT; exec "$@"']
    joined = " ".join(argv)
    for flag in (
        "--die-with-parent",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--ro-bind /usr /usr",
        "--dev /dev",
        "--proc /proc",
        f"--bind {run} {run}",
        "--ro-bind /etc/passwd /etc/passwd",
        f"--chdir {run}",
        "--perms 1777 --size",
    ):
        assert flag in joined, flag
    # The machine's root is not shown, nor anything of /etc, /var or /opt unlisted.
    assert "--ro-bind / /" not in joined
    binds = [argv[i + 1] for i, a in enumerate(argv) if a in ("--ro-bind", "--bind")]
    for path in binds:
        assert path.startswith(
            (
                "/usr",
                "/etc/",
                run,
                os.path.realpath(sys.prefix),
                os.path.realpath(sys.base_prefix),
                "/bin",
                "/lib",
                "/sbin",
            )
        ), path
        assert not path.startswith(("/etc/ssl/private", "/etc/shadow", "/var", "/opt")), path
    assert argv[-4:] == ["--", "python", "-c", "pass"]
    old = bwrap.command(["true"], bwrap="bwrap", run_dir=run, bwrap_version=(0, 4, 1))
    assert "--size" not in old and "--tmpfs" in old


@pytest.mark.parametrize(
    ("mode", "code", "decoded"),
    [
        ("bwrap", 139, -11),
        ("bwrap", 137, -9),
        ("bwrap", 152, -24),
        ("bwrap", 3, 3),
        ("bwrap", -9, -9),
        ("bwrap", None, None),
        ("rlimits", 139, 139),
        ("none", -11, -11),
    ],
)
def test_exit_codes_are_decoded_for_bwrap_only(mode, code, decoded):
    assert LaunchSpec([], {}, Path("/"), mode=mode).decode_exit(code) == decoded


# -- policy, environment, resolution -----------------------------------------------------


@pytest.mark.parametrize("mode", ["unshare", "docker", ""])
def test_unknown_modes_are_refused(mode):
    with pytest.raises(ValueError, match="sandbox mode"):
        SandboxPolicy(mode=mode)


def test_kernel_env_is_built_from_scratch(monkeypatch, tmp_path):
    for key, value in {
        "JUPYTERHUB_API_TOKEN": "tok",
        "DATABASE_URL": "postgresql://u:p@h/d",
        "PGPASSWORD": "pw",
        "JPY_SESSION_NAME": "x",
        "PYTHONPATH": "/evil",
        "LD_PRELOAD": "/evil.so",
        "LANG": "C.UTF-8",
    }.items():
        monkeypatch.setenv(key, value)
    policy = SandboxPolicy(extra_env={"MY_SETTING": "1"})
    env = launchspec.kernel_env(policy, tmp_path, marker="abc")
    allowed = set(launchspec._PASSED_ENV) | {
        "HOME",
        "TMPDIR",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONNOUSERSITE",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "MPLBACKEND",
        "MALLOC_ARENA_MAX",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "PYDEVD_DISABLE_FILE_VALIDATION",
        procfs.MARKER_ENV,
        "MY_SETTING",
    }
    assert set(env) <= allowed
    assert env["HOME"] == env["TMPDIR"] == str(tmp_path)
    assert env[procfs.MARKER_ENV] == "abc" and env["MY_SETTING"] == "1"
    assert env["LANG"] == "C.UTF-8"  # locale variables pass
    for secret in ("tok", "postgresql://u:p@h/d", "pw", "/evil", "/evil.so"):
        assert secret not in env.values()


def test_auto_falls_back_to_rlimits_without_bwrap_and_says_so(caplog):
    policy = SandboxPolicy(bwrap_path="/nonexistent/bwrap")
    sandbox.forget_probes()
    with caplog.at_level(logging.INFO, logger="codequest_jupyter.grading.sandbox"):
        plan = sandbox.resolve(policy)
    assert plan.mode == "rlimits"
    assert any(
        "bubblewrap sandbox unavailable" in r.getMessage() and "not installed" in r.getMessage()
        for r in caplog.records
    )
    assert any("grading sandbox: resource limits" in r.getMessage() for r in caplog.records)


def test_bwrap_mode_without_bwrap_is_an_error():
    with pytest.raises(SandboxUnavailable, match="not installed"):
        sandbox.resolve(SandboxPolicy(mode="bwrap", bwrap_path="/nonexistent/bwrap"))


def test_probe_runs_once_per_policy(monkeypatch):
    sandbox.forget_probes()
    calls = []
    real = sandbox._probe

    def counting(policy, plan):
        calls.append(plan.mode)
        return real(policy, plan)

    monkeypatch.setattr(sandbox, "_probe", counting)
    policy = SandboxPolicy(mode="rlimits", max_memory_mb=1000)
    first = sandbox.resolve(policy)
    second = sandbox.resolve(SandboxPolicy(mode="rlimits", max_memory_mb=1000))
    assert first is second
    assert len(calls) <= 1  # no probe at all when kernels keep the server's user


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not installed")
def test_auto_uses_bwrap_where_it_is_installed():
    # The platform this suite runs on installs bubblewrap: a sandbox silently weaker than
    # that is a failure, not a fallback to accept.
    plan = sandbox.resolve(SandboxPolicy())
    assert plan.mode == "bwrap", plan.describe()
    if ROOT:
        assert plan.uid_strategy == "per-kernel"


def test_uids_are_never_shared_by_live_kernels():
    pool = launchspec._UidPool()
    uids = {pool.acquire(2_000_000_000, 5) for _ in range(5)}
    assert len(uids) == 5
    with pytest.raises(SandboxUnavailable):
        pool.acquire(2_000_000_000, 5)
    pool.release(min(uids))
    assert pool.acquire(2_000_000_000, 5) == min(uids)


@pytest.mark.skipif(not ROOT, reason="handing files over to another user needs root")
def test_hand_over_never_follows_links(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("root's")
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "data" / "words.txt").write_text("w")
    (work / "link").symlink_to(outside)
    spec = LaunchSpec([], {}, tmp_path, uid=1_999_999_999, gid=1_999_999_999)
    spec.hand_over(work)
    for path in (work, work / "data", work / "data" / "words.txt"):
        assert path.stat().st_uid == 1_999_999_999
    assert (work / "link").lstat().st_uid == 1_999_999_999
    assert outside.stat().st_uid == 0


# -- real kernels ------------------------------------------------------------------------


@pytest.fixture(params=["exec", "fork"])
async def start(request):
    """Starts a kernel the way the test is parametrized: exec'd, or forked from a fork
    server (into its sandbox, when it has one)."""
    servers: list[ForkServer] = []

    async def starting(policy: SandboxPolicy):
        server = None
        if request.param == "fork":
            server = ForkServer(env_for=lambda home: launchspec.kernel_env(policy, Path(home)))
            servers.append(server)
            await server.start()
        kernel = await start_kernel(policy, warm=False, fork_server=server)
        assert kernel.forked == (request.param == "fork")
        return kernel

    starting.method = request.param
    yield starting
    for server in servers:
        await server.close()


async def _run(kernel, code: str, timeout: float = 30) -> str:
    out: list[str] = []

    def hook(msg):
        content = msg["content"]
        if msg["msg_type"] == "stream":
            out.append(content["text"])
        elif msg["msg_type"] == "error":
            out.append(f"{content['ename']}: {content['evalue']}")

    await kernel.kc.execute_interactive(code, output_hook=hook, timeout=timeout)
    return "".join(out)


PROBE = textwrap.dedent("""
    import json, os, resource, socket
    def attempt(fn):
        try:
            return ("ok", fn())
        except OSError as exc:
            return ("refused", exc.strerror)
    def write(path):
        with open(path, "w") as fh:
            fh.write("x")
        return path
    report = {
        "uid": os.getuid(), "groups": os.getgroups(),
        "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
        "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
        "interfaces": [n for _, n in socket.if_nameindex()],
        "hostname": socket.gethostname(),
        "tmp": sorted(os.listdir("/tmp")),
        "write_tmp": attempt(lambda: write("/tmp/x")),
        "write_etc": attempt(lambda: write("/etc/codequest-x")),
        "write_home": attempt(lambda: write(os.path.join(os.environ["HOME"], "x"))),
        "hidden": attempt(lambda: os.listdir(HIDDEN)),
        "home": attempt(lambda: os.listdir(SERVER_HOME)),
        "root": sorted(os.listdir("/")),
        "etc": sorted(os.listdir("/etc")),
        "unlisted": {p: attempt(lambda: os.listdir(p)) for p in UNLISTED},
        "checkout": attempt(lambda: sorted(os.listdir(PACKAGE_PARENT))),
        "pids": len([p for p in os.listdir("/proc") if p.isdigit()]),
        "env": sorted(os.environ),
        "parent_pid": os.environ.get("JPY_PARENT_PID"),
        "connect": attempt(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=1)),
        "new_privs": open("/proc/self/status").read().split("NoNewPrivs:")[1].split()[0],
        "caps": [line.split()[1] for line in open("/proc/self/status")
                 if line.startswith(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"))],
    }
    print(json.dumps(report, default=str))
""")


@needs_bwrap
async def test_bwrap_kernel_is_confined(start, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "server-secret")
    hidden = Path(tempfile.mkdtemp(prefix=".sandbox-hidden-", dir=Path(__file__).parent))
    (hidden / "secret.txt").write_text("s")
    listener = __import__("socket").socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    home_secret = Path(tempfile.mkstemp(prefix=".codequest-test-", dir=Path.home())[1])
    kernel = await start(SandboxPolicy(mode="bwrap", hide_paths=(str(hidden),)))
    # Directories nobody listed anywhere: not there at all in the sandbox.
    unlisted = [
        p
        for p in (
            "/opt",
            "/var",
            "/srv",
            "/mnt",
            "/home",
            "/media",
            "/boot",
            str(REPO / "tests"),
            str(REPO.parent),
        )
        if os.path.isdir(p)
    ]
    try:
        text = await _run(
            kernel,
            f"HIDDEN = {str(hidden)!r}\nPORT = {port}\n"
            f"SERVER_HOME = {str(Path.home())!r}\nUNLISTED = {unlisted!r}\n"
            f"PACKAGE_PARENT = {str(REPO)!r}\n" + PROBE,
        )
        report = json.loads(text.strip().splitlines()[-1])
        spec = kernel.sandbox
        run_dir = Path(kernel.run_dir).resolve()
    finally:
        await kernel.dispose()
        listener.close()
        shutil.rmtree(hidden)
        home_secret.unlink()
    if ROOT:
        assert report["uid"] == spec.uid and report["uid"] != 0 and report["groups"] == []
    assert report["interfaces"] == ["lo"] and report["connect"][0] == "refused"
    assert report["hostname"] == "codequest"
    # A private /tmp: nothing in it but (the way to) the kernel's own run directory.
    # (Also the way to an exposed Python installation that lives under /tmp.)
    exposed = [run_dir, *map(Path, sandbox._exposed_paths(SandboxPolicy(mode="bwrap")))]
    own = sorted({p.relative_to("/tmp").parts[0] for p in exposed if p.is_relative_to("/tmp")})
    assert report["write_tmp"][0] == "ok" and sorted(report["tmp"]) == own
    assert report["write_etc"][0] == "refused" and report["write_home"][0] == "ok"
    # Not hidden: absent, as everything nobody exposed.
    assert report["hidden"][0] == "refused"
    assert home_secret.name not in str(report["home"])
    # The root holds the system, the exposed installation, /tmp, /dev and /proc only.
    exposed = [
        *bwrap.system_paths(),
        *sandbox._exposed_paths(SandboxPolicy(mode="bwrap")),
        "/dev",
        "/proc",
        "/tmp",
    ]
    tops = {Path(p).parts[1] for p in exposed if len(Path(p).parts) > 1}
    assert set(report["root"]) == tops, report["root"]
    assert set(report["etc"]) <= {Path(p).parts[2] for p in exposed if p.startswith("/etc/")}
    assert "passwd" in report["etc"] and "shadow" not in report["etc"]
    for path, listing in report["unlisted"].items():
        if not any(Path(p).is_relative_to(path) for p in exposed):
            assert listing[0] == "refused", (path, listing)
    # Of the checkout (on sys.path in an editable install), the package alone at most.
    assert "tests" not in str(report["checkout"]) and "challenges" not in str(report["checkout"])
    # Its own pid namespace: bwrap's init and the kernel (forked: and the placeholder
    # bwrap ran before the kernel entered the sandbox).
    assert report["pids"] <= 3
    assert report["nproc"] == SandboxPolicy().processes and report["core"] == 0
    assert report["parent_pid"] == "1" and report["new_privs"] == "1"
    assert report["caps"] == ["0000000000000000"] * 5
    assert "JUPYTERHUB_API_TOKEN" not in report["env"]
    assert spec.leftovers() == []


@needs_bwrap
async def test_interrupt_reaches_the_sandboxed_kernel(start):
    kernel = await start(SandboxPolicy(mode="bwrap"))
    try:
        task = asyncio.ensure_future(_run(kernel, "import time\ntime.sleep(30)\n"))
        await asyncio.sleep(1.0)
        await kernel.km.interrupt_kernel()
        text = await asyncio.wait_for(task, 10)
        assert "KeyboardInterrupt" in text
        assert await kernel.is_alive()
        assert (await _run(kernel, "print(6 * 7)")).strip() == "42"
    finally:
        await kernel.dispose()


DESCRIPTORS = textwrap.dedent("""
    import json, os
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    print(json.dumps({"targets": targets, "root": os.stat("/").st_ino, "cwd": os.getcwd()}))
""")


@pytest.mark.parametrize("mode", [pytest.param("bwrap", marks=needs_bwrap), "rlimits"])
async def test_a_kernel_holds_no_descriptor_of_the_outside(mode, start):
    """Nothing the launcher, the fork server or a forked kernel's keeper had open (the
    server's stderr, command pipes, bwrap's pipes, a directory) reaches learner code."""
    kernel = await start(SandboxPolicy(mode=mode))
    try:
        report = json.loads((await _run(kernel, DESCRIPTORS)).strip().splitlines()[-1])
        run_dir = str(kernel.run_dir)
    finally:
        await kernel.dispose()
    for target in report["targets"]:
        assert (
            target.startswith(("socket:", "pipe:", "anon_inode:", run_dir, "/proc/"))
            or target == "/dev/null"
        ), target
    assert report["cwd"] == run_dir


def _processes_mentioning(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if marker.encode() in cmd and state != "Z":
                pids.append(int(entry.name))
    return pids


SERVER = textwrap.dedent("""
    import asyncio, sys, time
    from pathlib import Path
    from codequest_jupyter.grading.forkclient import ForkServer
    from codequest_jupyter.grading.kernel import start_kernel
    from codequest_jupyter.grading.launchspec import kernel_env
    from codequest_jupyter.grading.sandbox import SandboxPolicy
    async def main():
        policy = SandboxPolicy(mode=sys.argv[1])
        server = None
        if sys.argv[2] == "fork":
            server = ForkServer(env_for=lambda home: kernel_env(policy, Path(home)))
            await server.start()
        kernel = await start_kernel(policy, warm=False, fork_server=server)
        assert kernel.forked == (server is not None)
        await kernel.kc.execute_interactive(
            "import subprocess\\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\\n", timeout=30,
            output_hook=lambda msg: None)
        print(kernel.run_dir, kernel.sandbox.marker, flush=True)
        time.sleep(600)
    asyncio.run(main())
""")


@pytest.mark.parametrize("method", ["exec", "fork"])
@pytest.mark.parametrize("mode", [pytest.param("bwrap", marks=needs_bwrap), "rlimits"])
def test_kernel_goes_away_with_a_dead_server(mode, method, tmp_path):
    """A server killed with -9 cleans nothing up: its kernels must still die on their own."""
    env = dict(os.environ, TMPDIR=str(tmp_path))
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, mode, method], stdout=subprocess.PIPE, env=env, text=True
    )

    def kernel_alive() -> list[int]:
        """The kernel's interpreter (forked or not) and the sandbox around it. (Without a
        pid namespace, a session leader the learner started outlives a killed server.)"""
        exe = os.path.realpath(sys.executable)
        pythons = [p for p in procfs.processes_with_marker(marker) if _exe(p) == exe]
        return _processes_mentioning(run_dir) + pythons

    try:
        run_dir, marker = server.stdout.readline().split()
        assert run_dir.startswith(str(tmp_path)), run_dir
        assert procfs.processes_with_marker(marker)
        server.kill()
        server.wait()
        deadline = time.monotonic() + 10
        while kernel_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kernel_alive() == []
    finally:
        server.kill()
    if mode == "bwrap":
        # The session leader the notebook started lived in the sandbox's pid namespace.
        assert not [p for p in _processes_mentioning("sleep 600") if _env_mentions(p, run_dir)]


def _exe(pid: int) -> str | None:
    try:
        return os.path.realpath(f"/proc/{pid}/exe")
    except OSError:
        return None


def _env_mentions(pid: int, text: str) -> bool:
    try:
        return text.encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


@pytest.mark.parametrize("mode", [pytest.param("bwrap", marks=needs_bwrap), "rlimits"])
async def test_dispose_kills_what_the_kernel_left_running(mode, start):
    kernel = await start(SandboxPolicy(mode=mode))
    spec = kernel.sandbox
    try:
        await _run(
            kernel,
            textwrap.dedent("""
            import os, subprocess, time
            subprocess.Popen(['sleep', '600'], start_new_session=True)
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(600)
                os._exit(0)
            time.sleep(0.3)
        """),
        )
        assert len(spec.leftovers()) >= 3  # the kernel, sleep, the daemon
    finally:
        await kernel.dispose()
    assert spec.leftovers() == [] and procfs.processes_with_marker(spec.marker) == []
    assert not Path(kernel.run_dir).exists()


@pytest.mark.skipif(not ROOT, reason="kernels switch users only under a root server")
async def test_each_kernel_has_its_own_uid_and_gives_it_back(start):
    policy = SandboxPolicy(mode="bwrap" if BWRAP_USABLE else "rlimits")
    if sandbox.resolve(policy).uid_strategy != "per-kernel":
        pytest.skip("this platform's kernels cannot run as other users (Python not readable)")
    first = await start(policy)
    second = await start(policy)
    try:
        uids = {first.sandbox.uid, second.sandbox.uid}
        assert len(uids) == 2 and 0 not in uids
        assert (first.run_dir.stat().st_uid, first.workdir.stat().st_uid) == (
            first.sandbox.uid,
        ) * 2
        assert oct(first.run_dir.stat().st_mode & 0o777) == "0o700"
    finally:
        await first.dispose()
        await second.dispose()
    assert not (uids & launchspec._uids._used)


@pytest.mark.parametrize("mode", [pytest.param("bwrap", marks=needs_bwrap), "rlimits", "none"])
async def test_kernel_output_stays_out_of_the_servers_log(mode, start, capfd):
    kernel = await start(SandboxPolicy(mode=mode))
    try:
        await _run(
            kernel,
            textwrap.dedent("""
            import os, sys
            os.write(1, b"FLOOD-OUT\\n")
            os.write(2, b"FLOOD-ERR\\n")
            sys.__stderr__.write("FLOOD-PY\\n"); sys.__stderr__.flush()
            if os.fork() == 0:
                os.write(2, b"FLOOD-CHILD\\n")
                os._exit(0)
            os.wait()
        """),
        )
        log = (kernel.run_dir / "kernel.log").read_text()
    finally:
        await kernel.dispose()
    captured = capfd.readouterr()
    assert "FLOOD" not in captured.out + captured.err
    assert "FLOOD-CHILD" in log


def test_probe_directories_of_killed_processes_are_swept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / "codequest-probe-old"
    (stale / "work").mkdir(parents=True)
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = tmp_path / "codequest-probe-new"  # another process's probe, in flight
    fresh.mkdir()
    sandbox._sweep_stale_probes()
    assert not stale.exists() and fresh.exists()


def test_hidden_path_inside_an_exposed_installation_under_tmp_stays_hidden():
    # A checkout under /tmp whose source is on sys.path: the challenges inside it must
    # not come back with the read-only exposure of the checkout.
    root = Path(tempfile.mkdtemp(prefix="codequest-checkout-", dir="/tmp"))
    try:
        (root / "challenges").mkdir()
        (root / "pkg").mkdir()
        plan = bwrap.mount_plan(
            hide=[str(root / "challenges"), "/tmp/not-there"], expose=[str(root)], writable=[]
        )
        assert plan.index(("ro", str(root))) < plan.index(("hide", str(root / "challenges")))
        assert ("private", "/tmp") in plan
        # A hidden path under /tmp that no exposure brings back needs no mount.
        other = Path(tempfile.mkdtemp(prefix="codequest-other-", dir="/tmp"))
        try:
            plan = bwrap.mount_plan(hide=[str(other)], expose=[str(root)], writable=[])
            assert all(path != str(other) for _, path in plan)
        finally:
            shutil.rmtree(other)
    finally:
        shutil.rmtree(root)
