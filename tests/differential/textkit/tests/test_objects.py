"""Learner objects and what crosses between tests and learner code: classes,
instances and their attributes, methods, iteration and generators, context managers,
learner exceptions, callbacks, patching, approx, numpy and pandas values.

The last three tests rely on what a test cannot have when it runs outside the
learner's process (the judge): a learner class's own ``__eq__``, the truth of a
learner object, one module object shared by the test and learner code (patching
``random`` where it is defined). tests/test_differential.py records them as the
judge's expected differences.
"""

import contextlib
import json
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import textkit
from textkit import Document, Recorder, Stack, TextError, chunks, word_frame


@pytest.fixture
def stack():
    s = Stack()
    for word in ("a", "b", "c"):
        s.push(word)
    return s


def test_stack_push_returns_size():
    s = Stack()
    assert s.push("x") == 1 and s.push("y") == 2


def test_stack_attributes(stack):
    assert stack.items == ["a", "b", "c"]
    assert stack.size == 3 and len(stack) == 3


def test_stack_pop(stack):
    assert stack.pop() == "c"
    assert stack.items == ["a", "b"]


def test_stack_iterates_top_down(stack):
    assert list(stack) == ["c", "b", "a"]


def test_stack_for_loop(stack):
    seen = []
    for item in stack:
        seen.append(item.upper())
    assert seen == ["C", "B", "A"]


def test_stack_contains(stack):
    assert "b" in stack and "z" not in stack


def test_pop_empty_raises_value_error():
    with pytest.raises(ValueError, match=r"^pop from an empty stack$"):
        Stack().pop()


def test_pop_empty_raises_the_learner_class():
    with pytest.raises(TextError) as info:
        Stack().pop()
    assert isinstance(info.value, ValueError)
    assert "empty" in str(info.value)


def test_isinstance_and_type(stack):
    assert isinstance(stack, Stack) and type(stack) is Stack
    assert issubclass(TextError, ValueError)


def test_attribute_set_by_the_test(stack):
    stack.items = ["z"]
    assert stack.pop() == "z" and stack.size == 0


def test_repr(stack):
    assert repr(stack) == "Stack(['a', 'b', 'c'])"


def test_document_attributes():
    doc = Document("Notes", ("a", "b"))
    assert doc.title == "Notes" and doc.words == ["a", "b"] and doc.meta == {"length": 2}


def test_document_classmethod():
    doc = Document.from_text("T", "x  y z")
    assert doc.words == ["x", "y", "z"] and isinstance(doc, Document)


def test_staticmethod():
    assert Document.tokenize("A b") == ["a", "b"]


def test_method_prints(capsys):
    assert Document("Log", ["x"]).summary() == "LOG"
    assert capsys.readouterr().out == "Log: 1 words\n"


def test_method_prints_and_the_test_prints():
    print("summary:", Document("Shown", []).summary())


def test_generator_list():
    assert list(chunks(["a", "b", "c"], 2)) == [["a", "b"], ["c"]]


def test_generator_next():
    gen = chunks(list("abcd"), 3)
    assert next(gen) == ["a", "b", "c"]
    assert next(gen) == ["d"]
    with pytest.raises(StopIteration):
        next(gen)


def test_generator_in_a_comprehension():
    assert [len(c) for c in chunks(list("abcde"), 2)] == [2, 2, 1]


@pytest.mark.parametrize("size", [1, 2, 5])
def test_generator_keeps_every_word(size):
    assert sum(len(c) for c in chunks(list("abcde"), size)) == 5


def test_context_manager_opens_and_closes():
    with Recorder() as rec:
        assert rec.open is True
        rec.write("x")
    assert rec.open is False and rec.entries == ["x", "closed"]


def test_context_manager_suppresses_its_own_error():
    with Recorder() as rec:
        rec.write("a")
        raise TextError("stop here")
    assert rec.entries == ["a", "closed"]


def test_context_manager_lets_other_errors_through():
    with pytest.raises(KeyError), Recorder():
        raise KeyError("k")


def test_learner_code_enters_the_tests_context_manager():
    seen = []

    @contextlib.contextmanager
    def tracked():
        seen.append("in")
        yield
        seen.append("out")

    assert textkit.guarded(tracked(), len, "abc") == 3
    assert seen == ["in", "out"]


def test_the_tests_context_manager_sees_the_learners_error():
    class Spy:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            self.seen = (exc_type, str(exc))
            return False

    spy = Spy()
    with pytest.raises(ValueError, match="not a number"):
        textkit.guarded(spy, textkit.parse_int, "x")
    assert spy.seen == (ValueError, "not a number: 'x'")


def test_the_tests_context_manager_suppresses_the_learners_error():
    assert textkit.guarded(contextlib.suppress(ZeroDivisionError), textkit.ratio, 1, 0) is None


def test_write_after_close_raises():
    with pytest.raises(TextError, match="closed"):
        Recorder().write("x")


def test_expected_counts_from_a_file_beside_the_test():
    cases = json.loads((Path(__file__).parent / "data" / "word_counts.json").read_text())
    assert [textkit.word_count(text) for text in cases["texts"]] == cases["counts"]


def test_callback_lambda():
    assert textkit.transform(["a", "bb"], lambda w: w * 2) == ["aa", "bbbb"]


def test_callback_builtin_method():
    assert textkit.transform(["a", "", "B"], str.upper) == ["A", "", "B"]


def test_callback_mock():
    spy = mock.Mock(return_value=True)
    assert textkit.count_if(["a", "b"], spy) == 2
    spy.assert_has_calls([mock.call("a"), mock.call("b")])


def test_callback_that_raises_is_handled_by_learner_code():
    def strict(value):
        raise ValueError(value)

    assert textkit.safe_apply(strict, "x", default="d") == "d"


def test_callback_predicate():
    assert textkit.count_if(["apple", "kiwi", "fig"], lambda w: len(w) > 3) == 2


def test_random_choice_patched():
    with mock.patch("textkit.random.choice", side_effect=lambda seq: seq[-1]):
        assert textkit.pick(["a", "b"]) == "b"


def test_open_mock_open_read():
    fake = mock.mock_open(read_data="one two\nthree\n")
    with mock.patch("textkit.open", fake, create=True):
        assert textkit.read_words("f.txt") == ["one", "two", "three"]
    fake.assert_called_once_with("f.txt", encoding="utf-8")


def test_builtins_input_by_monkeypatch(monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": " Y ")
    assert textkit.confirm() is True


def test_stats_approx():
    assert textkit.word_stats("a bb ccc") == pytest.approx({"mean": 2.0, "longest": 3})


def test_approx_list():
    assert textkit.normalize([1, 1, 2]).tolist() == pytest.approx([0.25, 0.25, 0.5])


def test_numpy_array_returned():
    lengths = textkit.lengths_array(["a", "bb"])
    assert isinstance(lengths, np.ndarray) and lengths.dtype.kind == "i"
    np.testing.assert_array_equal(lengths, [1, 2])


def test_numpy_allclose():
    assert np.allclose(textkit.normalize([1, 3]), [0.25, 0.75])


def test_numpy_elementwise():
    assert (textkit.normalize([2, 2]) == 0.5).all()


def test_numpy_arguments():
    assert textkit.dot(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == pytest.approx(11.0)


def test_numpy_scalar_type():
    assert isinstance(textkit.dot(np.ones(2), np.ones(2)), np.floating)


def test_pandas_frame_equal():
    expected = pd.DataFrame({"word": ["b", "a"], "count": [2, 1]})
    pd.testing.assert_frame_equal(word_frame("a b b"), expected)


def test_pandas_frame_columns_and_values():
    frame = word_frame("x y x")
    assert list(frame.columns) == ["word", "count"]
    assert frame.loc[0, "word"] == "x" and frame["count"].sum() == 3


def test_pandas_series_equal():
    pd.testing.assert_series_equal(
        textkit.word_lengths(["hi", "hey"]),
        pd.Series([2, 3], index=["hi", "hey"], name="length"),
    )


def test_pandas_series_methods():
    lengths = textkit.word_lengths(["a", "bbb"])
    assert lengths.max() == 3 and lengths.idxmax() == "bbb"


def test_pandas_frame_as_argument():
    frame = pd.DataFrame({"word": ["a", "b", "c"], "count": [1, 3, 2]})
    top = textkit.top_words(frame, 2)
    assert top["word"].tolist() == ["b", "c"] and list(top.index) == [0, 1]


def test_pandas_index_returned():
    pd.testing.assert_index_equal(textkit.vocabulary("b a b"), pd.Index(["a", "b"]))


def test_caplog_sees_records_at_the_level_the_test_set(caplog):
    import logging

    caplog.set_level(logging.INFO, logger="textkit")
    textkit.log_event("boot")
    assert len(caplog.records) == 1 and "event: boot" in caplog.text


def test_learner_objects_compared_with_eq():
    assert Stack(["a"]) == Stack(["a"])


def test_truth_of_a_learner_object():
    assert not Stack()


def test_random_patched_where_it_is_defined():
    with mock.patch("random.choice", return_value="patched"):
        assert textkit.pick(["a", "b"]) == "patched"
