"""The agent: the only code of the judge's that runs in the learner's kernel.

The driver sends this file's source in one execute request, after the notebook's
cells, and calls :func:`serve` in a fresh namespace: the cell then runs until the
judge is done, and every learner call the tests make runs in it, on the kernel's main
thread (so interrupts and signals behave as in a cell). The agent connects to the
driver's socket, and answers requests, one frame each, with values encoded by the
wire format of :mod:`codequest_jupyter.judge.wire` (which decodes them in the judge).

Nothing here is trusted by the judge: learner code shares this process and may
replace any of it. The judge reads what comes back as data, through a restricted
decoder, and decides every verdict itself. The agent only does its honest best:
learner values are copied exactly (a subclass of a built-in type by its built-in
value, read through the base type's own slots so no learner method runs), everything
else stays here and is sent as a handle.

This file must stay self-contained: the kernel runs it as a whole, it does not import it
(which is also why it holds its own half of the wire format, numpy and pandas
included, and the snapshots that tell which of a call's arguments learner code
changed in place, and is some 1,000 lines long).
"""

import base64
import builtins
import io
import json
import math
import operator
import os
import socket
import struct
import sys
import traceback
import warnings
from array import array
from functools import partial
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024
# Made once: json.dumps with options builds an encoder on every call (~5 µs a frame).
_ENCODE = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
_DECODE = json.JSONDecoder().decode
# Nesting the wire carries (one Python frame per level, here and in the judge).
MAX_DEPTH = 300
SMALL_INT = 1 << 53
_SCALARS = frozenset({str, bool, int, float, type(None)})


PACK_MIN = 64


def _fast_list(values):
    """The wire tree of a list of scalars made at C speed, or None (wire.fast_list)."""
    kinds = set(map(type, values))
    if len(values) >= PACK_MIN and kinds == {int}:
        try:
            packed = array("q", values).tobytes()
        except OverflowError:
            return None
        return {"~": "li", "v": base64.b64encode(packed).decode("ascii")}
    return list(values) if _plain_items(values, kinds) else None


def _plain_items(values, kinds=None):
    """Whether every item is its own wire tree (wire.plain_items: the same test)."""
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


# Arguments of an exception raised in a judge object's with block that travel with it.
_PLAIN_ARGS = (str, int, bool, type(None))

_BINOPS = {
    name: getattr(operator, name)
    for name in (
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "matmul",
        "and_",
        "or_",
        "xor",
        "lshift",
        "rshift",
    )
}
_UNOPS: dict[str, Any] = {
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": operator.abs,
    "invert": operator.invert,
    "int": int,
    "float": float,
    "index": operator.index,
}


class _Capture(io.TextIOBase):
    """sys.stdout / sys.stderr while learner code runs: kept for the reply, bounded."""

    def __init__(self, agent, fd):
        self.agent = agent
        self.fd = fd

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        agent = self.agent
        room = agent.output_limit - agent.output_size
        kept = s[: max(room, 0)]
        if kept:
            agent.output.append([self.fd, kept])
            agent.output_size += len(kept)
        agent.output_dropped += len(s) - len(kept)
        return len(s)

    def flush(self):
        return None


class JudgeObject:
    """An object of the judge's (a callback, a mock) handed to learner code.

    Learner code may call it; and use it as a file or an iterator (a mock_open handle,
    a StringIO, a mock) or a context manager (the test's own, contextlib's...): the
    judge decides which objects of its own allow more than a call."""

    __slots__ = ("__weakref__", "_agent", "_jid")

    def __init__(self, agent, jid):
        self._agent = agent
        self._jid = jid

    def __call__(self, *args, **kwargs):
        return self._agent.callback(self._jid, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._agent.callback(self._jid, (), {}, o="getattr", n=name)

    def __iter__(self):
        return self._agent.callback(self._jid, (), {}, o="iter")

    def __next__(self):
        return self._agent.callback(self._jid, (), {}, o="next")

    def __enter__(self):
        return self._agent.callback(self._jid, (), {}, o="enter")

    def __exit__(self, exc_type, exc, tb):
        fields: dict[str, Any] = {}
        if exc is not None:
            name = "Exception"
            for base in type(exc).__mro__:
                if getattr(builtins, base.__name__, None) is base:
                    name = base.__name__
                    break
            try:
                fields = {"xn": name, "xs": str(exc)[:2000]}
            except Exception:  # noqa: BLE001 - a learner exception whose str() fails
                fields = {"xn": name, "xs": ""}
            args = exc.args if type(exc.args) is tuple else ()
            if len(args) <= 8 and all(type(a) in _PLAIN_ARGS for a in args):
                # Its arguments too, when plain (KeyError('k') reads as 'k' again).
                fields["xa"] = [a[:2000] if type(a) is str else a for a in args]
        return self._agent.callback(self._jid, (), {}, o="exit", **fields) is True

    def __repr__(self):
        return f"<judge object {self._jid}>"


class Agent:
    def __init__(self, sock, output_limit=1 << 20):
        self.sock = sock
        self.objs = {}
        self.ids = {}
        self.next_id = 1
        self.judge_objs = {}
        self.callbacks = 0
        self.output_limit = output_limit
        self.output = []
        self.output_size = 0
        self.output_dropped = 0
        self.warnings = []
        self.env_saved = {}
        self.records = []
        self.levels_saved = {}
        self._buffer = b""
        # What learner code sees as sys.stdout, sys.stderr and input() while the agent
        # serves: installed once (see serve), put back by a call only if it changed.
        self.stdout, self.stderr = _Capture(self, 1), _Capture(self, 2)
        self.input = self.judge_input

    # -- frames ------------------------------------------------------------------------
    def send(self, message):
        body = _ENCODE(message).encode()
        self.sock.sendall(_HEADER.pack(len(body)) + body)

    def recv(self):
        # A small request arrives whole: one recv reads its header and body together.
        size = _HEADER.unpack(self._read(4))[0]
        if size > MAX_FRAME:
            raise ValueError("frame too large")
        return _DECODE(self._read(size).decode())

    def _read(self, n):
        buffer = self._buffer
        if len(buffer) < n:
            parts = [buffer]
            have = len(buffer)
            while have < n:
                chunk = self.sock.recv(min(max(n - have, 1 << 16), 1 << 20))
                if not chunk:
                    raise EOFError("the judge closed the connection")
                parts.append(chunk)
                have += len(chunk)
            buffer = b"".join(parts)
        self._buffer = buffer[n:]
        return buffer[:n]

    # -- encoding: learner values to wire trees ----------------------------------------
    def handle(self, value):
        key = id(value)
        hid = self.ids.get(key)
        if hid is None:
            hid = self.next_id
            self.next_id += 1
            self.objs[hid] = value
            self.ids[key] = hid
        return hid

    def type_info(self, cls):
        name = cls.__name__
        if getattr(cls, "__module__", None) == "builtins" and getattr(builtins, name, None) is cls:
            return {"~": "bt", "n": name}
        info = {
            "~": "h",
            "k": "type",
            "v": self.handle(cls),
            "n": str(cls.__name__),
            "q": str(getattr(cls, "__qualname__", cls.__name__)),
            "m": str(getattr(cls, "__module__", "") or ""),
        }
        if issubclass(cls, BaseException):
            for base in cls.__mro__:  # the nearest built-in base (BaseException at worst)
                name = base.__name__
                if getattr(builtins, name, None) is base:
                    info["e"] = name
                    break
        else:
            info["b"] = [self.type_info(b) for b in cls.__bases__ if b is not object]
        return info

    def enc(self, value, force_handle=False, depth=0):
        if depth > MAX_DEPTH:
            raise ValueError(f"the value is nested more than {MAX_DEPTH} levels deep")
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if t is int:
            return value if -SMALL_INT < value < SMALL_INT else {"~": "i", "v": hex(value)}
        if t is float:
            return value if value - value == 0 else {"~": "f", "v": repr(value)}
        d = depth + 1
        if t is list:
            fast = _fast_list(value) if d <= MAX_DEPTH else None
            return fast if fast is not None else [*map(partial(self.enc, depth=d), value)]
        if t is tuple:
            if d <= MAX_DEPTH and _plain_items(value):
                return {"~": "t", "v": list(value)}
            return {"~": "t", "v": [*map(partial(self.enc, depth=d), value)]}
        if t is dict:
            pairs = []
            for k, v in value.items():
                pairs.append([self.enc(k, depth=d), self.enc(v, depth=d)])
            return {"~": "d", "v": pairs}
        if t is set or t is frozenset:
            return {"~": "s" if t is set else "fs", "v": [*map(partial(self.enc, depth=d), value)]}
        if t is bytes or t is bytearray:
            return {"~": "b" if t is bytes else "ba", "v": base64.b64encode(value).decode()}
        if t is complex:
            return {"~": "c", "v": [self.enc(value.real), self.enc(value.imag)]}
        if isinstance(value, type):
            return self.type_info(value)
        if t is JudgeObject:
            return {"~": "j", "v": object.__getattribute__(value, "_jid")}
        np = sys.modules.get("numpy")
        if np is not None and not force_handle:
            if (
                isinstance(value, np.ndarray)
                and not value.dtype.hasobject
                and value.dtype.fields is None
            ):
                arr = np.ascontiguousarray(np.asarray(value))
                return {
                    "~": "nd",
                    "dt": arr.dtype.str,
                    "sh": list(arr.shape),
                    "v": base64.b64encode(arr.tobytes()).decode(),
                }
            if (
                isinstance(value, np.generic)
                and not value.dtype.hasobject
                and value.dtype.fields is None
            ):
                return {
                    "~": "ns",
                    "dt": value.dtype.str,
                    "v": base64.b64encode(value.tobytes()).decode(),
                }
        pd = sys.modules.get("pandas")
        if (
            pd is not None
            and not force_handle
            and isinstance(value, (pd.DataFrame, pd.Series, pd.Index))
        ):
            tree = _encode_pandas(value, partial(self.enc, depth=d), pd)
            if tree is not None:
                return tree
        if (
            not force_handle
            and isinstance(value, Exception)
            and getattr(builtins, t.__name__, None) is t
        ):
            # A built-in exception returned (not raised): by value, as the judge sends one.
            return {"~": "x", "n": t.__name__, "v": self.enc(list(value.args), depth=d)}
        if not force_handle:
            plain = _builtin_value(value)
            if plain is not _NOT_BUILTIN:
                return self.enc(plain, depth=depth)
        if t.__module__ == "builtins" and not isinstance(value, BaseException):
            if t.__name__ == "module":
                return {"~": "h", "k": "module", "v": self.handle(value), "n": str(value.__name__)}
            return {"~": "h", "k": "obj", "v": self.handle(value), "t": t.__name__}
        return {"~": "h", "k": "obj", "v": self.handle(value), "c": self.type_info(t)}

    # -- decoding: judge arguments -----------------------------------------------------
    def dec(self, tree):
        if isinstance(tree, list):
            # JSON parsing made it: an array of scalars is its own value.
            if set(map(type, tree)) <= _SCALARS:
                return tree
            return [*map(self.dec, tree)]
        if not isinstance(tree, dict):
            return tree
        tag = tree.get("~")
        v: Any = tree.get("v")
        if tag == "h":
            return self.objs[v]
        if tag == "j":
            obj = self.judge_objs.get(v)
            if obj is None:
                obj = self.judge_objs[v] = JudgeObject(self, v)
            return obj
        if tag == "t":
            return tuple(self.dec(v))
        if tag == "d":
            out = {}
            for k, x in v:
                out[self.dec(k)] = self.dec(x)
            return out
        if tag == "s":
            return set(map(self.dec, v))
        if tag == "fs":
            return frozenset(map(self.dec, v))
        if tag == "b":
            return base64.b64decode(v)
        if tag == "ba":
            return bytearray(base64.b64decode(v))
        if tag == "c":
            return complex(v[0], v[1])
        if tag == "li":
            ints = array("q")
            ints.frombytes(base64.b64decode(v))
            return ints.tolist()
        if tag == "i":
            return int(v, 16)
        if tag == "f":
            return float(v)
        if tag == "bt":
            return getattr(builtins, tree["n"])
        if tag == "x":
            return _exception(tree["n"], self.dec(v))
        if tag in ("nd", "ns"):
            import numpy as np

            arr = np.frombuffer(base64.b64decode(v), dtype=np.dtype(tree["dt"]))
            return arr.reshape(tree["sh"]).copy() if tag == "nd" else arr[0]
        if tag in ("pv", "pi", "pr", "pm", "ps", "pf"):
            return _decode_pandas(tag, tree, self.dec)
        raise ValueError(f"unknown tag {tag!r}")

    # -- requests ----------------------------------------------------------------------
    def exc_info(self, exc):
        try:
            text = str(exc)
        except BaseException:  # noqa: BLE001
            text = f"<{type(exc).__name__}: str() failed>"
        try:
            args = self.enc(tuple(exc.args))
        except BaseException:  # noqa: BLE001
            args = {"~": "t", "v": [text]}
        # The agent's own frames say nothing to the learner.
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename != "<codequest-judge-agent>"
        ]
        tb = "".join(traceback.format_list(frames[-20:]))
        return {
            "c": self.type_info(type(exc)),
            "a": args,
            "s": text[:4000],
            "tb": tb[-8000:],
            "h": self.handle(exc),
        }

    def run(self, message):
        op = message.get("op")
        obj: Any = self.objs.get(message.get("h"))
        dec = self.dec
        if op == "import":
            import importlib

            return importlib.import_module(message["n"]), False
        if op == "getattr":
            return getattr(obj, message["n"]), False
        if op == "setattr":
            setattr(obj, message["n"], dec(message["x"]))
            return None, False
        if op == "delattr":
            delattr(obj, message["n"])
            return None, False
        if op == "call":
            kwargs = message.get("k")  # (none: no keyword arguments)
            args, kwargs = dec(message.get("a", [])), {} if kwargs is None else dec(kwargs)
            if "m" in message:
                message["_w"] = _watch(message, args, kwargs)
            result = obj(*args, **kwargs)
            return result, isinstance(obj, type) and not issubclass(obj, BaseException)
        if op == "callattr":
            kwargs = message.get("k")
            args, kwargs = dec(message.get("a", [])), {} if kwargs is None else dec(kwargs)
            return getattr(obj, message["n"])(*args, **kwargs), False
        if op == "iter":
            return iter(obj), True
        if op == "next":
            try:
                return next(obj), False
            except StopIteration as stop:
                raise _Stop(stop.value) from None
        if op == "len":
            return len(obj), False
        if op == "getitem":
            return obj[dec(message["x"])], False
        if op == "setitem":
            obj[dec(message["x"])] = dec(message["y"])
            return None, False
        if op == "delitem":
            del obj[dec(message["x"])]
            return None, False
        if op == "contains":
            return dec(message["x"]) in obj, False
        if op == "repr":
            return repr(obj)[:4000], False
        if op == "str":
            return str(obj)[:100000], False
        if op == "dir":
            return sorted(str(n) for n in dir(obj)), False
        if op == "enter":
            return type(obj).__enter__(obj), False
        if op == "exit":
            exc = None
            if message.get("xn") is not None:
                cls = self.objs.get(message.get("xh"))
                if not (isinstance(cls, type) and issubclass(cls, BaseException)):
                    cls = getattr(builtins, message["xn"], None)
                if not (isinstance(cls, type) and issubclass(cls, BaseException)):
                    cls = Exception
                args = message.get("xa")
                if not (type(args) is list and all(type(a) in _PLAIN_ARGS for a in args)):
                    args = [message.get("xs", "")]
                try:
                    exc = cls(*args)
                except Exception:  # noqa: BLE001 - a learner class with another signature
                    exc = getattr(builtins, message["xn"], Exception)(message.get("xs", ""))
            suppress = type(obj).__exit__(obj, type(exc) if exc is not None else None, exc, None)
            return bool(suppress), False
        if op == "binop":
            left, right = (
                (obj, dec(message["x"])) if not message.get("r") else (dec(message["x"]), obj)
            )
            return _BINOPS[message["n"]](left, right), False
        if op == "unop":
            return _UNOPS[message["n"]](obj), False
        raise ValueError(f"unknown request {op!r}")

    def answer(self, message):
        reply = self._answer(message)
        reply["nc"] = message.get("nc")
        return reply

    def _answer(self, message):
        for hid in message.get("rel", ()):
            obj = self.objs.pop(hid, None)
            if obj is not None:
                self.ids.pop(id(obj), None)
        if message.get("env"):
            self.apply_env(message["env"])
        if message.get("lv"):
            self.apply_levels(message["lv"])
        if "h" in message and message["h"] not in self.objs:
            return {"re": message["id"], "err": "this object is no longer known to the kernel"}
        # Learner code prints into the reply, and its input() is the judge's (a test's
        # mock.patch("builtins.input") reaches it). Installed once by serve; a call
        # that finds another in place (learner code replaced it, or a callback came
        # from inside the learner's own redirect_stdout) installs them and puts back
        # what it found, as every call did before.
        swapped = (
            sys.stdout is not self.stdout
            or sys.stderr is not self.stderr
            or builtins.input is not self.input
        )
        if swapped:
            saved = sys.stdout, sys.stderr, builtins.input
            sys.stdout, sys.stderr, builtins.input = self.stdout, self.stderr, self.input
        try:
            try:
                value, force = self.run(message)
                reply = {"re": message["id"], "ok": self.enc(value, force_handle=force)}
            except _Stop as stop:
                reply = {"re": message["id"], "stop": self.enc(stop.value)}
            except BaseException as exc:  # noqa: BLE001 - learner exceptions go to the judge
                reply = {"re": message["id"], "exc": self.exc_info(exc)}
        finally:
            if swapped:
                sys.stdout, sys.stderr, builtins.input = saved
        if "_w" in message:
            self.write_back(message["_w"], reply)
        if self.warnings:
            reply["w"], self.warnings = self.warnings, []
        if self.records:
            reply["lg"], self.records = self.records, []
        if self.output or self.output_dropped:
            self.flush_output(reply)
        return reply

    def write_back(self, watched, reply):
        """The new state of each argument the call changed in place, for the judge to
        set in the test's own object (``wb``: ``[position, tree]``, or ``[position,
        None, why]`` when it cannot be copied)."""
        states = []
        for pos, value, snap in watched:
            try:
                changed = _changed(value, snap)
            except RecursionError:
                changed = True
            if changed:
                try:
                    states.append([pos, self.enc(value), *_identities(value, snap)])
                except Exception as exc:  # noqa: BLE001 - e.g. a list that holds itself
                    states.append([pos, None, f"{type(exc).__name__}: {exc}"[:500]])
        if states:
            reply["wb"] = states

    def apply_levels(self, changes):
        """The judge's tests set a logger's level (caplog.set_level, at_level): set it
        here too, and put back the kernel's own when the judge's is restored."""
        import logging

        for name, how, level in changes:
            logger = logging.getLogger(name if name != "root" else None)
            if name not in self.levels_saved:
                self.levels_saved[name] = logger.level
            logger.setLevel(level if how == "s" else self.levels_saved.pop(name))

    def apply_env(self, changes):
        """The judge's tests changed its environment (monkeypatch.setenv): do the same
        here, and put back the kernel's own value when the judge's is restored."""
        for item in changes:
            key, how = item[0], item[1]
            if key not in self.env_saved:
                self.env_saved[key] = os.environ.get(key)
            if how == "s":
                os.environ[key] = item[2]
            elif how == "d":
                os.environ.pop(key, None)
            else:
                old = self.env_saved.pop(key)
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old

    def show_warning(self, message, category, filename, lineno, file=None, line=None):
        """warnings.showwarning while the agent serves: kept for the next reply."""
        if len(self.warnings) < 100:
            self.warnings.append(_warning_info(message, category, filename, lineno))

    def judge_input(self, prompt=""):
        """input() while the judge's tests run: the judge's builtins.input answers."""
        return self.callback(0, (str(prompt),), {})

    def flush_output(self, message):
        if self.output:
            message["out"] = self.output
        if self.output_dropped:
            message["dropped"] = self.output_dropped
        self.output = []
        self.output_size = 0
        self.output_dropped = 0

    def callback(self, jid, args, kwargs, **op):
        """Call a judge object (or, with ``o``, another operation on it): ask the judge,
        answer its requests until it replies."""
        self.callbacks += 1
        cid = -self.callbacks
        message = {"cb": cid, "j": jid, "a": self.enc(list(args)), "k": self.enc(dict(kwargs))}
        message.update(op)
        self.flush_output(message)
        self.send(message)
        while True:
            frame = self.recv()
            if "op" in frame:
                self.send(self.answer(frame))
                continue
            if frame.get("re") != cid:
                continue
            if "wb" in frame:
                _write_into(args, kwargs, frame["wb"], self.dec)
            if "exc" in frame:
                info = frame["exc"]
                cls = getattr(builtins, info.get("n", ""), None)
                if not (isinstance(cls, type) and issubclass(cls, Exception)):
                    cls = RuntimeError
                plain = info.get("a")
                raise _exception(
                    cls.__name__, plain if type(plain) is list else [info.get("s", "")]
                )
            return self.dec(frame.get("ok"))

    def serve(self):
        # Every warning learner code issues from now on goes to the judge (whose own
        # filters and pytest.warns decide), once per issue, as under pytest; so does
        # every log record that reaches the root logger (for caplog and pytest's log
        # capture; as under pytest, nothing falls through to logging's last resort).
        warnings.simplefilter("always")
        warnings.showwarning = self.show_warning
        import logging

        logging.getLogger().addHandler(_LogForward(self))
        saved = sys.stdout, sys.stderr, builtins.input
        sys.stdout, sys.stderr, builtins.input = self.stdout, self.stderr, self.input
        try:
            while True:
                try:
                    message = self.recv()
                except (EOFError, OSError):
                    return
                if message.get("op") == "bye":
                    self.send({"re": message.get("id"), "nc": message.get("nc"), "ok": None})
                    return
                self.send(self.answer(message))
        finally:
            sys.stdout, sys.stderr, builtins.input = saved


# Arguments whose state the judge asks back after a call (``m``), and what may hold one.
_WATCHED = frozenset({list, dict, set, bytearray, tuple})


def _watch(message, args, kwargs):
    """The arguments the judge named (``m``: positions and keyword names of its
    mutable containers), each with a snapshot of what it holds before the call."""
    trees = message.get("a")
    watched = []
    for pos in message["m"]:
        if type(pos) is int and 0 <= pos < len(args):
            value = args[pos]
            tree = trees[pos] if type(trees) is list and pos < len(trees) else None
        elif type(pos) is str and pos in kwargs:
            value, tree = kwargs[pos], None
        else:
            continue
        if type(value) in _WATCHED:
            try:
                watched.append((pos, value, _snapshot(value, tree)))
            except RecursionError:
                continue  # deeper than this stack allows: not watched (not copied back)
    return watched


def _snapshot(value, tree=None):
    """What a container holds (the very items: changes are told by identity, at C
    speed), and the snapshots of the containers it holds. ``tree``, the value's wire
    tree when known, spares the scan for them in a list of packed ints."""
    t = type(value)
    if t is bytearray:
        return bytes(value)
    if t is set:
        return list(value)
    if t is dict:
        values = list(value.values())
        return list(value), values, _nested(values, None)
    items = list(value)
    if type(tree) is dict and tree.get("~") == "li":
        return items, ()
    return items, _nested(items, tree if type(tree) is list else None)


def _nested(items, trees):
    if _WATCHED.isdisjoint(set(map(type, items))):
        return ()
    return [
        (x, _snapshot(x, trees[i] if trees is not None and i < len(trees) else None))
        for i, x in enumerate(items)
        if type(x) in _WATCHED
    ]


def _same(now, before):
    return len(now) == len(before) and all(map(operator.is_, now, before))


def _changed(value, snap):
    """Whether learner code changed ``value`` (or a container in it) since ``snap``."""
    t = type(value)
    if t is bytearray:
        return value != snap
    if t is set:
        return not _same(value, snap)
    if t is dict:
        keys, values, nested = snap
        if not (_same(value, keys) and _same(value.values(), values)):
            return True
    else:
        items, nested = snap
        if not _same(value, items):
            return True
    return any(_changed(x, s) for x, s in nested)


def _write_into(args, kwargs, states, dec):
    """A test's callback changed arguments learner code gave it: the same changes in
    learner code's own objects (writeback.call_back)."""
    for pos, tree in states:
        target = args[pos] if type(pos) is int else kwargs.get(pos)
        _update(target, dec(tree))


def _update(target, state):
    """``target`` made to hold ``state`` in place, containers in it position by
    position (a dict's by key)."""
    if isinstance(target, list) and type(state) is list:
        if _WATCHED.isdisjoint(set(map(type, target))):
            target[:] = state
        else:
            target[:] = [*map(_merged, target, state), *state[len(target) :]]
    elif isinstance(target, dict) and type(state) is dict:
        merged = {k: _merged(target[k], v) if k in target else v for k, v in state.items()}
        target.clear()
        target.update(merged)
    elif isinstance(target, set) and type(state) is set:
        target.clear()
        target.update(state)
    elif isinstance(target, bytearray) and type(state) is bytearray:
        target[:] = state
    elif type(target) is tuple and type(state) is tuple:
        for old, new in zip(target, state, strict=False):
            _merged(old, new)


def _merged(old, new):
    if type(old) is type(new) and type(old) in (list, dict, set, bytearray):
        _update(old, new)
        return old
    return new


class _NoMap(Exception):
    pass


_CONTAINER_BASES = (list, dict, tuple, set, bytearray)


def _identities(value, snap):
    """Which container the argument held before the call is at each container's place
    in it now (its number in the order both ends walk, -1 for a new one), so the judge
    puts the test's own there: ``[]`` (nothing to name) or ``[numbers]``."""
    originals = _originals(snap, [])
    if not originals:
        return []
    index = {id(x): k for k, x in enumerate(originals)}
    out = []

    def walk(v):
        items = list(v.values()) if type(v) is dict else v
        kinds = set(map(type, items))
        if any(k not in _WATCHED and issubclass(k, _CONTAINER_BASES) for k in kinds):
            raise _NoMap  # sent as its built-in value: the judge would walk it, not we
        if _WATCHED.isdisjoint(kinds):
            return
        for x in items:
            tx = type(x)
            if tx in _WATCHED:
                if tx is not tuple:
                    out.append(index.get(id(x), -1))
                if tx is list or tx is dict or tx is tuple:
                    walk(x)

    try:
        walk(value)
    except _NoMap:
        return []
    return [out]


def _originals(snap, out):
    """The containers (not tuples) nested in an argument before the call, in order:
    list and tuple items and dict values, depth first (writeback.containers)."""
    nested = snap[-1] if type(snap) is tuple else ()
    for x, inner in nested:
        if type(x) is not tuple:
            out.append(x)
        _originals(inner, out)
    return out


class _Stop(Exception):
    def __init__(self, value):
        self.value = value


_NOT_BUILTIN = object()


def _exception(name, args):
    """A built-in exception the judge sent by value (a test's ``ValueError("bad")``
    handed to learner code, or raised by a test's callback), with its arguments."""
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = Exception
    try:
        return cls(*args)
    except Exception:  # noqa: BLE001 - arguments its constructor does not take
        return cls(*map(str, args))


def _builtin_value(value):
    """The built-in value of an instance of a subclass of a built-in type, read through
    the base type's own slots (no method of the subclass runs); else _NOT_BUILTIN."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(memoryview(value))
    if isinstance(value, complex):
        return complex(
            float.__float__(complex.real.__get__(value)),
            float.__float__(complex.imag.__get__(value)),
        )
    if isinstance(value, list):
        return list(list.__iter__(value))
    if isinstance(value, tuple):
        return tuple(tuple.__iter__(value))
    if isinstance(value, dict):
        return dict(dict.items(value))
    if isinstance(value, frozenset):
        return frozenset(frozenset.__iter__(value))
    if isinstance(value, set):
        return set(set.__iter__(value))
    return _NOT_BUILTIN


_PANDAS_DTYPES = frozenset(
    {"object", "str", "string", "boolean", "Float32", "Float64"}
    | {f"{s}Int{n}" for s in ("", "U") for n in (8, 16, 32, 64)}
)


def _encode_pandas(value, enc, pd):
    """A DataFrame, Series or Index as a wire tree, or None (then a handle): the
    judge's wire.encode_pandas, repeated here (this file imports nothing of ours)."""
    import numpy as np

    def values(arr):
        dtype = arr.dtype
        if isinstance(dtype, np.dtype) and not dtype.hasobject and dtype.fields is None:
            return enc(np.ascontiguousarray(arr.to_numpy()))
        name = str(dtype)
        if name not in _PANDAS_DTYPES:
            return None
        items = arr.to_numpy(dtype=object)
        if name != "object":
            items = [None if pd.isna(x) else x for x in items]
        return {"~": "pv", "dt": name, "v": [enc(x) for x in items]}

    def index(ix):
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


def _decode_pandas(tag, tree, dec):
    """A pandas value the judge sent (a test's DataFrame passed to learner code)."""
    import numpy as np
    import pandas as pd

    if tag == "pv":
        items = [dec(x) for x in tree["v"]]
        if tree["dt"] == "object":
            arr = np.empty(len(items), dtype=object)
            for i, item in enumerate(items):
                arr[i] = item
            return arr
        return pd.array(items, dtype=tree["dt"])
    if tag == "pr":
        return pd.RangeIndex(*tree["v"], name=dec(tree.get("n")))
    if tag == "pm":
        names, tuples = dec(tree["n"]), dec(tree["v"])
        if not tuples:
            return pd.MultiIndex.from_arrays([[] for _ in names], names=names)
        return pd.MultiIndex.from_tuples(tuples, names=names)
    if tag == "pi":
        v = dec(tree["v"])
        return pd.Index(v, dtype=v.dtype, name=dec(tree.get("n")))
    if tag == "ps":
        v = dec(tree["v"])
        return pd.Series(v, index=dec(tree["ix"]), dtype=v.dtype, name=dec(tree.get("n")))
    columns = [dec(c) for c in tree["v"]]
    index = dec(tree["ix"])
    frame = pd.DataFrame(
        {i: pd.Series(c, dtype=c.dtype) for i, c in enumerate(columns)},
        index=pd.RangeIndex(len(index)),
    )
    frame.index = index
    frame.columns = dec(tree["c"])
    return frame


def _LogForward(agent):
    """A logging handler keeping records, as data, for the next reply."""
    import logging

    class LogForward(logging.Handler):
        def emit(self, record):
            if len(agent.records) >= 200:
                return
            try:
                text = record.getMessage()
            except Exception:  # noqa: BLE001 - a learner message that does not format
                text = str(record.msg)
            agent.records.append(
                [
                    str(record.name)[:200],
                    int(record.levelno),
                    text[:4000],
                    str(record.pathname)[:500],
                    int(record.lineno or 0),
                    str(record.funcName)[:200],
                ]
            )

    return LogForward(0)


def _warning_info(message, category, filename, lineno):
    """A warning learner code issued, as data: its nearest built-in category."""
    name = "UserWarning"
    mro: Any = getattr(category, "__mro__", ())
    for base in mro:
        base_name = base.__name__
        if getattr(builtins, base_name, None) is base:
            name = base_name
            break
    try:
        text = str(message)
    except BaseException:  # noqa: BLE001
        text = "<a warning whose message could not be read>"
    try:
        where = int(lineno or 0)
    except BaseException:  # noqa: BLE001
        where = 0
    return [name, text[:2000], str(filename)[:500], where]


def register_module(name):
    """The notebook's namespace as the module ``name`` (what the tests import), with
    what IPython put into it taken out (as the in-kernel harness does)."""
    import re

    shell = sys.modules["IPython"].get_ipython()
    module = shell.user_module
    namespace = module.__dict__
    missing = object()
    for key, value in list(shell.user_ns_hidden.items()):
        if not key.startswith("__") and namespace.get(key, missing) is value:
            del namespace[key]
    for key in [k for k in namespace if re.match(r"^(_{1,3}|_i{1,3}|_i\d+|_\d+)$", k)]:
        del namespace[key]
    sys.modules[name] = module


def serve(path, module, output_limit=1 << 20):
    """Connect to the driver at ``path`` and answer the judge until it is done."""
    register_module(module)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Through the directory's descriptor: a socket's path is limited to 107 bytes.
    folder = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY)
    try:
        sock.connect(f"/proc/self/fd/{folder}/{os.path.basename(path)}")
    finally:
        os.close(folder)
    try:
        Agent(sock, output_limit).serve()
    finally:
        sock.close()
