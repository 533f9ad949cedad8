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

It runs a little past ~400 lines because each kind of proxy above is only readable
beside the others: their equality, hashing and truth rules are one policy.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import sys
import time
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connection import Connection


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


_FORWARDED_DUNDERS = frozenset(
    {
        "__name__",
        "__qualname__",
        "__doc__",
        "__module__",
        "__dict__",
        "__annotations__",
        "__defaults__",
        "__kwdefaults__",
        "__slots__",
        "__file__",
        "__version__",
    }
)


def _check_name(name: str) -> None:
    if name.startswith(("_cq_", "_pytest", "__pytest")) or (
        name.startswith("__") and name.endswith("__") and name not in _FORWARDED_DUNDERS
    ):
        raise AttributeError(name)


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

    __slots__ = ("__weakref__", "_cq_conn", "_cq_hid", "_cq_type")

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
        return writeback.call(conn, object.__getattribute__(self, "_cq_hid"), args, kwargs)

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
            args = exc.args
            if len(args) <= 8 and all(type(a) in (str, int, bool, type(None)) for a in args):
                # Its arguments when plain: KeyError("k") reads as 'k' in the kernel too.
                fields["xa"] = [a[:2000] if type(a) is str else a for a in args]
            learner_class = getattr(type(exc), "_cq_type_hid", None)
            if type(learner_class) is int:
                fields["xh"] = learner_class  # a learner exception class: the kernel's own
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
        except Exception:  # noqa: BLE001 (KernelError included: a repr never fails a test)
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
        return _call(
            self,
            "binop",
            n=name,
            r=reflected,
            x=object.__getattribute__(self, "_cq_conn").encode(other),
        )

    return method


def _unop(name: str) -> Callable[[Any], Any]:
    def method(self: Any) -> Any:
        return _call(self, "unop", n=name)

    return method


for _name in (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
):
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

    @property  # type: ignore[misc]
    def __dict__(cls) -> Any:  # type: ignore[override]
        return RemoteNamespace(type.__getattribute__(cls, "_cq_type_conn"), cls._cq_type_hid)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        conn = type.__getattribute__(cls, "_cq_type_conn")
        return writeback.call(conn, cls._cq_type_hid, args, kwargs)

    def __getattr__(cls, name: str) -> Any:
        _check_name(name)
        return type.__getattribute__(cls, "_cq_type_conn").request(
            "getattr", h=cls._cq_type_hid, n=name
        )

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
        _module_dict(self)["__cq_conn__"].request(
            "delattr", h=_module_dict(self)["__cq_hid__"], n=name
        )

    def __dir__(self) -> list[str]:
        names = _module_dict(self)["__cq_conn__"].request("dir", h=_module_dict(self)["__cq_hid__"])
        return [n for n in names if type(n) is str] if type(names) is list else []

    def __repr__(self) -> str:
        return f"<learner module {self.__name__!r} (in the kernel)>"


_module_dict = types.ModuleType.__dict__["__dict__"].__get__  # type: ignore[index]


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


# Calls change the test's arguments as learner code changed them (imported last: it
# uses this module's exceptions).
from . import writeback  # noqa: E402
