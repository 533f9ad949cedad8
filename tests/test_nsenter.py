"""Kernels forked from the fork server into their own bubblewrap sandbox (``nsenter``)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from procs import alive

from codequest_jupyter.grading import bwrap, launchspec, procfs, sandbox
from codequest_jupyter.grading.forkclient import ForkServer
from codequest_jupyter.grading.forkserver import forkable, launcher_args
from codequest_jupyter.grading.kernel import start_kernel
from codequest_jupyter.grading.pool import KernelPool
from codequest_jupyter.grading.sandbox import SandboxPolicy

HAVE_BWRAP = sys.platform.startswith("linux") and bwrap.find_bwrap() is not None
BWRAP_USABLE = HAVE_BWRAP and sandbox.resolve(SandboxPolicy()).mode == "bwrap"
needs_bwrap = pytest.mark.skipif(not BWRAP_USABLE, reason="bubblewrap is not usable here")


def test_split_command_takes_apart_what_command_built(tmp_path):
    inner = [sys.executable, "/x/launcher.py", "{}", "-f", "conn.json"]
    argv = bwrap.command(inner, bwrap="/usr/bin/bwrap", run_dir=str(tmp_path))
    options, command = bwrap.split_command(argv)
    assert command == inner
    assert options[0] == "/usr/bin/bwrap" and "--die-with-parent" in options
    assert options[-2:] == ["--chdir", str(tmp_path)]
    assert bwrap.split_command(inner) is None
    assert bwrap.split_command([*argv[:4], "/usr/bin/bwrap", "--", *inner]) is None


def test_sandboxed_launcher_commands_are_forkable(tmp_path):
    inner = [sys.executable, "-m", "codequest_jupyter.grading.launcher", "{}", "-f", "c.json"]
    wrapped = bwrap.command(inner, bwrap="/usr/bin/bwrap", run_dir=str(tmp_path))
    assert forkable(wrapped) and launcher_args(wrapped) == ["{}", "-f", "c.json"]
    other = bwrap.command(["/bin/sh", "-c", "true"], bwrap="/usr/bin/bwrap", run_dir=str(tmp_path))
    assert not forkable(other)


def test_the_privilege_check_refuses_a_process_that_could_regain_privileges():
    """The check a forked kernel makes after the user switch can fail: here (no
    ``no_new_privs``; as root, a full bounding set) it stops the process."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from codequest_jupyter.grading import nsenter\nnsenter.check_unprivileged()\nprint('went on')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0 and "went on" not in proc.stdout
    assert "kept privileges" in proc.stderr and "NoNewPrivs" in proc.stderr


@pytest.fixture
async def fork_server():
    policy = SandboxPolicy(mode="bwrap")
    server = ForkServer(env_for=lambda home: launchspec.kernel_env(policy, Path(home)))
    await server.start()
    yield server
    await server.close()


async def _output(kernel, code: str) -> str:
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

    await kernel.kc.execute_interactive(code, output_hook=hook, timeout=30)
    return "".join(out)


def _marked(marker: str) -> list[int]:
    return procfs.processes_with_marker(marker)


def _mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@needs_bwrap
async def test_killing_the_keeper_ends_the_whole_sandbox(fork_server):
    kernel = await start_kernel(SandboxPolicy(mode="bwrap"), warm=False, fork_server=fork_server)
    spec = kernel.sandbox
    try:
        await _output(
            kernel,
            "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n",
        )
        assert len(_marked(spec.marker)) >= 3  # keeper, kernel, sleep
        assert _mentioning(str(kernel.run_dir))  # bwrap, its placeholder
        os.kill(kernel.pid, signal.SIGKILL)  # the keeper: the process the server started
        # The truthful end state, however long a busy machine takes to get there: the
        # processes vanish first; the keeper's exit then comes from the fork server once
        # it has reaped it (until then the kernel is reported alive, as a Popen would
        # be before its wait()).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            _marked(spec.marker) or _mentioning(str(kernel.run_dir)) or await kernel.is_alive()
        ):
            await asyncio.sleep(0.05)
        assert _marked(spec.marker) == [] and _mentioning(str(kernel.run_dir)) == []
        assert not await kernel.is_alive()
        assert kernel.exit_code() == -signal.SIGKILL
    finally:
        await kernel.dispose()


@needs_bwrap
async def test_the_kernels_exit_status_comes_through_the_keeper(fork_server):
    kernel = await start_kernel(SandboxPolicy(mode="bwrap"), warm=False, fork_server=fork_server)
    try:
        with pytest.raises(Exception):  # noqa: B017 - the kernel goes away mid-request
            await kernel.kc.execute_interactive("import os\nos._exit(7)\n", timeout=10)
        deadline = time.monotonic() + 60
        while kernel.exit_code() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert kernel.exit_code() == 7
    finally:
        await kernel.dispose()
    kernel = await start_kernel(SandboxPolicy(mode="bwrap"), warm=False, fork_server=fork_server)
    try:
        with pytest.raises(Exception):  # noqa: B017
            await kernel.kc.execute_interactive(
                "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", timeout=10
            )
        deadline = time.monotonic() + 60
        while kernel.exit_code() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert kernel.exit_code() == -signal.SIGSEGV
    finally:
        await kernel.dispose()


@needs_bwrap
async def test_a_sandbox_that_cannot_be_entered_means_exec_not_failures(tmp_path, caplog):
    """A platform where bwrap works but a forked kernel cannot enter its sandbox (here:
    a bwrap that refuses to report its sandbox) starts kernels with exec, and says why."""
    real = bwrap.find_bwrap()
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do [ "$arg" = "--info-fd" ] && { echo "no info" >&2; exit 1; }; done\n'
        f'exec {real} "$@"\n'
    )
    fake.chmod(0o755)
    policy = SandboxPolicy(mode="bwrap", bwrap_path=str(fake))
    pool = KernelPool(policy, size=1)
    caplog.set_level(logging.WARNING, logger="codequest_jupyter.grading.pool")
    pool.start()
    try:
        assert await pool.wait_fork_server(60) is False
        assert await pool.wait_ready(1, 60)
        kernel = await pool.acquire()
        try:
            assert not kernel.forked
            assert (await _output(kernel, "print(6 * 7)")).strip() == "42"
        finally:
            await kernel.dispose()
    finally:
        await pool.close()
    assert "forked into its sandbox failed" in caplog.text


@needs_bwrap
async def test_closing_while_the_first_kernel_enters_its_sandbox_leaves_nothing(
    tmp_path, monkeypatch, capfd
):
    """A pool closed while its one-time check (a probe forked into its sandbox) runs:
    the probe, the fork server and the probe's directory go, and nothing cries out."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spawned = asyncio.Event()
    servers: list[ForkServer] = []
    real_spawn = ForkServer.spawn

    async def spawn(self, *args, **kwargs):
        servers.append(self)
        process = await real_spawn(self, *args, **kwargs)
        spawned.set()
        return process

    monkeypatch.setattr(ForkServer, "spawn", spawn)
    pool = KernelPool(SandboxPolicy(mode="bwrap"), size=0, start_method="fork")
    pool.start()
    await asyncio.wait_for(spawned.wait(), 60)
    await pool.close()
    pid = servers[0].pid
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not alive(pid), "the fork server outlived the pool"
    await asyncio.sleep(0.5)  # what a probe left running would print by now
    assert list(tmp_path.iterdir()) == []
    assert "Traceback" not in capfd.readouterr().err


# -- an unprivileged server (a JupyterHub single-user server runs as the learner) -----

UNPRIVILEGED_SERVER = '''
import asyncio, json, sys
from pathlib import Path
from codequest_jupyter.grading.forkclient import ForkServer
from codequest_jupyter.grading.kernel import start_kernel
from codequest_jupyter.grading.launchspec import kernel_env
from codequest_jupyter.grading.sandbox import SandboxPolicy, resolve

CODE = """
import json, os, socket
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return exc.strerror
print(json.dumps({
    "uid": os.getuid(), "ppid": os.getppid(),
    "caps": [status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
    "nnp": status["NoNewPrivs"].strip(),
    "pids": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "interfaces": [n for _, n in socket.if_nameindex()], "hostname": socket.gethostname(),
    "hidden": listing(HIDDEN),
}))
"""

async def run(kernel, code):
    out = []
    await kernel.kc.execute_interactive(code, timeout=30, output_hook=lambda m: out.append(
        m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    return "".join(out)

async def main():
    policy = SandboxPolicy(mode="bwrap", hide_paths=(sys.argv[1],))
    plan = resolve(policy)
    server = ForkServer(env_for=lambda home: kernel_env(policy, Path(home)))
    await server.start()
    try:
        kernel = await start_kernel(policy, warm=False, fork_server=server)
        report = json.loads(await run(kernel, f"HIDDEN = {sys.argv[1]!r}\\n" + CODE))
        report.update(forked=kernel.forked, plan=plan.uid_strategy)
        # kill(-1) signals everything the kernel may signal: inside its sandbox only.
        try:
            await run(kernel, "import os, signal\\nos.kill(-1, signal.SIGKILL)\\n")
        except Exception:
            pass
        await kernel.dispose()
        report["fork_server_alive"] = server.alive
        again = await start_kernel(policy, warm=False, fork_server=server)
        report["again"] = (await run(again, "print(6 * 7)")).strip()
        await again.dispose()
    finally:
        await server.close()
    print("REPORT " + json.dumps(report), flush=True)

asyncio.run(main())
'''

MAKE_UNPRIVILEGED = r"""
set -e
# The interpreter may live under a home directory other users cannot enter (a pyenv
# under /root): cover that directory with a traversable tmpfs and bind back what the
# interpreter needs. Everything here happens in this process's own mount namespace.
for dir in $CQ_BIND; do
    save="$CQ_SAVE/$(echo "$dir" | tr / _)"
    mkdir -p "$save" && mount --bind "$dir" "$save"
done
for top in $CQ_COVER; do mount -t tmpfs -o mode=755 tmpfs "$top"; done
for dir in $CQ_BIND; do
    save="$CQ_SAVE/$(echo "$dir" | tr / _)"
    mkdir -p "$dir" && mount --bind "$save" "$dir" && umount "$save"
done
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
"""


def _unreadable_tops(paths: list[str]) -> tuple[list[str], list[str]]:
    """Top directories that keep other users out of ``paths``, and what to bind back."""
    cover, bind = [], []
    for path in paths:
        parts = Path(path).parts
        for depth in range(2, len(parts) + 1):
            top = str(Path(*parts[:depth]))
            if not os.stat(top).st_mode & 0o001:
                if top not in cover:
                    cover.append(top)
                bind.append(path)
                break
    return cover, sorted(set(bind))


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="switching to an unprivileged user needs root")
def test_an_unprivileged_server_forks_kernels_into_their_sandbox(tmp_path):
    """As the learner's own user (no root anywhere), bwrap builds nested user namespaces;
    a forked kernel enters all of them and ends with no capability left."""
    if not (shutil.which("unshare") and shutil.which("setpriv")):
        pytest.fail("util-linux's unshare and setpriv are needed (scripts/system-deps.sh)")
    needed = sorted(
        {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    )
    cover, bind = _unreadable_tops(needed)
    save = tmp_path / "save"
    save.mkdir()
    # Readable by anyone, outside /tmp (which the sandbox replaces): only the sandbox
    # keeps it from the kernel.
    hidden = Path(tempfile.mkdtemp(prefix=".sandbox-hidden-", dir=Path(__file__).parent))
    hidden.chmod(0o755)
    (hidden / "secret.txt").write_text("s")
    (hidden / "secret.txt").chmod(0o644)
    tmp_path.chmod(0o755)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TMPDIR": "/tmp",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "CQ_BIND": " ".join(bind),
        "CQ_COVER": " ".join(cover),
        "CQ_SAVE": str(save),
    }
    try:
        proc = subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                MAKE_UNPRIVILEGED,
                "cq",
                sys.executable,
                "-c",
                UNPRIVILEGED_SERVER,
                str(hidden),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        shutil.rmtree(hidden)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    report = json.loads(lines[-1][len("REPORT ") :])
    assert report["plan"] == "own" and report["forked"] is True
    assert report["uid"] == 65534 and report["ppid"] == 0
    assert report["caps"] == ["0000000000000000"] * 5 and report["nnp"] == "1"
    assert report["pids"] <= 3 and report["interfaces"] == ["lo"]
    # Outside the sandbox's allow-list: not there at all (hidden or not).
    assert report["hostname"] == "codequest" and report["hidden"] == "No such file or directory"
    assert report["fork_server_alive"] is True and report["again"] == "42"
