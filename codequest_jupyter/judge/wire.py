"""The wire format between judge and agent, and the judge's restricted decoder.

A frame is a 4-byte big-endian length and a JSON document (strict: no NaN tokens).
Values are JSON trees: ``null``, booleans, strings, small integers and finite floats
as themselves, lists as arrays, and everything else as an object tagged by ``"~"``:

=========  =========================================================================
``t``      tuple ``{"~": "t", "v": [...]}``; ``s``/``fs`` set/frozenset, ``d`` dict
           (``"v"``: ``[[key, value], ...]``)
``b``      bytes (base64); ``ba`` bytearray; ``c`` complex ``[re, im]``
``i``      an integer beyond 2**53, in hexadecimal (no digit limit applies)
``li``     a list of ``PACK_MIN`` or more ints within 64 bits, packed (base64 of
           native int64s): copying 200,000 of them costs ~5 ms each way, not ~50
``f``      a float that is not finite (``"nan"``, ``"inf"``, ``"-inf"``)
``nd``     a numpy array: ``dt`` (a plain dtype string), ``sh`` (shape), ``v`` (bytes)
``ns``     a numpy scalar: ``dt``, ``v``
``pi``     a pandas Index: ``v`` (values), ``n`` (name); ``pr`` a RangeIndex
           (``v``: start, stop, step); ``pm`` a MultiIndex (``v``: its tuples, ``n``:
           its names)
``ps``     a pandas Series: ``v`` (values), ``ix`` (index), ``n`` (name)
``pf``     a pandas DataFrame: ``v`` (one values tree per column), ``c`` (columns),
           ``ix`` (index)
``pv``     the values of a pandas column or index whose dtype is no plain numpy one:
           ``dt`` (``object`` or a named extension dtype such as ``str``, ``string``,
           ``Int64``, ``boolean``), ``v`` (its elements, missing ones ``null``)
``bt``     a built-in type, by name (``int``, ``ValueError``)
``x``      an instance of a built-in exception type (an ``Exception``): ``n`` its
           type's name, ``v`` its arguments
``h``      a handle: an object that stays in the kernel (``k``: ``module``, ``type``
           or ``obj``; a type carries its name and bases, an instance its type)
``j``      an object of the judge's handed to the kernel (coming back: itself)
=========  =========================================================================

Decoding never runs code named by the data (no pickle, no ``eval``, no import): it
builds built-in values, numpy arrays from raw bytes (never of object dtype), pandas
objects from those (dtypes from a fixed list, object columns holding only decoded
values), and asks its ``handles`` for proxies. It is bounded in nesting depth, number of values and
frame size; a value beyond a bound is :class:`ValueTooLarge`.

One module for the format both ways (some 620 lines, pandas the longest part), so
that the decoder's rules and the encoder they answer are read side by side.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import math
import re
import socket
import struct
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

HEADER = struct.Struct(">I")
SMALL_INT = 1 << 53
# What a JSON document's array holds as itself (no tag, nothing to decode).
_SCALARS = frozenset({str, bool, int, float, type(None)})


# Lists of ints at least this long travel packed (``li``).
PACK_MIN = 64


def fast_list(values: list) -> Any:
    """The wire tree of a list of scalars made at C speed (a list of 200,000 ints:
    ~5 ms, not ~100 item by item), or None: it must be encoded item by item."""
    kinds = set(map(type, values))
    if len(values) >= PACK_MIN and kinds == {int}:
        try:
            packed = array("q", values).tobytes()
        except OverflowError:
            return None  # beyond 64 bits: item by item (``i``)
        return {"~": "li", "v": base64.b64encode(packed).decode("ascii")}
    return list(values) if plain_items(values, kinds) else None


def plain_items(values: list | tuple, kinds: set[type] | None = None) -> bool:
    """Whether every item of ``values`` is its own wire tree (a str, bool or None, an
    int within SMALL_INT, a finite float): the sequence then travels as it is."""
    if kinds is None:
        kinds = set(map(type, values))
    if not kinds <= _SCALARS:
        return False
    if int in kinds:
        ints = values if len(kinds) == 1 else [x for x in values if type(x) is int]
        if min(ints) <= -SMALL_INT or max(ints) >= SMALL_INT:
            return False
    if float in kinds:
        floats = values if len(kinds) == 1 else [x for x in values if type(x) is float]
        if not all(map(math.isfinite, floats)):
            return False
    return True


_DTYPE = re.compile(r"^[<>|=][biufcmMSU]\d{1,4}(\[\w{1,5}\])?$")


@dataclass(frozen=True)
class Limits:
    """Bounds on what the judge accepts from the kernel in one frame."""

    max_frame_bytes: int = 32 * 1024 * 1024
    max_depth: int = 500
    max_items: int = 1_000_000


class WireError(Exception):
    """The kernel sent something that is not a frame of this protocol."""


class ValueTooLarge(WireError):
    """A value from the kernel is beyond the judge's bounds."""


class ChannelClosed(WireError):
    """The kernel's end of the connection is gone (it exited, crashed or was killed)."""


class FrameTimeout(WireError):
    """No frame came before the deadline."""


# -- frames ------------------------------------------------------------------------------


# Made once (json.dumps and json.loads with options build a new coder on each call,
# ~5 µs a frame each way).
_ENCODE = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


_DECODE = json.JSONDecoder(parse_constant=_no_constant).decode

# The longest a read blocks before it looks at its deadline again (SO_RCVTIMEO).
_READ_SLICE_S = 1.0


class FrameSocket:
    """Length-prefixed JSON frames over a connected stream socket, with deadlines.

    A read is one blocking ``recv`` bounded by the socket's receive timeout
    (SO_RCVTIMEO: at most the time left before the deadline, and at most
    ``_READ_SLICE_S``), not a ``poll`` then a ``recv``: on the path of every call
    across the boundary, a system call and a wake-up fewer."""

    def __init__(self, sock: socket.socket, limits: Limits = Limits()):
        self.sock = sock
        self.limits = limits
        sock.setblocking(True)  # blocking, bounded by the receive timeout
        self._buffer = bytearray()
        self._timeout_us = -1  # the receive timeout set on the socket (0: none)

    def send(self, message: dict[str, Any]) -> None:
        body = _ENCODE(message).encode()
        try:
            self.sock.sendall(HEADER.pack(len(body)) + body)
        except OSError as exc:
            raise ChannelClosed(f"the connection to the kernel is gone ({exc})") from None

    def recv(self, deadline: float | None) -> dict[str, Any]:
        """The next frame; ``deadline`` is on ``time.monotonic()`` (None: wait)."""
        head = self._take(HEADER.size, deadline)
        size = HEADER.unpack(head)[0]
        if size > self.limits.max_frame_bytes:
            # Read past it (never keeping it): the stream stays in step.
            left = size
            while left:
                left -= len(self._take(min(left, 1 << 20), deadline))
            raise ValueTooLarge(
                f"the kernel sent {size:,} bytes in one reply, more than the "
                f"{self.limits.max_frame_bytes:,} allowed"
            )
        body = self._take(size, deadline)
        try:
            message = _DECODE(body.decode())
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError included
            raise WireError(f"the kernel sent an unreadable reply ({type(exc).__name__})") from None
        if not isinstance(message, dict):
            raise WireError("the kernel sent a reply that is not an object")
        return message

    def _take(self, n: int, deadline: float | None) -> bytes:
        while len(self._buffer) < n:
            flags = 0
            if deadline is None:
                self._set_timeout(0)
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    flags = socket.MSG_DONTWAIT  # what has come already, never a wait
                else:
                    # Rounded up to the millisecond: never 0 (that would mean no limit).
                    self._set_timeout(min(int(left * 1000 + 1) * 1000, int(_READ_SLICE_S * 1e6)))
            try:
                chunk = self.sock.recv(max(n - len(self._buffer), 1 << 16), flags)
            except BlockingIOError:  # the receive timeout passed (or nothing had come)
                if flags:
                    raise FrameTimeout("no reply in time") from None
                continue
            except OSError as exc:
                raise ChannelClosed(f"the connection to the kernel broke ({exc})") from None
            if not chunk:
                raise ChannelClosed("the kernel closed the connection")
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _set_timeout(self, us: int) -> None:
        """The socket's receive timeout, in microseconds (0: none); set only when it
        changes (the common case, a call well within its deadline, sets nothing)."""
        if us != self._timeout_us:
            self.sock.setsockopt(
                socket.SOL_SOCKET,
                socket.SO_RCVTIMEO,
                _TIMEVAL.pack(us // 1_000_000, us % 1_000_000),
            )
            self._timeout_us = us

    def close(self) -> None:
        self.sock.close()


_TIMEVAL = struct.Struct("@ll")  # struct timeval (time_t, suseconds_t)


# -- decoding ----------------------------------------------------------------------------


class Decoder:
    """Restricted decoding of one wire tree from the kernel.

    ``handle(tree)`` turns a handle tree (``"~": "h"``) into the judge's proxy;
    ``judge_object(jid)`` returns the judge's own object handed out earlier.
    """

    def __init__(
        self,
        limits: Limits,
        handle: Callable[[dict[str, Any]], Any],
        judge_object: Callable[[int], Any],
    ):
        self.limits = limits
        self._handle = handle
        self._judge_object = judge_object
        self._items = 0

    def decode(self, tree: Any) -> Any:
        self._items = 0
        try:
            return self._dec(tree, 0)
        except RecursionError:
            # Below max_depth, but deeper than this interpreter's stack allows.
            raise ValueTooLarge("the value is nested too deep for the judge") from None

    def _count(self, n: int = 1) -> None:
        self._items += n
        if self._items > self.limits.max_items:
            raise ValueTooLarge(f"the value has more than {self.limits.max_items:,} elements")

    def _items_of(self, items: list, depth: int) -> list:
        """The decoded items of a JSON array (one item by item only when needed: an
        array of scalars, what JSON parsing made, is its own value)."""
        if depth <= self.limits.max_depth and set(map(type, items)) <= _SCALARS:
            self._count(len(items))
            return items
        return [*map(partial(self._dec, depth=depth), items)]

    def _dec(self, tree: Any, depth: int) -> Any:
        if depth > self.limits.max_depth:
            raise ValueTooLarge(
                f"the value is nested more than {self.limits.max_depth} levels deep"
            )
        self._count()
        t = type(tree)
        if tree is None or t is bool or t is str or t is float:
            return tree
        if t is int:
            return tree
        d = depth + 1
        if t is list:
            return self._items_of(tree, d)
        if t is not dict:
            raise WireError(f"unexpected {t.__name__} in a value")
        tag = tree.get("~")
        v = tree.get("v")
        if tag == "t":
            return tuple(self._items_of(_list(v), d))
        if tag == "d":
            out = {}
            for pair in _list(v):
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("malformed dict entry")
                out[_hashable(self._dec(pair[0], d))] = self._dec(pair[1], d)
            return out
        if tag == "s":
            return set(map(_hashable, map(partial(self._dec, depth=d), _list(v))))
        if tag == "fs":
            return frozenset(map(_hashable, map(partial(self._dec, depth=d), _list(v))))
        if tag in ("b", "ba"):
            data = _b64(v)
            return data if tag == "b" else bytearray(data)
        if tag == "c":
            parts = _list(v)
            if len(parts) != 2:
                raise WireError("malformed complex")
            re_, im = (self._dec(p, d) for p in parts)
            if (type(re_) is not float and type(re_) is not int) or (
                type(im) is not float and type(im) is not int
            ):
                raise WireError("malformed complex")
            return complex(re_, im)
        if tag == "li":
            data = _b64(v)
            if len(data) % 8:
                raise WireError("malformed packed integers")
            self._count(len(data) // 8)
            ints = array("q")
            ints.frombytes(data)
            return ints.tolist()
        if tag == "i":
            if type(v) is not str or not re.fullmatch(r"-?0x[0-9a-f]{1,200000}", v):
                raise WireError("malformed integer")
            return int(v, 16)
        if tag == "f":
            if v not in ("nan", "inf", "-inf"):
                raise WireError("malformed float")
            return float(v)
        if tag == "bt":
            name = tree.get("n")
            obj = getattr(builtins, name, None) if type(name) is str else None
            if not isinstance(obj, type):
                raise WireError(f"unknown built-in type {name!r}")
            return obj
        if tag == "x":
            name = tree.get("n")
            cls = getattr(builtins, name, None) if type(name) is str else None
            if not (isinstance(cls, type) and issubclass(cls, Exception)):
                raise WireError(f"unknown built-in exception {name!r}")
            args = self._items_of(_list(v), d)
            try:
                return cls(*args)  # a built-in type's constructor: nothing of the learner's
            except (TypeError, ValueError):
                raise WireError(f"malformed {cls.__name__}") from None
        if tag in ("nd", "ns"):
            return _numpy(tag, tree)
        if tag in _PANDAS_TAGS:
            return _pandas(tag, tree, partial(self._dec, depth=d))
        if tag == "h":
            if type(v) is not int:
                raise WireError("malformed handle")
            return self._handle(tree)
        if tag == "j":
            if type(v) is not int:
                raise WireError("malformed judge reference")
            return self._judge_object(v)
        raise WireError(f"unknown value tag {tag!r}")


def _list(v: Any) -> list:
    if type(v) is not list:
        raise WireError("malformed value")
    return v


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        raise WireError("an unhashable key in a dict or set") from None
    return key


def _b64(v: Any) -> bytes:
    if type(v) is not str:
        raise WireError("malformed bytes")
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raise WireError("malformed bytes") from None


def _numpy(tag: str, tree: dict[str, Any]) -> Any:
    try:
        import numpy as np
    except ImportError:
        raise WireError(
            "the kernel sent a numpy value but numpy is not installed in the judge"
        ) from None
    dt = tree.get("dt")
    if type(dt) is not str or not _DTYPE.match(dt):
        raise WireError(f"unsupported numpy dtype {dt!r}")
    dtype = np.dtype(dt)
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"unsupported numpy dtype {dt!r}")
    data = _b64(tree.get("v"))
    if tag == "ns":
        if len(data) != dtype.itemsize:
            raise WireError("malformed numpy scalar")
        return np.frombuffer(data, dtype=dtype)[0]
    shape = tree.get("sh")
    if (
        type(shape) is not list
        or len(shape) > 32
        or any(type(n) is not int or n < 0 for n in shape)
    ):
        raise WireError("malformed numpy shape")
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(data):
        raise WireError("numpy data does not match its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


# The dtypes of pandas values sent as elements (``pv``): object, and extension dtypes
# rebuilt by name from plain elements. Anything else (categorical, time zones, periods,
# intervals, sparse) stays in the kernel as a proxy.
PANDAS_DTYPES = frozenset(
    {"object", "str", "string", "boolean", "Float32", "Float64"}
    | {f"{s}Int{n}" for s in ("", "U") for n in (8, 16, 32, 64)}
)
_PANDAS_TAGS = frozenset({"pi", "pr", "pm", "ps", "pf", "pv"})


def _pandas(tag: str, tree: dict[str, Any], dec: Callable[[Any], Any]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise WireError(
            "the kernel sent a pandas value but pandas is not installed in the judge"
        ) from None
    np = __import__("numpy")
    try:
        if tag == "pv":
            dt = tree.get("dt")
            if dt not in PANDAS_DTYPES:
                raise WireError(f"unsupported pandas dtype {dt!r}")
            items = [dec(x) for x in _list(tree.get("v"))]
            if dt == "object":
                arr = np.empty(len(items), dtype=object)
                for i, item in enumerate(items):
                    arr[i] = item
                return arr
            return pd.array(items, dtype=dt)
        if tag == "pr":
            bounds = _list(tree.get("v"))
            if len(bounds) != 3 or any(type(b) is not int for b in bounds) or bounds[2] == 0:
                raise WireError("malformed RangeIndex")
            return pd.RangeIndex(*bounds, name=_hashable(dec(tree.get("n"))))
        if tag == "pm":
            names = dec(tree.get("n"))
            tuples = dec(tree.get("v"))
            if type(names) is not list or type(tuples) is not list:
                raise WireError("malformed MultiIndex")
            if any(type(t) is not tuple or len(t) != len(names) for t in tuples):
                raise WireError("malformed MultiIndex")
            if not tuples:
                return pd.MultiIndex.from_arrays([[] for _ in names], names=names)
            return pd.MultiIndex.from_tuples(tuples, names=[_hashable(n) for n in names])
        # Every constructor is given the dtype: pandas would infer another for an
        # object column of strings.
        if tag == "pi":
            v = _column(dec(tree.get("v")))
            return pd.Index(v, dtype=v.dtype, name=_hashable(dec(tree.get("n"))))
        if tag == "ps":
            v = _column(dec(tree.get("v")))
            index = _index(dec(tree.get("ix")))
            if len(index) != len(v):
                raise WireError("malformed Series")
            return pd.Series(v, index=index, dtype=v.dtype, name=_hashable(dec(tree.get("n"))))
        # "pf"
        columns = [_column(dec(c)) for c in _list(tree.get("v"))]
        labels = _index(dec(tree.get("c")))
        index = _index(dec(tree.get("ix")))
        if len(labels) != len(columns) or any(len(c) != len(index) for c in columns):
            raise WireError("malformed DataFrame")
        frame = pd.DataFrame(
            {i: pd.Series(c, dtype=c.dtype) for i, c in enumerate(columns)},
            index=pd.RangeIndex(len(index)),
        )
        frame.index = index
        frame.columns = labels
        return frame
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, WireError):
            raise
        raise WireError(f"malformed pandas value ({type(exc).__name__})") from None


def _column(values: Any) -> Any:
    np = __import__("numpy")
    pd = __import__("pandas")
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return values
    if isinstance(values, pd.api.extensions.ExtensionArray):
        return values
    raise WireError("malformed pandas values")


def _index(value: Any) -> Any:
    pd = __import__("pandas")
    if not isinstance(value, pd.Index):
        raise WireError("malformed pandas index")
    return value


# -- encoding (judge values to the kernel) -----------------------------------------------


def encode(value: Any, ref: Callable[[Any], dict[str, Any]], depth: int = 0) -> Any:
    """A judge value as a wire tree; ``ref(obj)`` gives the tree of anything that is
    not plain data (a proxy's handle, or a new reference to a judge object)."""
    if depth > 500:
        raise ValueError("a value nested more than 500 levels deep cannot be sent to the kernel")
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if -SMALL_INT < value < SMALL_INT else {"~": "i", "v": hex(value)}
    if t is float:
        return value if value - value == 0 else {"~": "f", "v": repr(value)}
    d = depth + 1
    if t is list:
        fast = fast_list(value) if d <= 500 else None
        return fast if fast is not None else [*map(partial(encode, ref=ref, depth=d), value)]
    if t is tuple:
        if d <= 500 and plain_items(value):
            return {"~": "t", "v": list(value)}
        return {"~": "t", "v": [*map(partial(encode, ref=ref, depth=d), value)]}
    if t is dict:
        pairs = []
        for k, x in value.items():
            pairs.append([encode(k, ref, d), encode(x, ref, d)])
        return {"~": "d", "v": pairs}
    if t is set or t is frozenset:
        return {
            "~": "s" if t is set else "fs",
            "v": [*map(partial(encode, ref=ref, depth=d), value)],
        }
    if t is bytes or t is bytearray:
        return {"~": "b" if t is bytes else "ba", "v": base64.b64encode(value).decode()}
    if t is complex:
        return {"~": "c", "v": [encode(value.real, ref), encode(value.imag, ref)]}
    if (
        isinstance(value, type)
        and value.__module__ == "builtins"
        and getattr(builtins, name := value.__name__, None) is value
    ):
        return {"~": "bt", "n": name}
    if isinstance(value, BaseException) and getattr(builtins, t.__name__, None) is t:
        # A test's ValueError("bad") handed to learner code: a real one there.
        try:
            return {"~": "x", "n": t.__name__, "v": encode(list(value.args), _data_only, d)}
        except _NotData:
            pass
    np = _numpy_module()
    if (
        np is not None
        and isinstance(value, (np.ndarray, np.generic))
        and not value.dtype.hasobject
        and value.dtype.fields is None
    ):
        if isinstance(value, np.generic):
            return {
                "~": "ns",
                "dt": value.dtype.str,
                "v": base64.b64encode(value.tobytes()).decode(),
            }
        arr = np.ascontiguousarray(value)
        return {
            "~": "nd",
            "dt": arr.dtype.str,
            "sh": list(arr.shape),
            "v": base64.b64encode(arr.tobytes()).decode(),
        }
    pd = _pandas_module()
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        tree = encode_pandas(value, partial(encode, ref=ref, depth=d), pd)
        if tree is not None:
            return tree
    return ref(value)


class _NotData(Exception):
    pass


def _data_only(value: Any) -> dict[str, Any]:
    raise _NotData


def encode_pandas(value: Any, enc: Callable[[Any], Any], pd: Any) -> Any:
    """A pandas DataFrame, Series or Index as a wire tree (None: not one the wire
    carries; it goes as a reference). The agent holds the same function."""
    np = __import__("numpy")

    def values(arr: Any) -> Any:
        dtype = arr.dtype
        if isinstance(dtype, np.dtype) and not dtype.hasobject and dtype.fields is None:
            return enc(np.ascontiguousarray(arr.to_numpy()))
        name = str(dtype)
        if name not in PANDAS_DTYPES:
            return None
        items = arr.to_numpy(dtype=object)
        if name != "object":
            items = [None if pd.isna(x) else x for x in items]
        return {"~": "pv", "dt": name, "v": [enc(x) for x in items]}

    def index(ix: Any) -> Any:
        if isinstance(ix, pd.RangeIndex):
            return {"~": "pr", "v": [ix.start, ix.stop, ix.step], "n": enc(ix.name)}
        if isinstance(ix, pd.MultiIndex):
            return {"~": "pm", "v": enc(list(ix)), "n": enc(list(ix.names))}
        v = values(ix)
        return None if v is None else {"~": "pi", "v": v, "n": enc(ix.name)}

    if isinstance(value, pd.Index):
        return index(value)
    if isinstance(value, pd.Series):
        v, ix = values(value), index(value.index)
        if v is None or ix is None:
            return None
        return {"~": "ps", "v": v, "ix": ix, "n": enc(value.name)}
    cols = [values(value.iloc[:, i]) for i in range(value.shape[1])]
    labels, ix = index(value.columns), index(value.index)
    if labels is None or ix is None or any(c is None for c in cols):
        return None
    return {"~": "pf", "v": cols, "c": labels, "ix": ix}


def _pandas_module() -> Any:
    import sys

    return sys.modules.get("pandas")


def _numpy_module() -> Any:
    import sys

    return sys.modules.get("numpy")
