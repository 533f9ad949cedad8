"""The judge's side of the boundary: the connection to the agent and the proxies.

A test's ``import two_sum`` gives a :class:`RemoteModule`; reading its attributes,
calling, instantiating, iterating, indexing or entering what it holds sends one request
to the agent and waits for its reply. What comes back is plain data (copied through
:class:`.wire.Decoder`) or a proxy:

* a learner class is a class of the judge's (metaclass :class:`RemoteType`) deriving
  from the judge classes of its learner bases, so ``isinstance(p, two_sum.Point)``
  and ``type(p) is two_sum.Point`` hold; calling it makes an instance in the kernel;
* a learner exception class is an exception class of the judge's deriving from the
  nearest built-in one (``class Invalid(ValueError)`` comes as a ``ValueError``), and
  an exception raised by learner code is raised in the test as that class, or as the
  very built-in type, with its arguments, message and the learner's traceback as a
  note: ``pytest.raises(ValueError, match=...)`` works;
* anything else (an instance, a function, a generator) is a :class:`RemoteObject`.

Equality, hashing, ordering and truth of proxies are the judge's, never learner code's:
a proxy equals only itself (the kernel gives one object one handle, the judge one
handle one proxy), hashes by identity, cannot be ordered, and refuses ``bool()`` with
a message saying what to compare instead.

A call that outlives the test's time limit has the driver interrupt the kernel (the
call then fails as :class:`CallTimeout`); a kernel that does not stop is killed and
every later call fails as :class:`KernelGone`, as does every call once the kernel has
died. These are ``BaseException``s: ``pytest.raises(Exception)`` in a test does not
take a crash or a timeout for the exception it expected.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import itertools
import secrets
import sys
import time
import types
import weakref
from collections.abc import Callable, Mapping
from typing import Any

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


class KernelError(BaseException):
    """A call across the boundary that has no result: the test errs with this message."""


class CallTimeout(KernelError):
    """The learner's code ran past the test's time limit."""


class KernelGone(KernelError):
    """The learner's kernel exited, crashed or was stopped."""


class ReplyRejected(KernelError):
    """What learner code returned cannot be copied into the judge (too large, malformed)."""


class LearnerKeyboardInterrupt(Exception):
    """Learner code raised KeyboardInterrupt (in the judge it must not stop pytest)."""


_FORWARDED_DUNDERS = frozenset({
    "__name__", "__qualname__", "__doc__", "__module__", "__dict__", "__annotations__",
    "__defaults__", "__kwdefaults__", "__slots__", "__file__", "__version__",
})


def _check_name(name: str) -> None:
    if name.startswith("_cq_") or name.startswith(("_pytest", "__pytest")) or (
        name.startswith("__") and name.endswith("__") and name not in _FORWARDED_DUNDERS
    ):
        raise AttributeError(name)


class Connection:
    """Requests to the agent over one socket, with deadlines and callbacks."""

    def __init__(
        self,
        sock,
        limits: Limits = Limits(),
        notify: Callable[[str], None] | None = None,
        grace_s: float = 2.0,
        default_timeout_s: float = 30.0,
    ):
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
        self._judge_objs: dict[int, Any] = {}
        self._judge_ids: dict[int, int] = {}
        self.calls = 0

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
            raise ReplyRejected(f"what the learner's code returned is too large to copy: {exc}") from None
        except WireError as exc:
            raise ReplyRejected(f"what the learner's code returned cannot be copied: {exc}") from None

    def _output(self, frame: dict[str, Any]) -> None:
        out = frame.get("out")
        if type(out) is list:
            for item in out:
                if type(item) is list and len(item) == 2 and type(item[1]) is str:
                    (sys.stderr if item[0] == 2 else sys.stdout).write(item[1])
        dropped = frame.get("dropped")
        if type(dropped) is int and dropped > 0:
            sys.stdout.write(f"\n… output truncated ({dropped:,} more characters)\n")

    def _stuck(self, seq: int) -> None:
        """The call ``seq`` is past its deadline: interrupt, else kill the kernel."""
        self.notify("interrupt")
        self._abandoned.add(seq)
        if not self._settle_abandoned():
            return

    def _settle_abandoned(self) -> bool:
        """Wait (a grace period) for the replies of abandoned calls; kill the kernel if
        they do not come. True when the connection is usable again."""
        deadline = time.monotonic() + self.grace_s
        while self._abandoned and not self.gone:
            try:
                frame = self.frames.recv(deadline)
            except FrameTimeout:
                self.notify("kill")
                self._lost("the learner's kernel was stopped: a call did not end within its time limit")
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
        target = self._judge_objs.get(frame.get("j"))
        try:
            args = self._decode(frame.get("a"))
            kwargs = self._decode(frame.get("k"))
            if target is None or type(args) is not list or type(kwargs) is not dict or \
                    any(type(k) is not str for k in kwargs):
                raise TypeError("a malformed call of an object of the judge's")
            result = target(*args, **kwargs)
            reply = {"re": cid, "ok": self.encode(result)}
        except Exception as exc:  # noqa: BLE001 - the learner's code gets the exception
            reply = {"re": cid, "exc": {"n": _builtin_base(type(exc)).__name__, "s": str(exc)[:2000]}}
        except BaseException:
            self._send({"re": cid, "exc": {"n": "RuntimeError", "s": "the judge stopped this call"}})
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
            proxy = RemoteModule(self, hid, str(tree.get("n") or "learner module"))
            return proxy
        cls = RemoteObject
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
        namespace = {"__module__": _text(desc.get("m"), "learner"),
                     "__qualname__": _text(desc.get("q"), name), "_cq_type_hid": hid}
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
        if type(args) is not tuple:
            args = (message,)
        exc = _instantiate(cls, args, message)
        if getattr(cls, "_cq_type_hid", None) is not None:
            exc._cq_str = message
            exc._cq_conn = self
            exc._cq_hid = info.get("h") if type(info.get("h")) is int else None
        tb = _text(info.get("tb"), "")
        if tb:
            exc.add_note("Raised in the learner's code:\n" + tb.rstrip())
        return exc


def _instantiate(cls: type, args: tuple, message: str) -> BaseException:
    for attempt in (lambda: cls(*args), lambda: cls(message), lambda: cls()):
        try:
            return attempt()
        except Exception:  # noqa: BLE001 - a base with a fixed signature
            continue
    exc = Exception(message)
    return exc


def _builtin_base(cls: type) -> type:
    for base in cls.__mro__:
        if getattr(builtins, base.__name__, None) is base:
            return base
    return Exception


def _text(value: Any, default: str) -> str:
    return value[:8000] if type(value) is str else default


def _identifier(value: Any, default: str) -> str:
    return value if type(value) is str and value.isidentifier() and len(value) < 200 else default


def _exc_str(self: BaseException) -> str:
    text = self.__dict__.get("_cq_str")
    return text if text is not None else BaseException.__str__(self)


def _exc_getattr(self: BaseException, name: str) -> Any:
    _check_name(name)
    conn, hid = self.__dict__.get("_cq_conn"), self.__dict__.get("_cq_hid")
    if conn is None or hid is None:
        raise AttributeError(name)
    return conn.request("getattr", h=hid, n=name)


_EXCEPTION_METHODS = {"__str__": _exc_str, "__getattr__": _exc_getattr}


def _call(self: Any, op: str, **fields: Any) -> Any:
    conn = object.__getattribute__(self, "_cq_conn")
    return conn.request(op, h=object.__getattribute__(self, "_cq_hid"), **fields)


class RemoteObject:
    """An object that lives in the learner's kernel."""

    __slots__ = ("_cq_conn", "_cq_hid", "_cq_type", "__weakref__")

    def __getattr__(self, name: str) -> Any:
        _check_name(name)
        return _call(self, "getattr", n=name)

    def __setattr__(self, name: str, value: Any) -> None:
        conn = object.__getattribute__(self, "_cq_conn")
        _call(self, "setattr", n=name, x=conn.encode(value))

    def __delattr__(self, name: str) -> None:
        _call(self, "delattr", n=name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        conn = object.__getattribute__(self, "_cq_conn")
        return _call(self, "call", a=conn.encode(list(args)), k=conn.encode(kwargs))

    def __iter__(self) -> Any:
        return _call(self, "iter")

    def __next__(self) -> Any:
        return _call(self, "next")

    def __len__(self) -> int:
        n = _call(self, "len")
        if type(n) is not int:
            raise TypeError("len() of a learner object gave no integer")
        return n

    def __getitem__(self, key: Any) -> Any:
        return _call(self, "getitem", x=object.__getattribute__(self, "_cq_conn").encode(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        conn = object.__getattribute__(self, "_cq_conn")
        _call(self, "setitem", x=conn.encode(key), y=conn.encode(value))

    def __delitem__(self, key: Any) -> None:
        _call(self, "delitem", x=object.__getattribute__(self, "_cq_conn").encode(key))

    def __contains__(self, item: Any) -> bool:
        result = _call(self, "contains", x=object.__getattribute__(self, "_cq_conn").encode(item))
        return result is True

    def __enter__(self) -> Any:
        return _call(self, "enter")

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        fields: dict[str, Any] = {}
        if exc is not None:
            fields = {"xn": _builtin_base(type(exc)).__name__, "xs": str(exc)[:2000]}
        return _call(self, "exit", **fields) is True

    # The judge's own equality, hashing, ordering and truth (never learner code's).
    def __eq__(self, other: Any) -> bool:
        return self is other

    def __ne__(self, other: Any) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return object.__hash__(self)

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth of a learner {object.__getattribute__(self, '_cq_type')} object is "
            "not decided in the judge: compare a value (len(x) == 0, x.attr == ...) instead"
        )

    def __repr__(self) -> str:
        conn = object.__getattribute__(self, "_cq_conn")
        kind = object.__getattribute__(self, "_cq_type")
        if conn.gone:
            return f"<learner {kind} object>"
        saved = conn.deadline
        conn.deadline = min(saved, time.monotonic() + 1.0) if saved else time.monotonic() + 1.0
        try:
            text = _call(self, "repr")
            return text if type(text) is str else f"<learner {kind} object>"
        except (KernelError, Exception):
            return f"<learner {kind} object>"
        finally:
            conn.deadline = saved

    def __str__(self) -> str:
        text = _call(self, "str")
        return text if type(text) is str else repr(self)

    def __dir__(self) -> list[str]:
        names = _call(self, "dir")
        return [n for n in names if type(n) is str] if type(names) is list else []

    def __del__(self) -> None:
        try:
            conn = object.__getattribute__(self, "_cq_conn")
            conn.released(object.__getattribute__(self, "_cq_hid"))
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def _binop(name: str, reflected: bool) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        return _call(self, "binop", n=name, r=reflected,
                     x=object.__getattribute__(self, "_cq_conn").encode(other))

    return method


def _unop(name: str) -> Callable[[Any], Any]:
    def method(self: Any) -> Any:
        return _call(self, "unop", n=name)

    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
              "and", "or", "xor", "lshift", "rshift"):
    _op = _name + "_" if _name in ("and", "or") else _name
    setattr(RemoteObject, f"__{_name}__", _binop(_op, False))
    setattr(RemoteObject, f"__r{_name}__", _binop(_op, True))
for _name in ("neg", "pos", "abs", "invert", "int", "float", "index"):
    setattr(RemoteObject, f"__{_name}__", _unop(_name))


class RemoteNamespace(Mapping):
    """The namespace of a learner module or class, read from the kernel: what
    ``mock.patch`` and ``monkeypatch`` read as ``target.__dict__`` to restore it."""

    def __init__(self, conn: Connection, hid: int):
        self._conn = conn
        self._hid = hid

    def __getitem__(self, name: Any) -> Any:
        if type(name) is not str:
            raise KeyError(name)
        try:
            return self._conn.request("getattr", h=self._hid, n=name)
        except AttributeError:
            raise KeyError(name) from None

    def __iter__(self) -> Any:
        names = self._conn.request("dir", h=self._hid)
        return iter([n for n in names if type(n) is str] if type(names) is list else [])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class RemoteType(type):
    """The metaclass of the judge's classes for learner classes."""

    @property
    def __dict__(cls) -> Any:  # type: ignore[override]
        return RemoteNamespace(type.__getattribute__(cls, "_cq_type_conn"), cls._cq_type_hid)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        conn = type.__getattribute__(cls, "_cq_type_conn")
        return conn.request("call", h=cls._cq_type_hid, a=conn.encode(list(args)),
                            k=conn.encode(kwargs))

    def __getattr__(cls, name: str) -> Any:
        _check_name(name)
        return type.__getattribute__(cls, "_cq_type_conn").request("getattr", h=cls._cq_type_hid, n=name)

    def __setattr__(cls, name: str, value: Any) -> None:
        if name.startswith("_cq_") or (name.startswith("__") and name.endswith("__")):
            type.__setattr__(cls, name, value)
            return
        conn = type.__getattribute__(cls, "_cq_type_conn")
        conn.request("setattr", h=cls._cq_type_hid, n=name, x=conn.encode(value))

    def __delattr__(cls, name: str) -> None:
        type.__getattribute__(cls, "_cq_type_conn").request("delattr", h=cls._cq_type_hid, n=name)


class RemoteModule(types.ModuleType):
    """A learner module: its attributes are read from and written to the kernel."""

    def __init__(self, conn: Connection, hid: int, name: str):
        super().__init__(name)
        local = _module_dict(self)
        local["__cq_conn__"] = conn
        local["__cq_hid__"] = hid
        conn._modules[name] = self

    @property
    def __dict__(self) -> Any:  # type: ignore[override]
        local = _module_dict(self)
        return RemoteNamespace(local["__cq_conn__"], local["__cq_hid__"])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name != "__all__":
            # What introspection asks of every module in sys.modules (inspect.getmodule
            # wants __file__): answered here, never by a kernel that may be gone.
            raise AttributeError(name)
        conn = _module_dict(self)["__cq_conn__"]
        if name == "__all__":
            names = conn.request("dir", h=_module_dict(self)["__cq_hid__"])
            try:
                return conn.request("getattr", h=_module_dict(self)["__cq_hid__"], n="__all__")
            except AttributeError:
                return [n for n in names if type(n) is str and not n.startswith("_")]
        _check_name(name)
        return conn.request("getattr", h=_module_dict(self)["__cq_hid__"], n=name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("__") and name.endswith("__"):
            _module_dict(self)[name] = value  # what the import system sets
            return
        conn = _module_dict(self)["__cq_conn__"]
        conn.request("setattr", h=_module_dict(self)["__cq_hid__"], n=name, x=conn.encode(value))

    def __delattr__(self, name: str) -> None:
        if name.startswith("__") and name.endswith("__"):
            _module_dict(self).pop(name, None)
            return
        _module_dict(self)["__cq_conn__"].request("delattr", h=_module_dict(self)["__cq_hid__"], n=name)

    def __dir__(self) -> list[str]:
        names = _module_dict(self)["__cq_conn__"].request("dir", h=_module_dict(self)["__cq_hid__"])
        return [n for n in names if type(n) is str] if type(names) is list else []

    def __repr__(self) -> str:
        return f"<learner module {self.__name__!r} (in the kernel)>"


_module_dict = types.ModuleType.__dict__["__dict__"].__get__


class RemoteImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``import <module>`` in a test give the learner's module from the kernel."""

    def __init__(self, conn: Connection, modules: set[str]):
        self.conn = conn
        self.modules = set(modules)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.split(".", 1)[0] not in self.modules:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin="learner kernel")

    def create_module(self, spec: Any) -> types.ModuleType:
        return self.conn.import_module(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        return None

    def install(self) -> None:
        for name in list(sys.modules):
            if name.split(".", 1)[0] in self.modules:
                del sys.modules[name]
        sys.meta_path.insert(0, self)
