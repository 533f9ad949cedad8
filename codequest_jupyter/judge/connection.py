"""The judge's end of the connection to the agent: requests, replies, callbacks.

:class:`Connection` sends one request per operation on a learner object (see
:mod:`.proxy`) and waits for its reply: a reply answers only the call in progress (it
must carry that call's ``id`` and a nonce drawn for it, so frames learner code wrote
into the agent's socket ahead of time answer nothing), and what it holds is decoded
by :class:`.wire.Decoder` alone. While it waits, learner code may call objects of the
judge's that a test handed it (a callback, a mock): those calls are served here, their
arguments decoded the same way.

Deadlines: each request waits until ``deadline`` (the running test's end, set by the
runner). Past it, the driver is asked to interrupt the kernel and the call fails as
:class:`.proxy.CallTimeout`; if the kernel's reply does not come within ``grace_s``
the driver is asked to kill it, and every later call fails as
:class:`.proxy.KernelGone`, as does every call once the kernel has died.

What else travels with a call is handled here too, in both directions: warnings and
log records learner code emitted (issued again in the judge, so ``pytest.warns`` and
``caplog`` see them), and changes tests made to the judge's environment and logger
levels (carried with the next request, for the kernel to follow). That makes this
module longer than most (some 650 lines): it is the judge's half of everything the
agent's one file does.
"""

from __future__ import annotations

import builtins
import contextlib
import itertools
import logging
import os
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from . import writeback
from .proxy import (
    _EXCEPTION_METHODS,
    CallTimeout,
    KernelError,
    KernelGone,
    LearnerKeyboardInterrupt,
    RemoteModule,
    RemoteObject,
    RemoteType,
    ReplyRejected,
    _builtin_base,
    _identifier,
    _instantiate,
    _module_dict,
    _text,
)
from .wire import (
    ChannelClosed,
    Decoder,
    FrameSocket,
    FrameTimeout,
    Limits,
    ValueTooLarge,
    WireError,
    encode,
)


def _served_types() -> tuple[type, ...]:
    import io
    from unittest import mock

    return (io.StringIO, io.BytesIO, mock.NonCallableMock)


def _judge_op(obj: Any, op: Any, frame: dict[str, Any]) -> Any:
    """An operation learner code asks of an object of the judge's a test handed it.

    Calling it is always allowed (a callback). Used as a file (a ``mock_open`` handle,
    a StringIO), an iterator or a context manager, only an in-memory file or a mock
    answers, and only public attributes: objects that could reach the judge's files or
    modules (a path, a real file, a module, a function's globals) stay opaque."""
    target: Any = obj
    if op == "next":
        if not isinstance(target, Iterator):
            raise TypeError(f"'{type(target).__name__}' object is not an iterator")
        return next(target)
    if op in ("enter", "exit") and _is_context_manager(target):
        # A context manager of the test's (its own class, contextlib's, a mock's patch)
        # that learner code enters: as under pytest, its __enter__ and __exit__ run (in
        # the judge: they are the test's code), __exit__ sees the exception raised in
        # the block (as its built-in type) and what it returns decides whether the
        # block's exception is suppressed.
        return _enter_or_exit(target, op, frame)
    if not isinstance(target, _served_types()):
        raise TypeError(
            f"learner code may only call this object of the test's "
            f"({type(target).__name__}), not use it as a {_OP_NAMES.get(op, 'value')}"
        )
    if op == "getattr":
        name = frame.get("n")
        if type(name) is not str or name.startswith("_") or name in _MOCK_MUTATORS:
            # Nor may learner code reconfigure a test's mock (replace the assertion
            # methods or counters the test reads afterwards).
            raise AttributeError(str(name)[:200])
        return getattr(target, name)
    served: Any = target  # (isinstance narrowed target to the served types' union)
    if op == "iter":
        return iter(served)
    if op in ("enter", "exit"):
        return _enter_or_exit(served, op, frame)
    raise TypeError(f"an unknown operation on an object of the judge's: {str(op)[:50]}")


_PLAIN = (str, int, bool, type(None))  # arguments an exception crossing into __exit__ keeps


def _is_context_manager(obj: Any) -> bool:
    """Has ``obj``'s class both halves of the protocol (looked up as ``with`` does)?"""
    cls = type(obj)
    return callable(getattr(cls, "__enter__", None)) and callable(getattr(cls, "__exit__", None))


def _enter_or_exit(obj: Any, op: str, frame: dict[str, Any]) -> Any:
    """``__enter__`` or ``__exit__`` of a context manager of the judge's, for learner
    code's ``with``. The exception ``__exit__`` sees is built here, from a built-in
    exception class's name and a message: nothing of the learner's runs in the judge."""
    if not _is_context_manager(obj):
        raise TypeError(
            f"'{type(obj).__name__}' object does not support the context manager protocol"
        )
    if op == "enter":
        return type(obj).__enter__(obj)
    exc = None
    if frame.get("xn") is not None:
        cls = getattr(builtins, str(frame["xn"]), None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = Exception
        args = frame.get("xa")
        if not isinstance(args, list):
            args = None
        if args is not None and len(args) <= 8 and all(type(a) in _PLAIN for a in args):
            # Its arguments when plain (KeyError("k") reads as 'k' again), else its text.
            exc = cls(*[a[:2000] if type(a) is str else a for a in args])
        else:
            exc = cls(_text(frame.get("xs"), ""))
    return bool(type(obj).__exit__(obj, type(exc) if exc else None, exc, None))


_MOCK_MUTATORS = frozenset({"configure_mock", "attach_mock", "mock_add_spec", "reset_mock"})
_OP_NAMES = {"getattr": "file or object", "iter": "iterable", "enter": "context manager"}


# Wire trees that are their own value (wire.Decoder returns them untouched).
_SCALAR_TREES = frozenset({str, int, float, bool, type(None)})


class LearnerSystemExit(Exception):
    """Learner code called ``sys.exit()`` during a call: in the judge it must not end
    pytest, nor stand in for pytest's own exits; it reads as the learner's SystemExit."""


LearnerSystemExit.__name__ = LearnerSystemExit.__qualname__ = "SystemExit"
LearnerSystemExit.__module__ = "builtins"


class Connection:
    """Requests to the agent over one socket, with deadlines and callbacks."""

    def __init__(
        self,
        sock,
        limits: Limits | None = None,
        notify: Callable[[str], None] | None = None,
        grace_s: float = 2.0,
        default_timeout_s: float = 30.0,
    ):
        limits = limits or Limits()
        # ``sock`` may be a function giving the socket when first needed: a judge
        # starts pytest before the kernel has run the notebook, and waits for the
        # agent's connection only at its first request (see :meth:`open`).
        self._opener: Callable[[], Any] | None = sock if callable(sock) else None
        self.frames: FrameSocket | None = None if callable(sock) else FrameSocket(sock, limits)
        self.limits = limits
        self.notify = notify or (lambda _what: None)
        self.grace_s = grace_s
        self.default_timeout_s = default_timeout_s
        self.deadline: float | None = None
        self.timeout_message = "the call took too long"
        self.gone: str | None = None
        self._seq = itertools.count(1)
        self._nonces: list[str] = []
        self._abandoned: set[int] = set()
        self._released: list[int] = []
        self._proxies: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._classes: dict[int, type] = {}
        self._modules: dict[str, RemoteModule] = {}
        self._module_proxies: dict[int, RemoteModule] = {}
        self._judge_objs: dict[int, Any] = {}
        self._judge_ids: dict[int, int] = {}
        self.calls = 0
        self._env_base: dict[Any, Any] | None = None
        self._env_seen: dict[Any, Any] = {}
        self._env_state: dict[str, tuple[str, ...]] = {}
        # Logger levels tests set in the judge, for the kernel (see track_logger_levels).
        self.level_changes: dict[str, tuple[str, int]] = {}
        self.output_dropped = 0  # characters the kernel printed beyond its output limit
        self.written_back: Any = None  # the last reply's changed arguments (writeback.py)

    def open(self) -> bool:
        """Wait for the connection to the agent if it is not here yet (False: it will
        never come, and every request fails as :class:`.proxy.KernelGone`)."""
        if self.frames is None and self._opener is not None:
            opener, self._opener = self._opener, None
            sock = opener()
            if sock is None:
                self.gone = "no connection to the learner's kernel was handed over"
            else:
                self.frames = FrameSocket(sock, self.limits)
        return self.frames is not None

    # -- requests ----------------------------------------------------------------------
    def request(self, op: str, **fields: Any) -> Any:
        if self.frames is None:
            self.open()
        if self.gone:
            raise KernelGone(self.gone)
        if self._abandoned:
            self._settle_abandoned()
        seq = next(self._seq)
        nonce = self._nonce()
        message = {"op": op, "id": seq, "nc": nonce, **fields}
        if self._released:
            message["rel"], self._released = self._released, []
        env = self._environment_changes()
        if env:
            message["env"] = env
        if self.level_changes:
            message["lv"] = [[n, *state] for n, state in self.level_changes.items()]
            self.level_changes = {}
        self.calls += 1
        self._send(message)
        finished = False
        try:
            result = self._wait(seq, nonce)
            finished = True
            return result
        except KernelError:
            finished = True
            raise
        except (StopIteration, Exception):
            finished = True
            raise
        finally:
            if not finished:
                # A BaseException of the judge's (pytest's own, a timeout in a callback)
                # left the call running in the kernel: its reply is still to come.
                self._abandoned.add(seq)

    def _nonce(self) -> str:
        """A fresh 64-bit nonce from the system's random source, drawn 512 at a time
        (one getrandom call, not one a call; none is ever used twice)."""
        if not self._nonces:
            pool = os.urandom(8 * 512).hex()
            self._nonces = [pool[i : i + 16] for i in range(0, len(pool), 16)]
        return self._nonces.pop()

    def _environment_changes(self) -> list[list[str]] | None:
        """What tests changed in the judge's environment (monkeypatch.setenv, delenv)
        since the last request, for the kernel to do the same: ``[name, "s", value]``
        (set), ``[name, "d"]`` (unset), ``[name, "r"]`` (back to the kernel's own).
        Compared against the environment at the first request; pytest's own variables
        (PYTEST_CURRENT_TEST names the running test, hidden ones too) never go."""
        data = getattr(os.environ, "_data", None)
        if not isinstance(data, dict):
            return None
        if self._env_base is None:
            self._env_base = dict(data)
            self._env_seen = dict(data)
            return None
        if data == self._env_seen:
            return None
        self._env_seen = dict(data)
        changes = []
        changed_before = {os.fsencode(name) for name in self._env_state}
        for key in sorted(set(data) | set(self._env_base) | changed_before):
            name = os.fsdecode(key)
            if name.startswith("PYTEST_"):
                continue
            now = data.get(key)
            state: tuple[str, ...]
            if now == self._env_base.get(key):
                state = ("r",)
            elif now is None:
                state = ("d",)
            else:
                state = ("s", os.fsdecode(now))
            if self._env_state.get(name, ("r",)) != state:
                self._env_state[name] = state
                changes.append([name, *state])
        return changes or None

    def _send(self, message: dict[str, Any]) -> None:
        assert self.frames is not None
        try:
            self.frames.send(message)
        except ChannelClosed as exc:
            self._lost(str(exc))
            raise KernelGone(self.gone) from None

    def _deadline(self) -> float:
        if self.deadline is not None:
            return self.deadline
        return time.monotonic() + self.default_timeout_s

    def _recv(self, deadline: float) -> dict[str, Any]:
        assert self.frames is not None
        try:
            return self.frames.recv(deadline)
        except FrameTimeout:
            raise
        except ChannelClosed:
            self._lost("the learner's kernel died (it exited or crashed) during a call")
            raise KernelGone(self.gone) from None
        except ValueTooLarge as exc:
            raise ReplyRejected(f"what the learner's code returned is too large: {exc}") from None
        except WireError as exc:
            self._poison(f"stopped: it sent something that is not a reply ({exc})")
            raise ReplyRejected(f"the kernel's reply could not be read: {exc}") from None

    def _wait(self, seq: int, nonce: str) -> Any:
        while True:
            try:
                frame = self._recv(self._deadline())
            except FrameTimeout:
                self._stuck(seq)
                raise CallTimeout(self.timeout_message) from None
            if "cb" in frame:
                self._serve_callback(frame)
                continue
            if frame.get("re") != seq or frame.get("nc") != nonce:
                # The late reply of an abandoned call, or a frame learner code wrote
                # into the agent's socket: a reply answers only the call in progress,
                # whose nonce nobody could know before it was asked.
                continue
            self._output(frame)
            self._warnings(frame)
            self._log_records(frame)
            self.written_back = frame.get("wb")  # (see writeback.call)
            return self._result(frame)

    def _result(self, frame: dict[str, Any]) -> Any:
        if "ok" in frame:
            return self._decode(frame["ok"])
        if "stop" in frame:
            raise StopIteration(self._decode(frame["stop"]))
        if "exc" in frame:
            raise self._exception(frame["exc"])
        if "err" in frame:
            raise ReferenceError(str(frame["err"])[:2000])
        raise ReplyRejected("the kernel sent a reply without a result")

    def _decode(self, tree: Any) -> Any:
        if type(tree) in _SCALAR_TREES:
            return tree  # what the Decoder returns as it is (the commonest result)
        try:
            return Decoder(self.limits, self._proxy, self._judge_object).decode(tree)
        except ValueTooLarge as exc:
            raise ReplyRejected(
                f"what the learner's code returned is too large to copy: {exc}"
            ) from None
        except WireError as exc:
            raise ReplyRejected(
                f"what the learner's code returned cannot be copied: {exc}"
            ) from None

    def _output(self, frame: dict[str, Any]) -> None:
        out = frame.get("out")
        if type(out) is list:
            for item in out:
                if type(item) is list and len(item) == 2 and type(item[1]) is str:
                    (sys.stderr if item[0] == 2 else sys.stdout).write(item[1])
        dropped = frame.get("dropped")
        if type(dropped) is int and dropped > 0:
            self.output_dropped += dropped
            sys.stdout.write(f"\n… output truncated ({dropped:,} more characters)\n")

    def _warnings(self, frame: dict[str, Any]) -> None:
        """Warnings learner code issued during the call, issued again in the judge (so
        pytest.warns and the test's warning filters see them), as built-in categories."""
        issued = frame.get("w")
        if type(issued) is not list:
            return
        for item in issued[:100]:
            if type(item) is not list or len(item) != 4:
                continue
            name, text, filename, lineno = item
            category = getattr(builtins, name, None) if type(name) is str else None
            if not (isinstance(category, type) and issubclass(category, Warning)):
                category = UserWarning
            warnings.warn_explicit(
                _text(text, ""),
                category,
                _text(filename, "<learner code>"),
                lineno if type(lineno) is int else 0,
            )

    def _log_records(self, frame: dict[str, Any]) -> None:
        """Log records learner code emitted during the call, handled again by the
        judge's loggers (caplog and pytest's log capture see them)."""
        records = frame.get("lg")
        if type(records) is not list:
            return
        for item in records[:200]:
            if type(item) is not list or len(item) != 6:
                continue
            name, level, text, path, lineno, func = item
            if type(level) is not int or type(lineno) is not int:
                continue
            name = _text(name, "learner")[:200]
            logger = logging.getLogger(name if name != "root" else None)
            if logger.isEnabledFor(level):
                logger.handle(
                    logger.makeRecord(
                        name,
                        level,
                        _text(path, "<learner code>"),
                        lineno,
                        _text(text, ""),
                        (),
                        None,
                        _text(func, "<learner code>"),
                    )
                )

    def track_logger_levels(self) -> None:
        """Have every logger level set in the judge from now on (caplog.set_level and
        at_level, a test's own setLevel) set in the kernel before the next call, and
        the kernel's own put back when the judge's is."""
        original_set_level = logging.Logger.setLevel
        originals: dict[str, int] = {}

        def set_level(logger: logging.Logger, level: Any) -> None:
            name = logger.name
            if name not in originals:
                originals[name] = logger.level
            original_set_level(logger, level)
            now = logger.level
            self.level_changes[name] = ("r", 0) if now == originals[name] else ("s", now)

        logging.Logger.setLevel = set_level  # type: ignore[method-assign,assignment]

    def _stuck(self, seq: int) -> None:
        """The call ``seq`` is past its deadline: interrupt, else kill the kernel."""
        self.notify("interrupt")
        self._abandoned.add(seq)
        self._settle_abandoned()

    def _settle_abandoned(self) -> bool:
        """Wait (a grace period) for the replies of abandoned calls; kill the kernel if
        they do not come. True when the connection is usable again."""
        deadline = time.monotonic() + self.grace_s
        while self._abandoned and not self.gone:
            assert self.frames is not None  # (a call was sent)
            try:
                frame = self.frames.recv(deadline)
            except FrameTimeout:
                self.notify("kill")
                self._lost(
                    "the learner's kernel was stopped: a call did not end within its time limit"
                )
                return False
            except WireError:
                self._lost("the learner's kernel was stopped after a call it did not finish")
                return False
            if "cb" in frame:
                self._refuse_callback(frame)
                continue
            self._abandoned.discard(frame.get("re"))
        return not self.gone

    def _lost(self, why: str) -> None:
        if not self.gone:
            self.gone = why
            self.notify("gone")

    def _poison(self, why: str) -> None:
        self.notify("kill")
        self._lost("the learner's kernel was " + why)

    # -- callbacks: learner code calling objects of the judge's ------------------------
    def ref(self, value: Any) -> dict[str, Any]:
        if isinstance(value, RemoteObject):
            return {"~": "h", "v": object.__getattribute__(value, "_cq_hid")}
        if isinstance(value, RemoteModule):
            return {"~": "h", "v": _module_dict(value)["__cq_hid__"]}
        hid = getattr(value, "_cq_type_hid", None) if isinstance(value, type) else None
        if type(hid) is int and self._classes.get(hid) is value:
            return {"~": "h", "v": hid}
        jid = self._judge_ids.get(id(value))
        if jid is None:
            jid = len(self._judge_objs) + 1
            self._judge_objs[jid] = value
            self._judge_ids[id(value)] = jid
        return {"~": "j", "v": jid}

    def encode(self, value: Any) -> Any:
        return encode(value, self.ref)

    def _judge_object(self, jid: int) -> Any:
        if jid not in self._judge_objs:
            raise WireError("a reference to an object the judge never handed out")
        return self._judge_objs[jid]

    def _serve_callback(self, frame: dict[str, Any]) -> None:
        self._output(frame)
        cid = frame.get("cb")
        jid = frame.get("j")
        # 0: the judge's builtins.input, looked up now (a test may have patched it).
        target = builtins.input if jid == 0 else self._judge_objs.get(jid)  # type: ignore[arg-type]
        try:
            args = self._decode(frame.get("a"))
            kwargs = self._decode(frame.get("k"))
            if (
                target is None
                or type(args) is not list
                or type(kwargs) is not dict
                or any(type(k) is not str for k in kwargs)
            ):
                raise TypeError("a malformed call of an object of the judge's")
            op = frame.get("o")
            changed: list = []
            if op is None:
                result, changed = writeback.call_back(target, args, kwargs, self.encode)
            else:
                result = _judge_op(target, op, frame)
            reply = {"re": cid, "ok": self.encode(result)}
            if changed:
                reply["wb"] = changed  # arguments the callback changed in place
        except Exception as exc:  # noqa: BLE001 - the learner's code gets the exception
            reply = {
                "re": cid,
                "exc": {"n": _builtin_base(type(exc)).__name__, "s": str(exc)[:2000]},
            }
            if len(exc.args) <= 8 and all(type(a) in _PLAIN for a in exc.args):
                # Its arguments too, when plain: KeyError("k") reads as 'k' again.
                reply["exc"]["a"] = [a[:2000] if type(a) is str else a for a in exc.args]
        except BaseException:
            self._send(
                {"re": cid, "exc": {"n": "RuntimeError", "s": "the judge stopped this call"}}
            )
            raise
        self._send(reply)

    def _refuse_callback(self, frame: dict[str, Any]) -> None:
        self._send({"re": frame.get("cb"), "exc": {"n": "RuntimeError", "s": "the test is over"}})

    # -- proxies -----------------------------------------------------------------------
    def import_module(self, name: str) -> RemoteModule:
        module = self._modules.get(name)
        if module is None:
            tree = self.request("import", n=name)
            if not isinstance(tree, RemoteModule):
                raise ImportError(f"the kernel gave no module for {name!r}")
            module = tree
        return module

    def _proxy(self, tree: dict[str, Any]) -> Any:
        hid = tree["v"]
        kind = tree.get("k")
        if kind == "type":
            return self.judge_class(tree)
        if hid in self._released:
            self._released.remove(hid)
        proxy = self._proxies.get(hid)
        if proxy is not None:
            return proxy
        if kind == "module":
            module = self._module_proxies.get(hid)
            if module is None:
                module = self._module_proxies[hid] = RemoteModule(
                    self, hid, str(tree.get("n") or "learner module")
                )
            return module
        cls: type = RemoteObject
        desc = tree.get("c")
        if type(desc) is dict and desc.get("~") == "h":
            cls = self.judge_class(desc)
            if issubclass(cls, BaseException):
                cls = RemoteObject
        proxy = object.__new__(cls)
        object.__setattr__(proxy, "_cq_conn", self)
        object.__setattr__(proxy, "_cq_hid", hid)
        object.__setattr__(proxy, "_cq_type", str(tree.get("t") or cls.__name__)[:200])
        self._proxies[hid] = proxy
        return proxy

    def released(self, hid: int) -> None:
        if not self.gone:
            self._released.append(hid)

    def judge_class(self, desc: dict[str, Any]) -> type:
        """The judge's class for a learner class (made once per class)."""
        hid = desc.get("v")
        if type(hid) is not int:
            raise WireError("malformed class")
        cls = self._classes.get(hid)
        if cls is not None:
            return cls
        name = _identifier(desc.get("n"), "LearnerClass")
        namespace = {
            "__module__": _text(desc.get("m"), "learner"),
            "__qualname__": _text(desc.get("q"), name),
            "_cq_type_hid": hid,
        }
        if desc.get("e") is not None:
            base = getattr(builtins, str(desc["e"]), None)
            if not (isinstance(base, type) and issubclass(base, BaseException)):
                base = Exception
            if base is KeyboardInterrupt:
                base = LearnerKeyboardInterrupt
            namespace.update(_EXCEPTION_METHODS)
            cls = type(name, (base,), namespace)
        else:
            bases = []
            for b in desc.get("b") or []:
                if type(b) is dict and b.get("~") == "h":
                    bases.append(self.judge_class(b))
            namespace["__slots__"] = ()
            try:
                cls = RemoteType(name, tuple(bases) or (RemoteObject,), namespace)
            except TypeError:  # an MRO the judge's classes cannot repeat
                cls = RemoteType(name, (RemoteObject,), namespace)
        type.__setattr__(cls, "_cq_type_conn", self)
        self._classes[hid] = cls
        return cls

    def _exception(self, info: Any) -> BaseException:
        if type(info) is not dict:
            return ReplyRejected("the kernel sent a malformed exception")
        message = _text(info.get("s"), "")
        try:
            cls = self._decode(info.get("c"))
            args = self._decode(info.get("a"))
        except KernelError:
            cls, args = Exception, (message,)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            cls = Exception
        if cls is KeyboardInterrupt:
            cls = LearnerKeyboardInterrupt
        elif cls is SystemExit:
            cls = LearnerSystemExit
        if type(args) is not tuple:
            args = (message,)
        exc: Any = _instantiate(cls, args, message)
        if getattr(cls, "_cq_type_hid", None) is not None:
            exc._cq_str = message
            exc._cq_conn = self
            exc._cq_hid = info.get("h") if type(info.get("h")) is int else None
        tb = _text(info.get("tb"), "")
        if tb:
            # Kept beside the exception, not as a note: pytest.raises(match=) reads
            # notes too, and the learner's traceback is no part of the message.
            with contextlib.suppress(Exception):
                object.__setattr__(exc, "_cq_learner_tb", tb.rstrip())
        return exc
