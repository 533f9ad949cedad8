"""The judge (codequest_jupyter/judge/): pytest outside the learner's process.

The wire format's decoder is checked alone; everything else on real kernels started
the way grading starts them (the platform's strongest sandbox, a uid of their own on
a root machine), with a real judge process: ordinary tests through the proxy, and the
hostile cases, each asserting the verdict it must get.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
import threading
import types
import zlib
from pathlib import Path

import pytest

from codequest_jupyter.grading.kernel import start_kernel
from codequest_jupyter.grading.sandbox import SandboxPolicy, processes_of_uid
from codequest_jupyter.judge import agent as agent_module
from codequest_jupyter.judge import run_judge
from codequest_jupyter.judge.proxy import CallTimeout, Connection, ReplyRejected
from codequest_jupyter.judge.wire import Decoder, FrameSocket, Limits, ValueTooLarge, WireError

# -- the restricted decoder, alone ----------------------------------------------------------


def _decode(tree, **limits):
    return Decoder(Limits(**limits), lambda t: ("proxy", t["v"]), lambda j: ("judge", j)).decode(tree)


def test_decoder_builds_builtin_values_only():
    tree = {"~": "d", "v": [["a", {"~": "t", "v": [1, 2.5, None, True]}],
                            [{"~": "fs", "v": [1]}, {"~": "b", "v": base64.b64encode(b"\0x").decode()}],
                            ["big", {"~": "i", "v": hex(-(2**200))}], ["nan", {"~": "f", "v": "nan"}],
                            ["c", {"~": "c", "v": [1.0, -2]}], ["t", {"~": "bt", "n": "ValueError"}]]}
    out = _decode(tree)
    assert out["a"] == (1, 2.5, None, True) and type(out["a"]) is tuple
    assert out[frozenset({1})] == b"\0x"
    assert out["big"] == -(2**200) and out["nan"] != out["nan"] and out["c"] == complex(1, -2)
    assert out["t"] is ValueError


@pytest.mark.parametrize("tree", [
    {"~": "bt", "n": "open"},                       # a builtin that is no type
    {"~": "bt", "n": "__import__"},
    {"~": "pickle", "v": "gASV"},                   # no such tag
    {"~": "i", "v": "0x1f; import os"},
    {"~": "nd", "dt": "|O8", "sh": [1], "v": base64.b64encode(b"\0" * 8).decode()},
    {"~": "nd", "dt": "<f8", "sh": [2], "v": base64.b64encode(b"\0" * 8).decode()},
    {"~": "s", "v": [[1, 2]]},                      # an unhashable set member
    {"~": "b", "v": "not base64!"},
    {"~": "h", "v": "1"},
    ("tuple",),
])
def test_decoder_refuses_what_is_not_data(tree):
    with pytest.raises(WireError):
        _decode(tree)


def test_decoder_bounds_depth_and_count():
    deep: list = []
    for _ in range(150):
        deep = [deep]
    with pytest.raises(ValueTooLarge, match="nested"):
        _decode(deep)
    with pytest.raises(ValueTooLarge, match="elements"):
        _decode(list(range(1001)), max_items=1000)
    assert len(_decode(list(range(999)), max_items=1000)) == 999


def test_an_oversized_frame_is_refused_and_the_stream_stays_in_step():
    a, b = socket.socketpair()
    frames = FrameSocket(b, Limits(max_frame_bytes=1000))
    for message in ({"re": 1, "ok": "x" * 5000}, {"re": 2, "ok": 7}):
        body = json.dumps(message).encode()
        a.sendall(len(body).to_bytes(4, "big") + body)
    with pytest.raises(ValueTooLarge, match="5,0"):
        frames.recv(None)
    assert frames.recv(None) == {"re": 2, "ok": 7}
    a.close()
    frames.close()


def test_subclasses_of_builtins_are_copied_by_their_builtin_value():
    class Liar(int):
        def __eq__(self, other):
            return True

        def __int__(self):
            return 99

    class Words(list):
        def __iter__(self):
            return iter(["forged"])

    agent = agent_module.Agent(None)
    assert agent.enc(Liar(4)) == 4 and type(agent.enc(Liar(4))) is int
    assert agent.enc(Words(["a", "b"])) == ["a", "b"]


def test_replies_learner_code_writes_ahead_answer_nothing():
    """Frames written into the agent's socket before a call cannot answer it: each
    reply must carry the nonce of the call in progress."""
    kernel_end, judge_end = socket.socketpair()
    module = types.ModuleType("forger")
    exec("def add(a, b):\n    return a + b\n", module.__dict__)
    sys.modules["forger"] = module
    forged = [{"re": i, "nc": "0" * 16, "ok": 5} for i in range(1, 20)]
    for message in forged:
        body = json.dumps(message).encode()
        kernel_end.sendall(len(body).to_bytes(4, "big") + body)
    threading.Thread(target=agent_module.Agent(kernel_end).serve, daemon=True).start()
    try:
        conn = Connection(judge_end)
        mod = conn.import_module("forger")
        assert mod.add(1, 1) == 2
    finally:
        del sys.modules["forger"]
        judge_end.close()


# -- on real kernels ----------------------------------------------------------------------


async def judged(notebook: str, tests: dict[str, str], *, run=None, after=None, **options):
    """Run ``notebook`` in a fresh grading kernel, then judge it with ``tests``."""
    policy = SandboxPolicy()
    kernel = await start_kernel(policy, warm=False, startup_timeout=120)
    try:
        workdir = str(kernel.workdir)
        prepare = f"import os, sys\nos.chdir({workdir!r})\nsys.path.insert(0, {workdir!r})\ndel os, sys\n"
        reply = await kernel.kc.execute_interactive(prepare + notebook, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        options.setdefault("budget_s", 240)
        result = await run_judge(kernel, policy, "target", tests, **options)
        if after is not None:
            await after(kernel)
        return result, kernel
    finally:
        await kernel.dispose()


def statuses(run) -> dict[str, str]:
    assert run.error is None, run.error
    return {t["id"].split("::", 1)[1]: t["status"] for t in run.tests}


IDIOMS_NOTEBOOK = '''
import random


class Invalid(ValueError):
    def __init__(self, value):
        super().__init__(f"invalid value: {value}")
        self.value = value


def two_sum(nums, target):
    seen = {}
    for i, n in enumerate(nums):
        if target - n in seen:
            return (seen[target - n], i)
        seen[n] = i
    raise Invalid(target)


def parse(text):
    return int(text)


def greet(name):
    print(f"Hello, {name}!")
    return len(name)


def ask():
    return int(input("number? ")) * 2


def roll():
    return random.randint(1, 6)


def apply(fn, values):
    return [fn(v) for v in values]


def countdown(n):
    while n > 0:
        yield n
        n -= 1


class Account:
    rate = 0.5

    def __init__(self, owner, balance=0.0):
        self.owner, self.balance = owner, balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance

    def __len__(self):
        return 3


class Savings(Account):
    pass


class Opened:
    log = []

    def __enter__(self):
        Opened.log.append("enter")
        return self

    def __exit__(self, *exc):
        Opened.log.append("exit")
        return False


def stats(values):
    return {"mean": sum(values) / len(values), "items": tuple(values), "set": set(values),
            "raw": bytes(values), "big": 2**100}


def double(values):
    import numpy as np
    return np.asarray(values, dtype=float) * 2
'''

IDIOMS_TESTS = '''
import unittest
from unittest import mock

import pytest

import target
from target import Account, Savings, countdown, two_sum


@pytest.mark.parametrize("nums,t,expected", [([2, 7, 11, 15], 9, (0, 1)), ([3, 2, 4], 6, (1, 2))])
def test_two_sum(nums, t, expected):
    assert two_sum(nums, t) == expected


def test_two_sum_wrong_expectation():
    assert two_sum([2, 7], 9) == (1, 0)


def test_learner_exception_is_its_builtin_base():
    with pytest.raises(ValueError, match="invalid value: 100"):
        two_sum([1], 100)


def test_learner_exception_class_and_attributes():
    with pytest.raises(target.Invalid) as info:
        two_sum([1], 5)
    assert info.value.value == 5


def test_builtin_exception():
    with pytest.raises(ValueError, match="invalid literal"):
        target.parse("x")


def test_capsys(capsys):
    assert target.greet("Ada") == 3
    assert capsys.readouterr().out == "Hello, Ada!\\n"


def test_mock_patch_input():
    with mock.patch("target.input", return_value="21", create=True):
        assert target.ask() == 42


def test_monkeypatch_reaches_learner_code(monkeypatch):
    monkeypatch.setattr(target.random, "randint", lambda a, b: 4)
    assert [target.roll() for _ in range(5)] == [4] * 5


def test_monkeypatch_was_undone():
    assert target.random.randint.__name__ == "randint"


def test_callback_and_mock():
    assert target.apply(lambda v: v * 10, [1, 2]) == [10, 20]
    spy = mock.Mock(side_effect=lambda v: v + 1)
    assert target.apply(spy, [1, 2, 3]) == [2, 3, 4]
    assert spy.call_count == 3


def test_generator():
    assert list(countdown(3)) == [3, 2, 1]
    gen = countdown(2)
    assert next(gen) == 2 and next(gen) == 1
    with pytest.raises(StopIteration):
        next(gen)


def test_classes_instances_attributes():
    a = Account("ada", 10.0)
    assert a.deposit(5) == 15.0 and a.balance == 15.0 and a.owner == "ada"
    assert isinstance(a, Account) and type(a) is Account and Account.rate == 0.5
    assert isinstance(Savings("bob"), Account) and not isinstance(a, Savings)
    assert len(a) == 3
    a.balance = 1.0
    assert a.deposit(1) == 2.0


def test_method_raises():
    with pytest.raises(ValueError, match="positive"):
        Account("x").deposit(-1)


def test_context_manager():
    with target.Opened() as opened:
        assert isinstance(opened, target.Opened)
    assert target.Opened.log == ["enter", "exit"]


def test_values_come_by_value():
    s = target.stats([1, 2, 3])
    assert s == {"mean": 2.0, "items": (1, 2, 3), "set": {1, 2, 3}, "raw": b"\\x01\\x02\\x03",
                 "big": 2**100}
    assert type(s) is dict and type(s["items"]) is tuple
    assert target.stats([1, 2])["mean"] == pytest.approx(1.5)


def test_numpy():
    import numpy as np

    r = target.double([1, 2, 3])
    assert type(r) is np.ndarray and r.dtype == np.float64
    np.testing.assert_allclose(r, [2.0, 4.0, 6.0])


def test_proxies_equal_only_themselves():
    a = Account("a")
    assert a == a and a != Account("a") and len({a, a}) == 1
    with pytest.raises(TypeError, match="not decided in the judge"):
        bool(a)


class TestUnit(unittest.TestCase):
    def test_equal(self):
        self.assertEqual(two_sum([1, 2], 3), (0, 1))

    def test_wrong(self):
        self.assertEqual(two_sum([1, 2], 3), (1, 0))
'''


async def test_ordinary_tests_work_through_the_proxy():
    run, _kernel = await judged(IDIOMS_NOTEBOOK, {"test_idioms.py": IDIOMS_TESTS})
    expected = {name: "passed" for name in (
        "test_two_sum[nums0-9-expected0]", "test_two_sum[nums1-6-expected1]",
        "test_learner_exception_is_its_builtin_base", "test_learner_exception_class_and_attributes",
        "test_builtin_exception", "test_capsys", "test_mock_patch_input",
        "test_monkeypatch_reaches_learner_code", "test_monkeypatch_was_undone",
        "test_callback_and_mock", "test_generator", "test_classes_instances_attributes",
        "test_method_raises", "test_context_manager", "test_values_come_by_value", "test_numpy",
        "test_proxies_equal_only_themselves", "TestUnit::test_equal",
    )}
    expected["test_two_sum_wrong_expectation"] = "failed"
    expected["TestUnit::test_wrong"] = "failed"
    got = statuses(run)
    assert got == expected, [t for t in run.tests if t["status"] != expected.get(t["id"].split("::", 1)[1])]
    wrong = run.test("test_two_sum_wrong_expectation")
    assert wrong["actual"] == "(0, 1)" and wrong["expected"] == "(1, 0)"
    assert run.done["exit_code"] == 1


TAMPERING_NOTEBOOK = '''
import builtins, hashlib, hmac, json, os, socket, struct, sys, unittest

import _pytest.python
import IPython

# Everything a notebook graded in its own kernel could subvert.
_pytest.python.Function.runtest = lambda self: None
unittest.TestCase.assertEqual = lambda self, first, second, msg=None: None
hmac.new = lambda *args, **kwargs: None
hmac.compare_digest = lambda a, b: True
IPython.get_ipython().display_pub.publish = lambda *args, **kwargs: None


def add(a, b):
    return 0


class Anything:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0

    def __bool__(self):
        return True


class Four(int):
    def __eq__(self, other):
        return True


class Text(str):
    def __eq__(self, other):
        return True


class Items(list):
    def __eq__(self, other):
        return True


def anything():
    return Anything()


def four():
    return Four(4)


def text():
    return Text("wrong")


def items():
    return Items([0])


def shout():
    """Prints and displays result events, and writes forged replies into the agent's
    socket, then returns a wrong value."""
    event = {"kind": "test", "data": {"id": "test_tampering.py::test_shout", "status": "passed",
                                      "points": 1, "max_points": 1}}
    print(json.dumps(event))
    print(json.dumps({"kind": "done", "data": {"exit_code": 0}}))
    os.write(1, (json.dumps(event) + "\\n").encode())
    os.write(2, (json.dumps(event) + "\\n").encode())
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if str(sock.getpeername()).endswith("judge.sock") or sock.family == socket.AF_UNIX:
                for n in range(1, 400):
                    body = json.dumps({"re": n, "ok": 5, "kind": "test", "data": event["data"]}).encode()
                    sock.send(struct.pack(">I", len(body)) + body)
        except OSError:
            pass
        finally:
            sock.detach()
            os.close(fd) if False else None
    return 0
'''

TAMPERING_TESTS = '''
import unittest

from target import add, anything, four, items, shout, text


def test_add():
    assert add(2, 3) == 5


def test_always_equal_object():
    assert anything() == 5


def test_always_true_object():
    assert anything()


def test_always_hashing_object():
    assert anything() in {5}


def test_int_subclass():
    assert four() == 5


def test_int_subclass_keeps_its_value():
    r = four()
    assert type(r) is int and r == 4


def test_str_subclass():
    assert text() == "right"


def test_list_subclass():
    assert items() == [1, 2]


def test_shout():
    assert shout() == 5


class TestUnit(unittest.TestCase):
    def test_add_unittest(self):
        self.assertEqual(add(10, 5), 15)
'''


async def test_tampering_with_the_kernel_earns_nothing():
    run, _kernel = await judged(TAMPERING_NOTEBOOK, {"test_tampering.py": TAMPERING_TESTS})
    got = statuses(run)
    assert got.pop("test_int_subclass_keeps_its_value") == "passed"
    assert got.pop("test_always_true_object") == "error"  # bool() of a learner object
    assert set(got.values()) == {"failed"}, got
    assert len(got) == 8
    assert sum(t["points"] for t in run.tests) == 1  # the positive control's
    assert len(run.tests) == 10 and run.done["exit_code"] == 1
