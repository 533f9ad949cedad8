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
"""

from __future__ import annotations

import builtins
import itertools
import secrets
import sys
import time
import weakref
from collections.abc import Callable
from typing import Any

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
        self.frames = FrameSocket(sock, limits)
        self.limits = limits
        self.notify = notify or (lambda _what: None)
        self.grace_s = grace_s
        self.default_timeout_s = default_timeout_s
        self.deadline: float | None = None
        self.timeout_message = "the call took too long"
        self.gone: str | None = None
        self._seq = itertools.count(1)
        self._abandoned: set[int] = set()
        self._released: list[int] = []
        self._proxies: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._classes: dict[int, type] = {}
        self._modules: dict[str, RemoteModule] = {}
        self._module_proxies: dict[int, RemoteModule] = {}
        self._judge_objs: dict[int, Any] = {}
        self._judge_ids: dict[int, int] = {}
        self.calls = 0
        self.output_dropped = 0  # characters the kernel printed beyond its output limit

    # -- requests ----------------------------------------------------------------------
    def request(self, op: str, **fields: Any) -> Any:
        if self.gone:
            raise KernelGone(self.gone)
        if self._abandoned:
            self._settle_abandoned()
        seq = next(self._seq)
        nonce = secrets.token_hex(8)
        message = {"op": op, "id": seq, "nc": nonce, **fields}
        if self._released:
            message["rel"], self._released = self._released, []
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

    def _send(self, message: dict[str, Any]) -> None:
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
        target = self._judge_objs.get(frame.get("j"))  # type: ignore[arg-type]
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
            result = target(*args, **kwargs)
            reply = {"re": cid, "ok": self.encode(result)}
        except Exception as exc:  # noqa: BLE001 - the learner's code gets the exception
            reply = {
                "re": cid,
                "exc": {"n": _builtin_base(type(exc)).__name__, "s": str(exc)[:2000]},
            }
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
            exc.add_note("Raised in the learner's code:\n" + tb.rstrip())
        return exc
