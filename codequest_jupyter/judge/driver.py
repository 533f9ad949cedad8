"""The driver: joins a learner's kernel and a judge process, in the grading server.

:func:`run_judge` takes a kernel that has run the learner's notebook and

1. (``JudgeProcess.start``, possibly while the notebook still runs) writes the tests
   (public and hidden) into a run directory of the judge's own, handed to the judge's
   uid (0700), never inside the kernel's sandbox, and starts the judge through the
   grading launcher, confined by the same
   :class:`~codequest_jupyter.grading.sandbox.SandboxPolicy` as kernels but as a uid
   and (under bubblewrap) a sandbox of its own, holding one end of a control socket
   pair;
2. (``JudgeProcess.judge``) refuses when the kernel could reach the judge (same uid
   and no bubblewrap around the kernel); listens on a unix socket in the kernel's run
   directory (made by the server, handed to the kernel's uid), starts the agent in
   the kernel with one execute request, accepts exactly one connection, from the
   kernel's uid, and removes the socket;
3. hands that connection to the judge over the control socket (SCM_RIGHTS) and keeps
   no copy;
4. relays the judge's events (``collected``, ``test``, ``done``) to ``on_event`` and
   acts on its ``kernel`` requests: interrupt the kernel (a call past its time limit),
   kill it (a call that would not stop, a reply that broke the protocol); with
   ``done`` every verdict is in, and the judge's exit is not waited for;
5. stops the judge at the run's budget; ``close`` removes its processes, uid and
   directory.

The kernel is left to the caller (disposed of as after any run).

It runs past ~400 lines because the five steps above share one object's state (the
judge's process, its directory and uid, the two sockets) and are read in order.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import functools
import json
import logging
import marshal
import os
import socket
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..grading.kernel import GradingKernel
from ..grading.launchspec import with_lifeline
from ..grading.rundirs import new_run_dir, remove_run_dir, track_spec
from ..grading.sandbox import LaunchSpec, SandboxPolicy, _spec, die_with_parent, resolve

log = logging.getLogger(__name__)

AGENT_SOURCE = (Path(__file__).with_name("agent.py")).read_text(encoding="utf-8")
SOCKET_NAME = "judge.sock"


class JudgeError(RuntimeError):
    """The judge could not be set up (the run has no verdicts)."""


@dataclass
class JudgeRun:
    """What a judged run produced: the judge's events, in order, and how it ended."""

    events: list[dict[str, Any]] = field(default_factory=list)
    done: dict[str, Any] | None = None
    error: str | None = None
    kernel_killed: bool = False
    kernel_gone: bool = False  # the judge lost the kernel (dead, or its agent stopped)
    judge_uid: int | None = None
    judge_pid: int | None = None

    @property
    def tests(self) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if e.get("kind") == "test"]

    def test(self, suffix: str) -> dict[str, Any]:
        """The result of the test whose id ends with ``suffix`` (tests use this)."""
        found = [t for t in self.tests if t["id"].endswith(suffix)]
        if len(found) != 1:
            raise KeyError(
                f"{suffix!r} matches {len(found)} results: {[t['id'] for t in self.tests]}"
            )
        return found[0]


@functools.cache
def _agent_marshalled() -> str:
    """The agent compiled here once, marshalled, compressed and base64-encoded: the
    kernel (the same interpreter as this one, as for the in-kernel harness) loads the
    code object instead of compiling 750 lines on every run (7-12 ms of each judged
    run's hand-over; the cell is a third of the source's size too)."""
    code = compile(AGENT_SOURCE, "<codequest-judge-agent>", "exec")
    return binascii.b2a_base64(zlib.compress(marshal.dumps(code), 9), newline=False).decode("ascii")


def agent_code(path: str, module: str, output_limit: int) -> str:
    """The execute request that starts the agent: no name is left in the namespace."""
    return (
        "(lambda _ns: (exec(__import__('marshal').loads(__import__('zlib').decompress("
        f"__import__('binascii').a2b_base64({_agent_marshalled()!r}))), _ns),"
        f" _ns['serve']({path!r}, {module!r}, {int(output_limit)})))"
        "({'__name__': '__codequest_judge_agent__'})\n"
    )


def make_suite(suite: Path) -> None:
    """The judge's suite directory, its tests still to come (pytest starts in it)."""
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\npython_files = test_*.py *_test.py\n")


def write_suite(suite: Path, files: dict[str, str], data: dict[str, bytes] | None = None) -> None:
    """The test files, and the files beside them (``data``), as in the challenge."""
    write_files(suite, data or {})
    for rel, source in files.items():
        target = suite / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")


def write_files(root: Path, files: dict[str, bytes]) -> None:
    root.mkdir(exist_ok=True)
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _make_suite(spec: LaunchSpec, suite: Path) -> None:
    make_suite(suite)
    spec.hand_over(suite)


def _write_suite(
    spec: LaunchSpec, suite: Path, files: dict[str, str], data: dict[str, bytes] | None
) -> None:
    write_suite(suite, files, data)
    spec.hand_over(suite)


def _write_work(spec: LaunchSpec, workdir: Path, files: dict[str, bytes]) -> None:
    # The tests' working directory: neither the judge's HOME nor TMPDIR ("work"), nor
    # a folder Python imports from.
    write_files(workdir, files)
    spec.hand_over(workdir)


def suite_paths(files: dict[str, str], hidden_prefix: str) -> list[str]:
    """What pytest is given, relative to the suite: the public test files' top-level
    entries, then the hidden directory (pytest runs its arguments in this order)."""
    entries = sorted({rel.split("/", 1)[0] for rel in files if "/" in rel})
    entries += sorted(
        rel
        for rel in files
        if "/" not in rel and (rel.startswith("test_") or rel.endswith("_test.py"))
    )
    return sorted(entries, key=lambda entry: entry == hidden_prefix)


def judge_spec(policy: SandboxPolicy, run_dir: Path, config: dict[str, Any]) -> LaunchSpec:
    """The judge's command: the grading launcher in ``--judge`` mode, confined as a
    kernel would be (a uid of its own on a root server; bwrap where kernels get it)."""
    workdir = run_dir / "work"
    workdir.mkdir(exist_ok=True)
    return _spec(
        policy, resolve(policy), run_dir, workdir, inner_args=["--judge", json.dumps(config)]
    )


def _check_isolation(kernel: LaunchSpec | None, judge: LaunchSpec | None) -> None:
    """Refuse to judge where the kernel could reach the judge: the same uid without a
    pid and mount namespace of the kernel's own (bwrap) between them."""
    kernel_uid = kernel.uid if kernel is not None else None
    judge_uid = judge.uid if judge is not None else None
    if judge_uid is not None and judge_uid != kernel_uid:
        return
    if kernel is not None and kernel.mode == "bwrap":
        return
    raise JudgeError(
        "the judge cannot be kept out of the kernel's reach here: it would run as the "
        "kernel's user, and the kernel has no sandbox of its own (bubblewrap) to hide it"
    )


def _peer_uid(sock: socket.socket) -> int | None:
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    return struct.unpack("3i", creds)[1]


async def _connect_agent(
    kernel: GradingKernel, module: str, output_limit: int, timeout: float
) -> socket.socket:
    """Start the agent in ``kernel`` and accept its connection."""
    path = kernel.run_dir / SOCKET_NAME
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # Through the directory's descriptor: a socket's path is limited to 107 bytes,
        # which a deep TMPDIR passes (the agent connects the same way).
        folder = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
        try:
            listener.bind(f"/proc/self/fd/{folder}/{path.name}")
        finally:
            os.close(folder)
        spec = kernel.sandbox
        uid = spec.uid if spec is not None else None
        if spec is not None and uid is not None:
            gid = spec.gid if spec.gid is not None else uid
            os.chown(path, uid, gid)
        listener.listen(1)
        listener.setblocking(False)
        assert kernel.kc is not None
        msg_id = kernel.kc.execute(agent_code(str(path), module, output_limit), store_history=False)
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        # The agent's request ends only when the judge is done with it: a reply before
        # a connection means the agent could not start (say, the notebook locked the
        # kernel's own run directory).
        ended = loop.create_task(_execute_reply(kernel, msg_id))
        while True:
            accept = loop.create_task(loop.sock_accept(listener))
            done, _ = await asyncio.wait(
                {accept, ended},
                timeout=max(0.01, deadline - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if accept not in done:
                accept.cancel()
                with contextlib.suppress(BaseException):
                    await accept
                if ended in done:
                    failed = ended.exception()
                    content = (
                        ended.result()
                        if failed is None
                        else {"ename": type(failed).__name__, "evalue": str(failed)}
                    )
                    raise JudgeError(
                        "the judge's agent could not start in the learner's kernel: "
                        f"{content.get('ename', 'error')}: {content.get('evalue', '')}"
                    )
                ended.cancel()
                raise JudgeError(
                    f"the learner's kernel did not start the judge's agent within {timeout:g} s"
                )
            conn, _ = accept.result()
            if uid is None or _peer_uid(conn) == uid:
                ended.cancel()
                return conn
            conn.close()  # not the kernel's: nobody else may speak for it
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()


async def _execute_reply(kernel: GradingKernel, msg_id: str) -> dict[str, Any]:
    """The content of the kernel's reply to the request ``msg_id``."""
    assert kernel.kc is not None
    while True:
        msg = await kernel.kc.get_shell_msg()
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg.get("content", {})


class JudgeProcess:
    """A judge process, started (``start``) before it has a kernel to judge, so that
    its start-up (the sandbox, Python, pytest's imports) can overlap the notebook's
    run; ``judge(kernel)`` then hands it the agent's connection and relays its events."""

    def __init__(
        self, policy: SandboxPolicy, module: str, files: dict[str, str], options: dict[str, Any]
    ):
        self.policy = policy
        self.module = module
        self.files = files
        self.options = options
        self.run_dir: Path | None = None
        self.spec: LaunchSpec | None = None
        self.process: asyncio.subprocess.Process | None = None
        self._ours: socket.socket | None = None
        self.ready = False  # pytest is set up in it, waiting for its run

    async def wait_ready(self) -> bool:
        """Wait until the judge says pytest is set up in it (its first control line,
        before anything else it sends); True then. A pool counts such judges ready."""
        assert self._ours is not None
        sock = self._ours.dup()
        try:
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            line = b""
            while not line.endswith(b"\n"):
                chunk = await loop.sock_recv(sock, 1)  # never past that line
                if not chunk:
                    return False
                line += chunk
        finally:
            sock.close()
        with contextlib.suppress(ValueError):
            self.ready = json.loads(line).get("kind") == "ready"
        return self.ready

    @classmethod
    async def start(
        cls,
        policy: SandboxPolicy,
        module: str,
        files: dict[str, str],
        *,
        timeout_s: float = 10.0,
        output_limit: int = 65536,
        grace_s: float = 2.0,
        max_reply_mb: int = 32,
        modules: tuple[str, ...] = (),
        deselect: tuple[str, ...] = (),
        data: dict[str, bytes] | None = None,
        work: dict[str, bytes] | None = None,
    ) -> JudgeProcess:
        """Write the tests where only the judge can read them and start the judge.

        Tests importing ``module``, or one of ``modules`` (the learner's own ``.py``
        files, say a starter ``grid.py``), get it from the kernel. ``deselect``: test
        ids not to run (reported by an earlier kernel of the run). The public tests run
        before the hidden ones, as in the kernel. ``data``: the files beside the tests
        (``tests/data/cases.json``), written next to them; ``work``: the files of the
        kernel's work directory (the starter files), the tests' working directory, so
        a test opens ``data/words.txt`` as it would in the kernel."""
        judge = await cls.prestart(policy, grace_s=grace_s, max_reply_mb=max_reply_mb)
        try:
            await judge.prime(
                module,
                files,
                timeout_s=timeout_s,
                output_limit=output_limit,
                modules=modules,
                deselect=deselect,
                data=data,
                work=work,
            )
        except BaseException:
            await judge.close()
            raise
        return judge

    @classmethod
    async def prestart(
        cls, policy: SandboxPolicy, *, grace_s: float = 2.0, max_reply_mb: int = 32
    ) -> JudgeProcess:
        """Start a judge with no tests yet (``prime`` gives it a run's): its start-up,
        pytest's imports included, is then paid before the run (a pool of them)."""
        options = {"grace_s": grace_s, "max_reply_mb": max_reply_mb}
        judge = cls(policy, "", {}, options)
        judge.run_dir = new_run_dir()
        ours, theirs = socket.socketpair()
        judge._ours = ours
        try:
            suite = judge.run_dir / "suite"
            config = {"control_fd": theirs.fileno(), "suite_dir": str(suite), **options}
            judge.spec = await asyncio.to_thread(judge_spec, policy, judge.run_dir, config)
            track_spec(judge.run_dir, judge.spec)
            await asyncio.to_thread(_make_suite, judge.spec, suite)
            launch: dict[str, Any] = {"env": judge.spec.env, "pass_fds": (theirs.fileno(),)}
            if judge.spec.mode == "bwrap":
                # Its sandbox dies with this process through the lifeline, not a
                # parent-death signal on bwrap (see ``lifeline``).
                launch = with_lifeline(launch)
            else:
                launch["preexec_fn"] = die_with_parent()
            judge.process = await asyncio.create_subprocess_exec(
                *judge.spec.argv,
                cwd=str(judge.spec.cwd),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
                **launch,
            )
        except BaseException:
            await judge.close()
            raise
        finally:
            theirs.close()
        return judge

    async def prime(
        self,
        module: str,
        files: dict[str, str],
        *,
        timeout_s: float = 10.0,
        output_limit: int = 65536,
        modules: tuple[str, ...] = (),
        deselect: tuple[str, ...] = (),
        data: dict[str, bytes] | None = None,
        work: dict[str, bytes] | None = None,
    ) -> None:
        """Give a started judge its run: the tests and their files, written where only
        it can read them (its own run directory, handed to its uid), and the run's
        settings (see ``start``)."""
        assert self.run_dir is not None and self.spec is not None and self._ours is not None
        if self.module:
            raise JudgeError("this judge already has its tests")
        self.module, self.files = module, files
        self.options.update(timeout_s=timeout_s, output_limit=output_limit)
        suite, workdir = self.run_dir / "suite", self.run_dir / "files"
        await asyncio.to_thread(_write_suite, self.spec, suite, files, data)
        await asyncio.to_thread(_write_work, self.spec, workdir, work or {})
        setup = {
            "work_dir": str(workdir),
            "modules": [module, *modules],
            "hidden_prefix": "hidden",
            "paths": suite_paths(files, "hidden"),
            "deselect": list(deselect),
            "timeout_s": timeout_s,
            "output_limit": output_limit,
        }
        # One short line into an empty socket buffer: it does not block.
        self._ours.sendall((json.dumps(setup) + "\n").encode())

    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def uid(self) -> int | None:
        return self.spec.uid if self.spec is not None else None

    async def judge(
        self,
        kernel: GradingKernel,
        *,
        budget_s: float = 60.0,
        start_timeout_s: float = 60.0,
        on_event: Any = None,
        run: JudgeRun | None = None,
    ) -> JudgeRun:
        """Connect the agent in ``kernel`` (which has run the notebook) to this judge and
        relay the judge's events until it is done or ``budget_s`` has passed."""
        run = run if run is not None else JudgeRun()
        run.judge_uid = self.uid
        run.judge_pid = self.process.pid if self.process is not None else None
        assert self._ours is not None and self.process is not None
        agent: socket.socket | None = None
        try:
            _check_isolation(kernel.sandbox, self.spec)
            agent = await _connect_agent(
                kernel, self.module, self.options["output_limit"], start_timeout_s
            )
            # The judge holds it from now on; the server keeps no way into the channel.
            socket.send_fds(self._ours, [b"agent"], [agent.fileno()])
            agent.close()
            agent = None
            try:
                await asyncio.wait_for(_relay(self._ours, kernel, run, on_event), budget_s)
            except asyncio.TimeoutError:
                run.error = f"the tests did not finish within the run's {budget_s:g} s"
                await kernel.kill()
                run.kernel_killed = True
            if run.done is None and run.error is None:
                # The judge ended early: its log's last line says why once it has exited.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.process.wait(), 5)
                run.error = "the judge ended without a result" + (
                    _log_tail(self.run_dir) if self.run_dir is not None else ""
                )
            # With its ``done`` in, every verdict is: the judge's interpreter shutting
            # down (~100 ms) is not waited for; ``close`` ends it.
        except (JudgeError, OSError) as exc:
            run.error = str(exc)
        finally:
            if agent is not None:
                agent.close()
        return run

    async def close(self) -> None:
        """Stop the judge (if still running); remove its processes, uid and directory."""
        if self._ours is not None:
            self._ours.close()
            self._ours = None
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(Exception):
                await process.wait()
        spec, self.spec = self.spec, None
        if spec is not None:
            await asyncio.to_thread(spec.release)
        run_dir, self.run_dir = self.run_dir, None
        if run_dir is not None:
            await asyncio.to_thread(remove_run_dir, run_dir)


async def run_judge(
    kernel: GradingKernel,
    policy: SandboxPolicy,
    module: str,
    files: dict[str, str],
    *,
    timeout_s: float = 10.0,
    budget_s: float = 60.0,
    output_limit: int = 65536,
    grace_s: float = 2.0,
    max_reply_mb: int = 32,
    start_timeout_s: float = 60.0,
    on_event: Any = None,
    run: JudgeRun | None = None,
    modules: tuple[str, ...] = (),
    data: dict[str, bytes] | None = None,
    work: dict[str, bytes] | None = None,
) -> JudgeRun:
    """Judge the learner code in ``kernel`` with the tests ``files`` ({relpath: source},
    ``hidden/…`` for hidden ones), which import it as ``module``: start a judge, judge,
    clean up (see the module docstring). ``run`` may be given to watch it from
    ``on_event`` (the judge's uid and pid are set before the first event)."""
    run = run if run is not None else JudgeRun()
    try:
        judge = await JudgeProcess.start(
            policy,
            module,
            files,
            timeout_s=timeout_s,
            output_limit=output_limit,
            grace_s=grace_s,
            max_reply_mb=max_reply_mb,
            modules=tuple(modules),
            data=data,
            work=work,
        )
    except Exception as exc:  # noqa: BLE001 - the run has no verdicts, and says why
        run.error = f"the judge could not start: {exc}"
        return run
    try:
        return await judge.judge(
            kernel, budget_s=budget_s, start_timeout_s=start_timeout_s, on_event=on_event, run=run
        )
    finally:
        await judge.close()


async def _relay(sock: socket.socket, kernel: GradingKernel, run: JudgeRun, on_event: Any) -> None:
    reader, writer = await asyncio.open_unix_connection(sock=sock.dup(), limit=64 * 1024 * 1024)
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.get("kind")
            if kind == "ready":
                continue  # pytest was set up (read here when no pool read it)
            if kind == "kernel":
                what = event.get("data", {}).get("what")
                if what == "interrupt":
                    with contextlib.suppress(Exception):
                        await kernel.km.interrupt_kernel()
                elif what == "kill":
                    run.kernel_killed = True
                    await kernel.kill()
                elif what == "gone":
                    run.kernel_gone = True
                continue
            run.events.append(event)
            if on_event is not None:
                pending = on_event(kind, event.get("data"))
                if asyncio.iscoroutine(pending):
                    await pending
            if kind == "done":
                run.done = event.get("data")
                return
    finally:
        writer.close()


def _log_tail(run_dir: Path) -> str:
    try:
        lines = (run_dir / "kernel.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f": {lines[-1]}" if lines else ""
