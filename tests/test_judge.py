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
from codequest_jupyter.grading.procfs import processes_of_uid
from codequest_jupyter.grading.sandbox import LaunchSpec, SandboxPolicy
from codequest_jupyter.judge import agent as agent_module
from codequest_jupyter.judge import driver as judge_driver
from codequest_jupyter.judge import run_judge
from codequest_jupyter.judge.connection import Connection
from codequest_jupyter.judge.wire import Decoder, FrameSocket, Limits, ValueTooLarge, WireError

# -- the restricted decoder, alone ----------------------------------------------------------


def _decode(tree, **limits):
    return Decoder(Limits(**limits), lambda t: ("proxy", t["v"]), lambda j: ("judge", j)).decode(
        tree
    )


def test_decoder_builds_builtin_values_only():
    tree = {
        "~": "d",
        "v": [
            ["a", {"~": "t", "v": [1, 2.5, None, True]}],
            [{"~": "fs", "v": [1]}, {"~": "b", "v": base64.b64encode(b"\0x").decode()}],
            ["big", {"~": "i", "v": hex(-(2**200))}],
            ["nan", {"~": "f", "v": "nan"}],
            ["c", {"~": "c", "v": [1.0, -2]}],
            ["t", {"~": "bt", "n": "ValueError"}],
            ["x", {"~": "x", "n": "KeyError", "v": ["k"]}],
        ],
    }
    out = _decode(tree)
    assert type(out["x"]) is KeyError and out["x"].args == ("k",)
    assert out["a"] == (1, 2.5, None, True) and type(out["a"]) is tuple
    assert out[frozenset({1})] == b"\0x"
    assert out["big"] == -(2**200) and out["nan"] != out["nan"] and out["c"] == complex(1, -2)
    assert out["t"] is ValueError


@pytest.mark.parametrize(
    "tree",
    [
        {"~": "bt", "n": "open"},  # a builtin that is no type
        {"~": "bt", "n": "__import__"},
        {"~": "pickle", "v": "gASV"},  # no such tag
        {"~": "i", "v": "0x1f; import os"},
        {"~": "nd", "dt": "|O8", "sh": [1], "v": base64.b64encode(b"\0" * 8).decode()},
        {"~": "nd", "dt": "<f8", "sh": [2], "v": base64.b64encode(b"\0" * 8).decode()},
        {"~": "s", "v": [[1, 2]]},  # an unhashable set member
        {"~": "b", "v": "not base64!"},
        {"~": "h", "v": "1"},
        ("tuple",),
        {"~": "li", "v": base64.b64encode(b"\0" * 7).decode()},  # not whole int64s
        {"~": "li", "v": [1, 2]},
        {"~": "x", "n": "SystemExit", "v": []},  # exceptions only, never pytest's exits
        {"~": "x", "n": "print", "v": []},
        {"~": "x", "n": "UnicodeDecodeError", "v": [1]},  # not its constructor's arguments
    ],
)
def test_decoder_refuses_what_is_not_data(tree):
    with pytest.raises(WireError):
        _decode(tree)


def test_decoder_bounds_depth_and_count():
    deep: list = []
    for _ in range(600):
        deep = [deep]
    with pytest.raises(ValueTooLarge, match="nested"):
        _decode(deep)
    shallow: list = []
    for _ in range(20):
        shallow = [shallow]
    with pytest.raises(ValueTooLarge, match="nested more than 10 levels"):
        _decode(shallow, max_depth=10)
    with pytest.raises(ValueTooLarge, match="elements"):
        _decode(list(range(1001)), max_items=1000)
    assert len(_decode(list(range(999)), max_items=1000)) == 999
    packed = {"~": "li", "v": base64.b64encode(bytes(8 * 1001)).decode()}
    with pytest.raises(ValueTooLarge, match="elements"):
        _decode(packed, max_items=1000)
    with pytest.raises(ValueTooLarge, match="nested more than 3 levels"):
        _decode([[[[1, 2]]]], max_depth=3)  # a list of scalars too deep, however plain


SCALAR_LISTS = [
    list(range(-100, 100)),  # packed
    [2**62, -(2**63)] * 40,  # packed: within 64 bits
    [2**63, 1] * 40,  # beyond: item by item
    [2**53, 5],  # short: JSON, the big one tagged
    [True] * 100,  # bools stay bools (never packed as ints)
    [1] * 99 + [True],
    [1, 2.5, "s", None, False, float("inf")],
    [[1] * 70, (2, 3), [], ("x",)],
    [],
]


@pytest.mark.parametrize("value", SCALAR_LISTS)
def test_lists_of_scalars_cross_whole_both_ways_and_exactly(value):
    """Lists of scalars are copied at C speed (as they are, or packed when they are
    long lists of ints) both ways, and come out exactly: the same items, of the same
    types."""
    from codequest_jupyter.judge.wire import encode

    def same(a, b):
        if type(a) is not type(b):
            return False
        if isinstance(a, (list, tuple)):
            return len(a) == len(b) and all(map(same, a, b))
        return a == b or (a != a and b != b)

    a, b = socket.socketpair()
    try:
        agent = agent_module.Agent(a)
        # judge -> kernel: the judge encodes, the agent decodes
        tree = json.loads(json.dumps(encode(value, lambda o: {"~": "h", "v": 1})))
        assert same(agent.dec(tree), value)
        # kernel -> judge: the agent encodes, the judge's restricted decoder decodes
        tree = json.loads(json.dumps(agent.enc(value)))
        assert same(_decode(tree), value)
    finally:
        a.close()
        b.close()
    if len(value) >= 64 and {type(x) for x in value} == {int} and value[0] < 2**63:
        assert tree["~"] == "li"


def test_pandas_values_cross_by_value_and_only_with_known_dtypes():
    pd = pytest.importorskip("pandas")
    from codequest_jupyter.judge.wire import encode

    frame = pd.DataFrame(
        {"word": ["b", "a"], "n": [2, 1], "x": [0.5, None], "o": [None, (1, 2)]},
        index=pd.Index(["k", "l"], name="key"),
    )
    frame["i"] = pd.array([1, None], dtype="Int64")
    grouped = frame.groupby(["word", "n"])[["x"]].sum()
    for value in (frame, frame["word"], frame.columns, grouped, pd.Series([], dtype=float)):
        tree = json.loads(json.dumps(encode(value, lambda o: {"~": "h", "v": 1})))
        copy = _decode(tree)
        assert type(copy) is type(value)
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(copy, value)
        elif isinstance(value, pd.Series):
            pd.testing.assert_series_equal(copy, value)
        else:
            pd.testing.assert_index_equal(copy, value)
    # A dtype the wire does not know is refused, not looked up.
    bad = {"~": "ps", "v": {"~": "pv", "dt": "category", "v": ["a"]}, "ix": {}, "n": None}
    with pytest.raises(WireError, match="unsupported pandas dtype"):
        _decode(bad)
    short = {
        "~": "ps",
        "v": {"~": "pv", "dt": "object", "v": ["a"]},
        "ix": {"~": "pr", "v": [0, 5, 1], "n": None},
        "n": None,
    }
    with pytest.raises(WireError, match="malformed"):
        _decode(short)
    # What the wire does not carry (a categorical) goes as a reference.
    assert encode(pd.Series(["a"], dtype="category"), lambda o: "ref") == "ref"


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


@pytest.mark.parametrize(
    "kernel,judge,allowed",
    [
        (("bwrap", 1900000001), ("bwrap", 1900000002), True),
        (("rlimits", 1900000001), ("rlimits", 1900000002), True),
        (("bwrap", None), ("bwrap", None), True),  # a non-root server: the kernel's pid namespace
        (("rlimits", None), ("rlimits", None), False),  # nothing between them
        (("none", None), ("none", None), False),
        (("rlimits", 1900000001), ("rlimits", 1900000001), False),
    ],
)
def test_the_judge_refuses_to_run_within_the_kernels_reach(kernel, judge, allowed):
    from codequest_jupyter.judge.driver import JudgeError, _check_isolation

    def spec(mode, uid):
        return LaunchSpec(argv=[], env={}, cwd=Path("/"), mode=mode, uid=uid)

    if allowed:
        _check_isolation(spec(*kernel), spec(*judge))
    else:
        with pytest.raises(JudgeError, match="out of the kernel's reach"):
            _check_isolation(spec(*kernel), spec(*judge))


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
    agent = threading.Thread(target=agent_module.Agent(kernel_end).serve, daemon=True)
    agent.start()
    try:
        conn = Connection(judge_end)
        mod = conn.import_module("forger")
        assert mod.add(1, 1) == 2
    finally:
        del sys.modules["forger"]
        judge_end.close()
        # The agent puts back this process's sys.stdout as it stops: before pytest's
        # own capture moves on.
        agent.join(10)


def test_a_read_waits_until_its_deadline_and_no_longer():
    """A read blocks (bounded by the socket's receive timeout) until a frame is whole or
    its deadline passes; what came before the deadline is still read after it; a
    closed peer is told at once."""
    import time

    from codequest_jupyter.judge.wire import ChannelClosed, FrameTimeout

    a, b = socket.socketpair()
    frames = FrameSocket(b)
    started = time.monotonic()
    with pytest.raises(FrameTimeout):
        frames.recv(started + 0.3)
    assert time.monotonic() - started >= 0.3
    body = json.dumps({"re": 1, "ok": "x" * 100_000}).encode()
    message = len(body).to_bytes(4, "big") + body

    def send_in_pieces():
        for i in range(0, len(message), 7_000):
            a.sendall(message[i : i + 7_000])
            time.sleep(0.01)

    sender = threading.Thread(target=send_in_pieces)
    sender.start()
    assert frames.recv(time.monotonic() + 60) == {"re": 1, "ok": "x" * 100_000}
    sender.join()
    a.sendall(len(b"{}").to_bytes(4, "big") + b"{}")
    assert frames.recv(time.monotonic() - 1) == {}  # past its deadline, but here
    a.sendall(len(b"[1]").to_bytes(4, "big") + b"[1]")
    with pytest.raises(WireError, match="not an object"):
        frames.recv(None)  # no deadline: a plain blocking read
    a.close()
    with pytest.raises(ChannelClosed):
        frames.recv(time.monotonic() + 60)
    frames.close()


class _ForgingAgent(agent_module.Agent):
    """An agent whose replies carry whatever changes to the arguments it is told to."""

    states: object = None

    def write_back(self, watched, reply):
        reply["wb"] = self.states


@pytest.mark.parametrize(
    ("states", "why"),
    [
        ([[0, {"~": "d", "v": []}]], "a dict as the new value of argument 1, a list"),
        ([[1, [1]]], "an argument the test did not pass"),
        ([[2, [1]]], "an argument the test did not pass"),
        ([[True, [1]]], "an argument the test did not pass"),
        ([["x", [1]]], "an argument the test did not pass"),
        ([[0, {"~": "li", "v": "A" * 12_000_000}]], "too large"),
        ([[0, [json.loads("[" * 600 + "]" * 600)]]], "nested"),
        ([[0, [{"~": "j", "v": 99}]]], "cannot be copied"),
        ([[0, [{"~": "pickle", "v": "x"}]]], "cannot be copied"),
        ([[0, None, "why not"]], "cannot be copied back: why not"),
        ({"0": [1]}, "malformed"),
        ([[0]], "an argument the test did not pass"),
        ([[0, [1], [0]]], "malformed"),
        ([[0, [1], "x"]], "malformed"),
    ],
)
def test_changes_to_arguments_are_data_for_what_the_test_passed_or_refused(states, why):
    """What a kernel sends as the new state of a test's argument is decoded as data,
    for a mutable argument the call was given, of that argument's type: anything else
    fails the call (the test errs) and leaves the test's object as it was."""
    from codequest_jupyter.judge.proxy import ReplyRejected

    kernel_end, judge_end = socket.socketpair()
    module = types.ModuleType("mutator")
    exec("def touch(a, n=0, **kw):\n    a.append(n)\ndef same(n):\n    return n\n", module.__dict__)
    sys.modules["mutator"] = module
    agent = _ForgingAgent(kernel_end)
    agent.states = states
    threading.Thread(target=agent.serve, daemon=True).start()
    try:
        conn = Connection(judge_end)
        mod = conn.import_module("mutator")
        a = [5]
        with pytest.raises(ReplyRejected, match=why):
            mod.touch(a, 1, x=(1,))
        assert a == [5]
        # A call given no mutable argument reads no changes at all.
        assert mod.same((1, "x")) == (1, "x")
    finally:
        del sys.modules["mutator"]
        judge_end.close()


def test_a_rebuilt_argument_keeps_the_tests_containers_where_the_agent_names_them():
    """The agent names, for each container now in a changed argument, which of the
    test's containers it is (or a new one): a row that moved keeps its identity, a new
    row is a new object; a container inside itself, of another type, or a count of
    names that does not match the state is refused."""
    from codequest_jupyter.judge.proxy import ReplyRejected
    from codequest_jupyter.judge.writeback import rebuild

    r0, r1, d = [0], [1], {"k": [2]}
    inner = d["k"]
    grid = [r0, r1, d]
    rebuild(grid, [[1, "x"], [0], {"k": [2, 3]}, [9]], [1, 0, 2, 3, -1])
    assert grid == [[1, "x"], [0], {"k": [2, 3]}, [9]]
    assert grid[0] is r1 and grid[1] is r0 and grid[2] is d and d["k"] is inner
    pair = ([5], [6])
    first = pair[0]
    rebuild(pair, ([5, 7], [6]), [0, 1])
    assert pair == ([5, 7], [6]) and pair[0] is first
    for state, numbers in [
        ([[[0]]], [0, 0]),  # r0 inside itself
        ([{}], [0]),  # r0 is a list
        ([[0], [1]], [0]),  # too few names
        ([[0]], [0, 1]),  # too many
        ([[0]], [7]),  # no such container
    ]:
        with pytest.raises(ReplyRejected, match="malformed"):
            rebuild([r0, r1], state, numbers)


# -- on real kernels ----------------------------------------------------------------------


async def judged(notebook: str, tests: dict[str, str], *, run=None, after=None, **options):
    """Run ``notebook`` in a fresh grading kernel, then judge it with ``tests``."""
    policy = SandboxPolicy()
    kernel = await start_kernel(policy, warm=False, startup_timeout=120)
    try:
        workdir = str(kernel.workdir)
        prepare = (
            f"import os, sys\nos.chdir({workdir!r})\nsys.path.insert(0, {workdir!r})\ndel os, sys\n"
        )
        reply = await kernel.kc.execute_interactive(prepare + notebook, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        options.setdefault("budget_s", 240)
        result = await run_judge(kernel, policy, "target", tests, run=run, **options)
        if after is not None:
            await after(kernel)
        return result, kernel
    finally:
        await kernel.dispose()


def statuses(run) -> dict[str, str]:
    assert run.error is None, run.error
    return {t["id"].split("::", 1)[1]: t["status"] for t in run.tests}


IDIOMS_NOTEBOOK = """
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
"""

IDIOMS_TESTS = """
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
    assert target.random is target.random
    with pytest.raises(TypeError, match="not decided in the judge"):
        bool(a)


class TestUnit(unittest.TestCase):
    def test_equal(self):
        self.assertEqual(two_sum([1, 2], 3), (0, 1))

    def test_wrong(self):
        self.assertEqual(two_sum([1, 2], 3), (1, 0))
"""


async def test_ordinary_tests_work_through_the_proxy():
    run, _kernel = await judged(IDIOMS_NOTEBOOK, {"test_idioms.py": IDIOMS_TESTS})
    expected = dict.fromkeys(
        (
            "test_two_sum[nums0-9-expected0]",
            "test_two_sum[nums1-6-expected1]",
            "test_learner_exception_is_its_builtin_base",
            "test_learner_exception_class_and_attributes",
            "test_builtin_exception",
            "test_capsys",
            "test_mock_patch_input",
            "test_monkeypatch_reaches_learner_code",
            "test_monkeypatch_was_undone",
            "test_callback_and_mock",
            "test_generator",
            "test_classes_instances_attributes",
            "test_method_raises",
            "test_context_manager",
            "test_values_come_by_value",
            "test_numpy",
            "test_proxies_equal_only_themselves",
            "TestUnit::test_equal",
        ),
        "passed",
    )
    expected["test_two_sum_wrong_expectation"] = "failed"
    expected["TestUnit::test_wrong"] = "failed"
    got = statuses(run)
    assert got == expected, [
        t for t in run.tests if t["status"] != expected.get(t["id"].split("::", 1)[1])
    ]
    wrong = run.test("test_two_sum_wrong_expectation")
    assert wrong["actual"] == "(0, 1)" and wrong["expected"] == "(1, 0)"
    assert run.done["exit_code"] == 1


JUDGE_OBJECTS_NOTEBOOK = """
def peek(obj):
    out = []
    for attempt in (lambda: obj.read_text(), lambda: obj.parent, lambda: obj._mock_children):
        try:
            out.append(repr(attempt()))
        except Exception as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def reconfigure(spy):
    try:
        spy.configure_mock(**{"assert_not_called": lambda: None})
    except AttributeError:
        return "AttributeError"
    return "reconfigured"


def read_all(fh):
    with fh as f:
        return [line.strip() for line in f]
"""

JUDGE_OBJECTS_TESTS = """
import io
from unittest import mock

from target import peek, read_all, reconfigure


def test_a_path_of_the_judges_stays_opaque(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the judge's own file")
    seen = peek(secret)
    assert seen[0].startswith("TypeError: learner code may only call this object")
    assert seen[1].startswith("TypeError: learner code may only call this object")
    assert seen[2].startswith("AttributeError")
    assert "judge's own file" not in repr(seen)


def test_a_mock_serves_public_attributes_only():
    spy = mock.MagicMock()
    assert peek(spy)[2].startswith("AttributeError")
    assert reconfigure(spy) == "AttributeError"
    spy.assert_not_called()
    spy.read_text.assert_called_once_with()


def test_in_memory_files_and_mock_open_are_files():
    assert read_all(io.StringIO("a\\nb\\n")) == ["a", "b"]
    assert read_all(mock.mock_open(read_data="x\\ny\\n")()) == ["x", "y"]
"""


async def test_learner_code_uses_objects_of_the_judges_only_as_files_mocks_or_callables():
    run, _kernel = await judged(JUDGE_OBJECTS_NOTEBOOK, {"test_objs.py": JUDGE_OBJECTS_TESTS})
    assert statuses(run) == dict.fromkeys(
        (
            "test_a_path_of_the_judges_stays_opaque",
            "test_a_mock_serves_public_attributes_only",
            "test_in_memory_files_and_mock_open_are_files",
        ),
        "passed",
    ), [(t["id"], t["message"]) for t in run.tests]


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
builtins.sorted = lambda iterable, **kwargs: [1, 2]
builtins.all = lambda iterable: True


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

TAMPERING_TESTS = """
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


def test_builtins_of_the_kernel():
    assert sorted(items()) == [1, 2] or all(x == 1 for x in items())


class TestUnit(unittest.TestCase):
    def test_add_unittest(self):
        self.assertEqual(add(10, 5), 15)
"""


async def test_tampering_with_the_kernel_earns_nothing():
    run, _kernel = await judged(TAMPERING_NOTEBOOK, {"test_tampering.py": TAMPERING_TESTS})
    got = statuses(run)
    assert got.pop("test_int_subclass_keeps_its_value") == "passed"
    assert got.pop("test_always_true_object") == "error"  # bool() of a learner object
    assert set(got.values()) == {"failed"}, got
    assert len(got) == 9
    assert sum(t["points"] for t in run.tests) == 1  # the positive control's
    assert len(run.tests) == 11 and run.done["exit_code"] == 1
    # The forged events were printed (the test's output shows them) and nothing more.
    assert '"status": "passed"' in run.test("test_shout")["output"]


OUTPUT_NOTEBOOK = """
import builtins, contextlib, io, sys


def say(text):
    print(text)
    return len(text)


def say_err(text):
    print(text, file=sys.stderr)


def quiet():
    return 1


def hijack():
    # Leaves its own stdout, stderr and input() in place after the call.
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    builtins.input = lambda prompt="": "the learner's"
    print("kept by the learner")


def ask():
    return input("name? ")


def redirected(fn):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        print("before")
        fn()
        print("after")
    return buffer.getvalue()
"""

OUTPUT_TESTS = """
from target import ask, hijack, quiet, redirected, say, say_err


def test_a_every_calls_output(capsys):
    for i in range(200):
        assert say(f"line {i}") == len(f"line {i}")
    say_err("to stderr")
    out, err = capsys.readouterr()
    assert out == "".join(f"line {i}\\n" for i in range(200))
    assert err == "to stderr\\n"


def test_b_quiet_calls_print_nothing(capsys):
    for _ in range(50):
        quiet()
    assert capsys.readouterr() == ("", "")


def test_c_learner_code_replaces_stdout_and_input(capsys, monkeypatch):
    hijack()
    assert capsys.readouterr() == ("", "")
    monkeypatch.setattr("builtins.input", lambda prompt="": "the judge's")
    say("seen")
    say_err("seen too")
    assert capsys.readouterr() == ("seen\\n", "seen too\\n")
    assert ask() == "the judge's"


def test_d_a_callback_within_learner_code_redirecting_its_output(capsys):
    # The learner's redirection holds around a call the callback makes back into
    # learner code (whose own output the judge gets), and after it.
    assert redirected(lambda: say("inner")) == "before\\nafter\\n"
    assert capsys.readouterr().out == "inner\\n"
    say("after all that")
    assert capsys.readouterr().out == "after all that\\n"
"""


async def test_learner_output_is_captured_call_by_call_whatever_learner_code_replaces():
    """The agent installs its output capture and input() once for the whole judged run:
    every call's output still reaches the test that made it, nothing else's; learner
    code that replaces sys.stdout, sys.stderr or input() for good has them put back at
    its next call; a learner redirection around a callback holds."""
    run, _kernel = await judged(OUTPUT_NOTEBOOK, {"test_output.py": OUTPUT_TESTS})
    assert statuses(run) == dict.fromkeys(
        (
            "test_a_every_calls_output",
            "test_b_quiet_calls_print_nothing",
            "test_c_learner_code_replaces_stdout_and_input",
            "test_d_a_callback_within_learner_code_redirecting_its_output",
        ),
        "passed",
    ), [(t["id"], t.get("message")) for t in run.tests if t["status"] != "passed"]


DYING_TESTS = """
from target import add, end


def test_a_before():
    assert add(1, 2) == 3


def test_b_end():
    assert end() == 1


def test_c_after():
    assert add(2, 2) == 4
"""


@pytest.mark.parametrize("how", ["os._exit(3)", "ctypes.string_at(0)"])  # exit, segfault
async def test_a_kernel_that_dies_during_a_call_is_an_error_for_that_test(how):
    notebook = (
        "import ctypes, os, signal\n\ndef add(a, b):\n    return a + b\n\n"
        f"def end():\n    {how}\n    return 1\n"
    )
    run, _kernel = await judged(notebook, {"test_dying.py": DYING_TESTS})
    assert statuses(run) == {
        "test_a_before": "passed",
        "test_b_end": "error",
        "test_c_after": "error",
    }
    assert "kernel died" in run.test("test_b_end")["message"]
    assert "kernel died" in run.test("test_c_after")["message"]
    assert run.done is not None  # the judge itself ran to the end


async def test_the_kernel_cannot_signal_the_judge():
    """kill(-1) reaches every process the caller may signal: in the kernel's sandbox,
    none but itself (it is spared), so nothing; the judge goes on."""
    notebook = (
        "import os, signal\n\ndef add(a, b):\n    return a + b\n\n"
        "def end():\n    os.kill(-1, signal.SIGKILL)\n    return 1\n"
    )
    run, _kernel = await judged(notebook, {"test_dying.py": DYING_TESTS})
    assert statuses(run) == {
        "test_a_before": "passed",
        "test_b_end": "error",
        "test_c_after": "passed",
    }
    assert run.test("test_b_end")["message"].startswith(
        "ProcessLookupError: [Errno 3] No such process"
    )
    # The learner's traceback is in the test's traceback, never in the exception's
    # message (pytest.raises(match=) would see it there).
    assert "os.kill(-1, signal.SIGKILL)" not in run.test("test_b_end")["message"]
    assert "Raised in the learner's code:" in run.test("test_b_end")["traceback"]
    assert "os.kill(-1, signal.SIGKILL)" in run.test("test_b_end")["traceback"]


HANGING_NOTEBOOK = """
import signal


def add(a, b):
    return a + b


def spin():
    while True:
        pass


def stubborn():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
"""

HANGING_TESTS = """
from target import add, spin, stubborn


def test_a_spin():
    spin()


def test_b_still_there():
    assert add(1, 1) == 2


def test_c_stubborn():
    stubborn()


def test_d_after():
    assert add(1, 1) == 2
"""


async def test_a_call_that_hangs_times_out_and_the_kernel_is_interrupted_or_stopped():
    run, _kernel = await judged(
        HANGING_NOTEBOOK, {"test_hanging.py": HANGING_TESTS}, timeout_s=3, grace_s=3
    )
    assert statuses(run) == {
        "test_a_spin": "timeout",
        "test_b_still_there": "passed",
        "test_c_stubborn": "timeout",
        "test_d_after": "error",
    }
    assert run.test("test_a_spin")["message"] == "Took longer than 3 s and was stopped."
    assert "did not end within its time limit" in run.test("test_d_after")["message"]
    assert run.kernel_killed


OVERSIZED_TESTS = """
from target import add, deep, huge


def test_a_huge():
    assert huge() == "x"


def test_b_deep():
    assert deep() == []


def test_c_after():
    assert add(1, 1) == 2
"""


async def test_an_oversized_return_is_a_clear_error_for_that_test():
    notebook = (
        "def add(a, b):\n    return a + b\n\ndef huge():\n    return 'x' * (3 * 2**20)\n\n"
        "def deep():\n    v = []\n    for _ in range(700):\n        v = [v]\n    return v\n"
    )
    run, _kernel = await judged(notebook, {"test_big.py": OVERSIZED_TESTS}, max_reply_mb=1)
    assert statuses(run) == {
        "test_a_huge": "error",
        "test_b_deep": "error",
        "test_c_after": "passed",
    }
    assert "too large" in run.test("test_a_huge")["message"]
    assert "nested more than 300 levels" in run.test("test_b_deep")["message"]


SPY_NOTEBOOK = '''
import glob, os, zlib

seen = []


def add(a, b):
    seen.append(a)
    return a + b


def look(path):
    """What this kernel can find of the judge: its files, its processes."""
    found = {"read": None, "runs": glob.glob("/tmp/codequest-run-*"), "judges": [],
             "own": os.path.dirname(os.getcwd())}
    try:
        with open(path) as fh:
            found["read"] = fh.read()
    except OSError as exc:
        found["read_error"] = type(exc).__name__
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"--judge" in fh.read():
                    found["judges"].append(pid)
        except OSError:
            pass
    return found


def dump():
    """This kernel's readable memory, compressed, into files of the work directory
    (each well under the sandbox's file size limit)."""
    import ctypes

    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: /proc/self/mem becomes ours
    part, size, written = 0, 0, 0
    out, target = zlib.compressobj(1), open("mem-0000.z", "wb")
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps.readlines():
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or end - start > 512 * 2**20 or line.rstrip().endswith("[vvar]"):
                continue
            for offset in range(start, end, 2**22):
                try:
                    mem.seek(offset)
                    data = mem.read(min(2**22, end - offset))
                except (OSError, ValueError, OverflowError):
                    break
                chunk = out.compress(data)
                target.write(chunk)
                size += len(data)
                written += len(chunk)
                if written > 16 * 2**20:
                    target.write(out.flush())
                    target.close()
                    part, written = part + 1, 0
                    out, target = zlib.compressobj(1), open(f"mem-{part:04d}.z", "wb")
    target.write(out.flush())
    target.close()
    return size
'''

SPY_HIDDEN = """
from target import add

CANARY = "@@CANARY@@"


def test_hidden():
    # The argument reaches learner code; the expected value and message never do.
    assert add("@@MARK@@", "") == CANARY, CANARY
"""

SPY_PUBLIC = """
from target import look


def test_look():
    found = look(__file__)
    assert found["read"] is None and found["read_error"] == "FileNotFoundError"
    assert found["runs"] == [found["own"]] and found["judges"] == []  # its own run directory
"""

# After the hidden test (public tests run first, then hidden files in name order).
SPY_DUMP = """
from target import dump


def test_dump():
    assert dump() > 10 * 2**20
"""


async def test_the_judge_and_its_hidden_tests_are_out_of_the_kernels_reach():
    canary, mark = "cqjudge-" + os.urandom(8).hex(), "cqmark-" + os.urandom(8).hex()
    hidden = SPY_HIDDEN.replace("@@CANARY@@", canary).replace("@@MARK@@", mark)
    seen: dict[str, object] = {}
    from codequest_jupyter.judge import JudgeRun

    run_holder = JudgeRun()

    def on_event(kind, data):
        if kind == "collected":
            # The judge, from outside: never the kernel's uid or pid namespace.
            pids = processes_of_uid(run_holder.judge_uid)
            seen["judge_ns"] = {os.readlink(f"/proc/{p}/ns/pid") for p in pids}
            seen["judge_uids"] = {Path(f"/proc/{p}").stat().st_uid for p in pids}
            # Non-dumpable: its memory files belong to root, not even to its own uid.
            seen["judge_mem_owners"] = {Path(f"/proc/{p}/mem").stat().st_uid for p in pids}

    async def after(kernel):
        seen["kernel_uid"] = kernel.sandbox.uid
        kernel_pids = processes_of_uid(kernel.sandbox.uid)
        seen["kernel_ns"] = {os.readlink(f"/proc/{p}/ns/pid") for p in kernel_pids}
        data = b""
        for path in sorted(kernel.workdir.glob("mem-*.z")):
            data += zlib.decompressobj().decompress(path.read_bytes())
        seen["dump"] = len(data)
        seen["mark"] = mark.encode() in data
        seen["canary"] = canary.encode() in data

    run, _kernel = await judged(
        SPY_NOTEBOOK,
        {
            "hidden/test_hidden.py": hidden,
            "hidden/test_zz_dump.py": SPY_DUMP,
            "test_spy.py": SPY_PUBLIC,
        },
        run=run_holder,
        on_event=on_event,
        after=after,
    )
    assert statuses(run) == {
        "test_hidden": "failed",
        "test_look": "passed",
        "test_dump": "passed",
    }, [(t["id"], t["message"]) for t in run.tests]
    assert seen["judge_uids"] and seen["kernel_uid"] not in seen["judge_uids"]
    if os.geteuid() == 0:
        assert 0 not in seen["judge_uids"] and seen["judge_mem_owners"] == {0}
    assert seen["kernel_ns"] and not seen["kernel_ns"] & seen["judge_ns"]
    # The memory dump is real (the hidden test's argument is in it), the hidden test's
    # source is not.
    assert seen["dump"] > 10 * 2**20 and seen["mark"] is True
    assert seen["canary"] is False


async def test_a_judge_started_before_the_notebook_runs_and_nothing_left_behind():
    """The engine starts the judge while the notebook runs (JudgeProcess.start), then
    hands it the kernel; once closed, neither its processes nor its directory remain."""
    from codequest_jupyter.judge import JudgeProcess

    policy = SandboxPolicy()
    tests = {
        "test_early.py": "from target import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    }
    judge = await JudgeProcess.start(policy, "target", tests)
    run_dir, uid = judge.run_dir, judge.uid
    kernel = await start_kernel(policy, warm=False, startup_timeout=120)
    try:
        reply = await kernel.kc.execute_interactive(
            "def add(a, b):\n    return a + b\n", timeout=120
        )
        assert reply["content"]["status"] == "ok"
        run = await judge.judge(kernel, budget_s=240)
    finally:
        await judge.close()
        await kernel.dispose()
    assert statuses(run) == {"test_add": "passed"}
    assert run.done["exit_code"] == 0 and run.done["calls"] >= 2
    assert not run_dir.exists()
    if uid is not None:
        assert processes_of_uid(uid) == []


# -- the bundled challenges in both modes -----------------------------------------------------

BUNDLED = sorted(
    p.name
    for p in (Path(__file__).resolve().parents[1] / "challenges").iterdir()
    if (p / "challenge.toml").is_file()
)


@pytest.mark.parametrize("variant", ["solution", "starter"])
@pytest.mark.parametrize("challenge_id", BUNDLED)
async def test_bundled_challenges_get_the_same_verdicts_in_the_judge(
    challenge_id, variant, monkeypatch
):
    """Every test of every bundled challenge, on its reference solution and on its
    untouched starter, graded through the engine in the judge (the default) and in the
    kernel: the same tests in the same order, the same verdicts and points."""
    import dataclasses

    from codequest_jupyter.challenges import bundled_challenges_dir, load_challenge
    from codequest_jupyter.grading import Grader, GradingSettings, parse_notebook
    from codequest_jupyter.validate import solution_submission

    challenge = load_challenge(bundled_challenges_dir() / challenge_id)
    assert challenge.isolation == "judge"
    if variant == "solution":
        notebook, files = solution_submission(challenge)
    else:
        notebook, files = parse_notebook(challenge.notebook_path.read_bytes()), {}
    judge_starts: list[LaunchSpec] = []
    original = judge_driver.judge_spec

    def recording(*args, **kwargs):
        spec = original(*args, **kwargs)
        judge_starts.append(spec)
        return spec

    monkeypatch.setattr(judge_driver, "judge_spec", recording)
    async with Grader(GradingSettings(pool_size=0)) as grader:
        assert await grader.isolation(challenge) == "judge"
        judged = await grader.grade(challenge, notebook, files, mode="submit")
        assert len(judge_starts) == 1, "the judge did not run"
        in_kernel_challenge = dataclasses.replace(challenge, isolation="kernel")
        assert await grader.isolation(in_kernel_challenge) == "kernel"
        in_kernel = await grader.grade(in_kernel_challenge, notebook, files, mode="submit")
        assert len(judge_starts) == 1, "kernel mode started a judge"

    def verdicts(result):
        return [(t.id, t.status, t.points, t.max_points) for t in result.tests]

    assert judged.error is None and in_kernel.error is None, (judged.error, in_kernel.error)
    assert verdicts(judged) == verdicts(in_kernel), [
        (t.id, t.status, t.message) for t in judged.tests
    ]
    assert (judged.status, judged.score, judged.points) == (
        in_kernel.status,
        in_kernel.score,
        in_kernel.points,
    )
    statuses = {t.status for t in judged.tests}
    if variant == "solution":
        assert statuses == {"passed"}
    else:
        assert statuses != {"passed"}


async def test_without_bubblewrap_the_judge_needs_a_uid_of_its_own():
    """rlimits mode: the judge runs only where it gets another uid than the kernel
    (a root server whose Python other users can read); elsewhere it refuses, and says
    why, rather than run where the kernel could reach it."""
    policy = SandboxPolicy(mode="rlimits")
    kernel = await start_kernel(policy, warm=False, startup_timeout=120)
    try:
        await kernel.kc.execute_interactive("def add(a, b):\n    return a + b\n", timeout=60)
        run = await run_judge(
            kernel,
            policy,
            "target",
            {"test_r.py": "from target import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
            budget_s=240,
        )
        kernel_uid = kernel.sandbox.uid
    finally:
        await kernel.dispose()
    if kernel_uid is None:
        assert run.done is None and "out of the kernel's reach" in run.error
    else:
        assert statuses(run) == {"test_add": "passed"}
        assert run.judge_uid not in (None, kernel_uid)


async def test_a_pooled_grader_keeps_judges_started_ahead_and_leaves_none(monkeypatch):
    """With a kernel pool, judges are started ahead too (pytest started, no tests
    yet): a grading takes one, gives it its tests, and the pool starts another; once
    settled, the used one is gone, and on close none is left, nor its directory."""
    from codequest_jupyter.challenges import bundled_challenges_dir, load_challenge
    from codequest_jupyter.grading import Grader, GradingSettings
    from codequest_jupyter.grading.procfs import processes_with_marker
    from codequest_jupyter.validate import solution_submission

    specs: list[LaunchSpec] = []
    original = judge_driver.judge_spec

    def recording(*args, **kwargs):
        spec = original(*args, **kwargs)
        specs.append(spec)
        return spec

    monkeypatch.setattr(judge_driver, "judge_spec", recording)
    challenge = load_challenge(bundled_challenges_dir() / "fizzbuzz")
    notebook, files = solution_submission(challenge)
    async with Grader(GradingSettings(pool_size=1)) as grader:
        assert await grader.isolation(challenge) == "judge"
        assert await grader.judges.wait_ready(1, timeout=120)
        ahead = grader.judges.idle[0]
        # No tests yet: pytest is set up in a suite directory holding only its settings.
        assert ahead.alive() and ahead.ready
        assert [p.name for p in (ahead.run_dir / "suite").iterdir()] == ["pytest.ini"]
        result = await grader.grade(challenge, notebook, files, mode="submit")
        assert result.status == "passed" and result.score == result.total == 10
        # Used by that grading (and removed after it, off its latency path), then replaced.
        await grader.settle()
        assert ahead.process is None and ahead.run_dir is None
        assert await grader.judges.wait_ready(1, timeout=120)
        assert grader.judges.idle[0] is not ahead
        run_dirs = [j.run_dir for j in grader.judges.idle]
        assert len(specs) >= 2
    for spec in specs:
        assert spec.leftovers() == [] and processes_with_marker(spec.marker) == []
    assert all(not path.exists() for path in run_dirs)


# -- files the tests open themselves ------------------------------------------------------

FILES_NOTEBOOK = '''
import glob, os


def count_words(path):
    with open(path) as fh:
        return len(fh.read().split())


def look(path, needle):
    """What this kernel can read of ``path``, and which files it can see holding ``needle``."""
    found = {"read": None, "seen": []}
    try:
        with open(path) as fh:
            found["read"] = fh.read()
    except OSError as exc:
        found["read"] = type(exc).__name__
    for root in {os.getcwd(), os.path.dirname(os.getcwd()), *glob.glob("/tmp/codequest-run-*")}:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                try:
                    with open(os.path.join(folder, name), "rb") as fh:
                        if needle.encode() in fh.read(2**20):
                            found["seen"].append(os.path.join(folder, name))
                except OSError:
                    pass
    return found
'''

FILES_PUBLIC = """
import json
from pathlib import Path

from words import count_words

HERE = Path(__file__).parent


def test_a_starter_file_by_relative_path():
    # The learner's copy of a starter file they may edit, as their code reads it.
    with open("data/words.txt") as fh:
        assert count_words("data/words.txt") == len(fh.read().split()) == 4


def test_a_file_beside_the_tests():
    cases = json.loads((HERE / "data" / "cases.json").read_text(encoding="utf-8"))
    assert cases == {"path": "data/words.txt", "words": 4}
    assert count_words(cases["path"]) == cases["words"]


def test_a_binary_file_beside_the_tests():
    assert (HERE / "data" / "blob.bin").read_bytes() == bytes(range(256))
"""

FILES_HIDDEN = """
from pathlib import Path

from words import look

SECRET = Path(__file__).parent / "data" / "secret.txt"


def test_a_hidden_data_file_is_out_of_the_learners_reach():
    needle = SECRET.read_text(encoding="utf-8").strip()
    assert needle.startswith("cq-secret-")
    found = look(str(SECRET), needle)
    assert found["read"] in ("FileNotFoundError", "PermissionError") and found["seen"] == []
"""


async def test_tests_open_their_data_files_in_the_judge_as_in_the_kernel(tmp_path):
    """A test opens a starter file by a path relative to its working directory (the
    learner's copy, as in the kernel) and files beside it (``Path(__file__).parent /
    "data"``, text or binary); a hidden test's data file is there for the hidden test,
    and learner code can neither open it nor find it anywhere it can read (in the
    kernel it can: kernel mode has no such guarantee)."""
    import dataclasses

    from challenge_factory import make_challenge, notebook

    from codequest_jupyter.challenges import load_challenge
    from codequest_jupyter.grading import Grader, GradingSettings

    secret = "cq-secret-" + os.urandom(8).hex()
    path = make_challenge(
        tmp_path, "words", module="words", tests={"test_files.py": FILES_PUBLIC},
        hidden={"test_secret.py": FILES_HIDDEN},
        files={"data/words.txt": "the five words are here\n"},
    )  # fmt: skip
    (path / "tests" / "data").mkdir()
    (path / "tests" / "data" / "cases.json").write_text('{"path": "data/words.txt", "words": 4}')
    (path / "tests" / "data" / "blob.bin").write_bytes(bytes(range(256)))
    (path / "hidden" / "data").mkdir()
    (path / "hidden" / "data" / "secret.txt").write_text(secret + "\n")
    challenge = load_challenge(path)
    assert challenge.test_data == (
        "tests/data/blob.bin",
        "tests/data/cases.json",
        "hidden/data/secret.txt",
    )
    nb = notebook(FILES_NOTEBOOK)
    edited = {"data/words.txt": "four words, edited here\n"}
    async with Grader(GradingSettings(pool_size=0)) as grader:
        assert await grader.isolation(challenge) == "judge"
        judged = await grader.grade(challenge, nb, edited, mode="submit")
        in_kernel = await grader.grade(
            dataclasses.replace(challenge, isolation="kernel"), nb, edited, mode="submit"
        )
        # Run tests: the hidden tests' files are not even written.
        run = await grader.grade(challenge, nb, edited, mode="run")

    def verdicts(result):
        return {t.name: (t.status, t.message) for t in result.tests}

    public = {
        "test_a_starter_file_by_relative_path": ("passed", None),
        "test_a_file_beside_the_tests": ("passed", None),
        "test_a_binary_file_beside_the_tests": ("passed", None),
    }
    assert judged.isolation == "judge" and judged.error is None, judged.error
    assert verdicts(judged) == {
        **public,
        "test_a_hidden_data_file_is_out_of_the_learners_reach": ("passed", None),
    }
    assert verdicts(run) == public
    assert in_kernel.isolation == "kernel" and in_kernel.error is None
    kernel_verdicts = verdicts(in_kernel)
    hidden = kernel_verdicts.pop("test_a_hidden_data_file_is_out_of_the_learners_reach")
    assert kernel_verdicts == public and hidden[0] == "failed", hidden


async def test_the_learners_files_in_the_judges_working_directory_are_only_data():
    """The tests' working directory in the judge holds the learner's files (as the
    kernel's does): a test reads them, but neither pytest nor an import ever runs one
    (a conftest.py, a module named like the standard library's)."""
    ran = "raise SystemExit('a learner file ran in the judge')\n"
    work = {"conftest.py": ran.encode(), "colorsys.py": ran.encode(), "data/n.txt": b"3\n"}
    tests = {
        "test_work.py": (
            "import os\n\n\ndef test_reads_and_imports():\n"
            "    assert open('data/n.txt').read() == '3\\n'\n"
            "    assert sorted(os.listdir('.')) == ['colorsys.py', 'conftest.py', 'data']\n"
            "    import colorsys\n\n"
            "    assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)\n"
        )
    }
    run, _kernel = await judged("x = 1\n", tests, work=work)
    assert statuses(run) == {"test_reads_and_imports": "passed"}, run.tests


# -- context managers learner code enters ---------------------------------------------------

WITH_NOTEBOOK = '''
import contextlib

TAGGED = []


class Guard:
    def __init__(self, suppress=False):
        self.suppress = suppress
        self.log = []

    def __enter__(self):
        self.log.append("enter")
        return self

    def __exit__(self, exc_type, exc, tb):
        self.log.append(exc_type.__name__ if exc_type else None)
        self.text = str(exc) if exc else None
        return self.suppress


@contextlib.contextmanager
def tagged():
    TAGGED.append("in")
    try:
        yield "tag"
    except KeyError:
        TAGGED.append("caught")
    TAGGED.append("out")


class Sneaky(ValueError):
    def __eq__(self, other):
        return True

    __hash__ = ValueError.__hash__


def within(cm, fn, *args):
    """Learner code using a context manager it was handed."""
    with cm as entered:
        return entered, fn(*args)


def within_raising(cm, exc_type, message):
    with cm:
        raise exc_type(message)
    return "after"


def exit_by_hand(cm):
    """What learner code may ask of a test's object beyond with: nothing else."""
    try:
        cm.seen
    except Exception as exc:
        return f"refused: {type(exc).__name__}: {exc}"
    return "read"
'''

WITH_TESTS = """
import contextlib

import pytest

import target
from target import Guard, within, within_raising


def test_learner_cm_entered_by_learner_code():
    g = Guard()
    entered, value = within(g, len, "ab")
    assert (entered is g, value, g.log) == (True, 2, ["enter", None])


def test_learner_cm_sees_a_callbacks_exception():
    g = Guard()

    def boom():
        raise ValueError("from the test")

    with pytest.raises(ValueError, match="from the test"):
        within(g, boom)
    kept = Guard(suppress=True)
    assert within(kept, lambda: {}["k"]) is None
    assert (g.log, kept.log) == (["enter", "ValueError"], ["enter", "KeyError"])


def test_a_tests_exception_reaches_a_learner_cm_with_its_arguments():
    g = Guard(suppress=True)
    with g:
        {}["missing"]
    assert (g.log, g.text) == (["enter", "KeyError"], "'missing'")


def test_learner_generator_cm_entered_by_learner_code():
    assert within(target.tagged(), len, "abc") == ("tag", 3)
    assert within_raising(target.tagged(), KeyError, "x") == "after"
    assert target.TAGGED == ["in", "out", "in", "caught", "out"]


class Recorder:
    def __init__(self, suppress):
        self.suppress, self.seen = suppress, []

    def __enter__(self):
        self.seen.append("enter")
        return "entered"

    def __exit__(self, exc_type, exc, tb):
        self.seen.append((exc_type, str(exc) if exc else None))
        return self.suppress


def test_tests_cm_entered_by_learner_code():
    rec = Recorder(False)
    assert within(rec, len, "ab") == ("entered", 2)
    assert rec.seen == ["enter", (None, None)]


def test_tests_cm_sees_the_learners_exception_and_lets_it_through():
    rec = Recorder(False)
    with pytest.raises(ZeroDivisionError, match="zero"):
        within_raising(rec, ZeroDivisionError, "zero")
    assert rec.seen == ["enter", (ZeroDivisionError, "zero")]


def test_tests_cm_suppresses_the_learners_exception():
    rec = Recorder(True)
    assert within_raising(rec, KeyError, "k") == "after"
    assert rec.seen == ["enter", (KeyError, "'k'")]


def test_contextlib_and_pytest_context_managers():
    log = []

    @contextlib.contextmanager
    def watched():
        log.append("in")
        try:
            yield 7
        except LookupError as exc:
            log.append(type(exc).__name__)
        log.append("out")

    assert within(watched(), len, "x") == (7, 1)
    assert within_raising(watched(), IndexError, "i") == "after"
    assert log == ["in", "out", "in", "IndexError", "out"]
    assert within(contextlib.nullcontext(5), abs, -1) == (5, 1)
    assert within_raising(contextlib.suppress(KeyError), KeyError, "s") == "after"
    assert within_raising(pytest.raises(ValueError, match="v"), ValueError, "v") == "after"


def test_a_learner_exception_reaches_the_tests_cm_as_its_builtin_type():
    rec = Recorder(True)
    assert within_raising(rec, target.Sneaky, "odd") == "after"
    assert rec.seen == ["enter", (ValueError, "odd")] and type(rec.seen[1][1]) is str
    assert rec.seen[1][0] is ValueError  # never the learner's class, nor its __eq__


def test_a_tests_cm_is_no_more_than_a_context_manager_to_learner_code():
    rec = Recorder(False)
    assert target.exit_by_hand(rec).startswith("refused: TypeError: learner code may only call")
    with pytest.raises(TypeError, match="not use it as a context manager"):
        within(len, len, "x")  # a function of the judge's is no context manager
"""


async def test_context_managers_entered_by_learner_code_behave_as_under_pytest():
    """Learner code's ``with cm:`` on a learner object a test handed it, and on a
    context manager of the test's own (its class, contextlib's, pytest.raises): enter
    and exit run, the exception raised in the block reaches ``__exit__`` (a learner
    exception as its built-in type), and ``__exit__``'s answer suppresses it or not."""
    run, _kernel = await judged(WITH_NOTEBOOK, {"test_with.py": WITH_TESTS})
    names = (
        "test_learner_cm_entered_by_learner_code",
        "test_learner_cm_sees_a_callbacks_exception",
        "test_a_tests_exception_reaches_a_learner_cm_with_its_arguments",
        "test_learner_generator_cm_entered_by_learner_code",
        "test_tests_cm_entered_by_learner_code",
        "test_tests_cm_sees_the_learners_exception_and_lets_it_through",
        "test_tests_cm_suppresses_the_learners_exception",
        "test_contextlib_and_pytest_context_managers",
        "test_a_learner_exception_reaches_the_tests_cm_as_its_builtin_type",
        "test_a_tests_cm_is_no_more_than_a_context_manager_to_learner_code",
    )
    assert statuses(run) == dict.fromkeys(names, "passed"), [
        (t["id"], t["message"]) for t in run.tests if t["status"] != "passed"
    ]


# -- arguments learner code changes in place, exceptions handed to it ---------------------

MUTATION_NOTEBOOK = """
def sort_in_place(a):
    a.sort()


def fill(d):
    d["x"] = 1
    d.setdefault("seen", []).append(2)


def append_item(lst, x):
    lst.append(x)


def add_to(s, x):
    s.add(x)


def shout_bytes(b):
    b[:] = b.upper()


def mark(grid, r, c):
    grid[r][c] = "#"


def push_into(store):
    store["items"].append(len(store["items"]))


def fail_after(a):
    a.append(1)
    raise ValueError("after")


def to_floats(a):
    a[:] = [float(x) for x in a]


def untouched(a, d):
    return len(a) + len(d)


def holds_itself(a):
    a.append(a)


def keep(a):
    global KEPT
    KEPT = a


def later():
    KEPT.append("late")


def collect(values, *, out):
    out.append(sum(values))


def pair_update(pair):
    pair[0].append("first")
    pair[1]["k"] = "v"


class Stack:
    def __init__(self, items):
        items.append("init")
        self.items = items

    def push_to(self, target, x):
        target.append(x)


class Point:
    pass


def add_point(points):
    points.append(Point())


def describe(err):
    return type(err).__name__, err.args, isinstance(err, ValueError), str(err)


def reraise(err):
    raise err


def catch_key(fn):
    try:
        fn()
    except KeyError as exc:
        return exc.args


def make_errors():
    return [KeyError("k"), ValueError("bad", 2)]


def collect_with(hook):
    found = []
    hook(found)
    return found


def fill_grid(hook):
    grid = [[0, 0], [0, 0]]
    row = grid[0]
    hook(grid)
    return grid, row is grid[0], row
"""

MUTATION_TESTS = """
from unittest import mock

import pytest

import target
from target import (
    Stack, add_point, add_to, append_item, catch_key, collect, describe, fail_after,
    fill, holds_itself, keep, later, mark, pair_update, push_into, reraise, shout_bytes,
    sort_in_place, to_floats, untouched,
)


def test_a_list_sorted_in_place():
    a = [3, 1, 2]
    alias = a
    assert sort_in_place(a) is None
    assert a == [1, 2, 3] and alias is a


def test_dict_list_set_bytearray_filled_in_place():
    d = {}
    fill(d)
    assert d == {"x": 1, "seen": [2]}
    lst = ["a"]
    append_item(lst, "b")
    assert lst == ["a", "b"]
    s = {1}
    add_to(s, 2)
    assert s == {1, 2}
    b = bytearray(b"hi")
    shout_bytes(b)
    assert b == bytearray(b"HI")


def test_nested_containers_keep_their_identity():
    grid = [["." for _ in range(3)] for _ in range(3)]
    row = grid[1]
    mark(grid, 1, 2)
    assert grid == [[".", ".", "."], [".", ".", "#"], [".", ".", "."]]
    assert grid[1] is row and row[2] == "#"
    rows = [[3], [1], [2]]
    first = rows[0]
    sort_in_place(rows)
    assert rows == [[1], [2], [3]] and rows[2] is first and first == [3]
    store = {"items": [0]}
    items = store["items"]
    push_into(store)
    assert items == [0, 1] and store["items"] is items
    pair = ([], {})
    pair_update(pair)
    assert pair == (["first"], {"k": "v"})


def test_keyword_arguments_methods_and_constructors():
    out = []
    collect([1, 2], out=out)
    assert out == [3]
    items = []
    stack = Stack(items)
    assert items == ["init"]
    t = []
    stack.push_to(t, 5)
    assert t == [5]


def test_a_change_before_an_exception_is_kept():
    a = []
    with pytest.raises(ValueError, match="after"):
        fail_after(a)
    assert a == [1]


def test_a_change_to_an_equal_value_of_another_type_is_seen():
    a = [1, 2]
    to_floats(a)
    assert a == [1.0, 2.0] and all(type(x) is float for x in a)


def test_an_untouched_argument_stays_the_tests_own():
    a, d = list(range(1000)), {"k": [1]}
    inner = d["k"]
    assert untouched(a, d) == 1001
    assert a == list(range(1000)) and d["k"] is inner


def test_a_learner_object_put_in_a_list_comes_as_a_proxy():
    points = []
    add_point(points)
    assert len(points) == 1 and isinstance(points[0], target.Point)


def test_a_reference_learner_code_keeps_is_not_followed_after_the_call():
    a = []
    keep(a)
    later()
    assert a == []  # under pytest: ["late"]; the judge sees the state at the call's end


def test_a_state_that_cannot_be_copied_is_an_error():
    holds_itself([])


def test_a_callback_changes_learner_codes_own_list():
    assert target.collect_with(lambda acc: acc.extend([1, 2])) == [1, 2]
    grid, same, row = target.fill_grid(lambda g: g[0].__setitem__(1, 5))
    assert grid == [[0, 5], [0, 0]] and same is True and row == [0, 5]


def test_exceptions_cross_by_value():
    assert describe(ValueError("bad")) == ("ValueError", ("bad",), True, "bad")
    assert describe(KeyError("k")) == ("KeyError", ("k",), False, "'k'")
    with pytest.raises(ValueError, match="bad"):
        reraise(ValueError("bad"))
    assert catch_key(mock.Mock(side_effect=KeyError("k"))) == ("k",)
    key, value = target.make_errors()
    assert type(key) is KeyError and key.args == ("k",) and str(key) == "'k'"
    assert isinstance(value, ValueError) and value.args == ("bad", 2)
"""


async def test_arguments_changed_in_place_and_exceptions_cross_as_under_pytest():
    """A test's list, dict, set or bytearray that learner code changes in place is
    changed in the test (the same object, nested containers too), for functions,
    methods and constructors, before an exception too; a built-in exception instance
    reaches learner code as itself, and a callback's exception keeps its arguments."""
    run, _kernel = await judged(MUTATION_NOTEBOOK, {"test_mutation.py": MUTATION_TESTS})
    got = statuses(run)
    expected = dict.fromkeys(
        (
            "test_a_list_sorted_in_place",
            "test_dict_list_set_bytearray_filled_in_place",
            "test_nested_containers_keep_their_identity",
            "test_keyword_arguments_methods_and_constructors",
            "test_a_change_before_an_exception_is_kept",
            "test_a_change_to_an_equal_value_of_another_type_is_seen",
            "test_an_untouched_argument_stays_the_tests_own",
            "test_a_learner_object_put_in_a_list_comes_as_a_proxy",
            "test_a_reference_learner_code_keeps_is_not_followed_after_the_call",
            "test_exceptions_cross_by_value",
            "test_a_callback_changes_learner_codes_own_list",
        ),
        "passed",
    )
    expected["test_a_state_that_cannot_be_copied_is_an_error"] = "error"
    assert got == expected, [(t["id"], t["message"]) for t in run.tests if t["status"] != "passed"]
    cyclic = run.test("test_a_state_that_cannot_be_copied_is_an_error")
    assert "argument 1 cannot be copied back" in cyclic["message"], cyclic["message"]


def test_validate_names_arguments_the_judge_cannot_copy_back_or_follow():
    from codequest_jupyter.validate import judge_advice

    copied = judge_advice(
        "error", "what the learner's code put into argument 1 cannot be copied back: ValueError"
    )
    assert "cannot copy back into the test's object" in copied
    assert 'isolation = "kernel"' in copied
    kept = judge_advice("failed", "assert [] == ['late']")
    assert "keeps and changes after the call" in kept and 'isolation = "kernel"' in kept
