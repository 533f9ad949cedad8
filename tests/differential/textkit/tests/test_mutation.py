"""Learner code that changes the test's containers in place, and exceptions handed to it."""

import unittest
from unittest import mock

import pytest

from textkit import (
    Shelf,
    add_then_fail,
    add_word,
    capitalize_bytes,
    collect_vowels,
    collect_with,
    error_message,
    fill_row,
    first_key_error,
    index_words,
    pop_first,
    raise_it,
    sort_words_in_place,
    strip_all,
    tally_into,
    transform,
)


def test_sort_in_place_returns_none_and_sorts():
    words = ["pear", "apple", "fig"]
    alias = words
    assert sort_words_in_place(words) is None
    assert words == ["apple", "fig", "pear"]
    assert alias is words


def test_tally_into_an_existing_dict():
    counts = {"a": 1}
    tally_into(counts, "a b a")
    assert counts == {"a": 3, "b": 1}


def test_add_word_appends_to_the_callers_list():
    words = ["a"]
    add_word(words, "b")
    assert words == ["a", "b"]


def test_collect_vowels_into_a_set():
    seen = {"e"}
    collect_vowels(seen, "banana")
    assert seen == {"a", "e"}


def test_capitalize_a_bytearray():
    data = bytearray(b"quiet")
    capitalize_bytes(data)
    assert data == bytearray(b"QUIET")


def test_fill_a_row_of_a_grid():
    grid = [["."] * 3 for _ in range(3)]
    middle = grid[1]
    fill_row(grid, 1, "#")
    assert grid == [[".", ".", "."], ["#", "#", "#"], [".", ".", "."]]
    assert middle is grid[1] and middle == ["#", "#", "#"]


def test_index_words_into_lists_inside_a_dict():
    index = {"a": ["ant"]}
    a_words = index["a"]
    index_words(index, "axe bee")
    assert index == {"a": ["ant", "axe"], "b": ["bee"]}
    assert a_words == ["ant", "axe"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [([" a ", "b "], ["a", "b"]), ([], []), (["\tc\n"], ["c"])],
    ids=["two", "none", "whitespace"],
)
def test_strip_all_in_place(words, expected):
    strip_all(words)
    assert words == expected


def test_pop_first_returns_and_removes():
    words = ["a", "b"]
    assert pop_first(words) == "a"
    assert words == ["b"]


def test_a_change_before_an_exception_is_kept():
    words = ["x"]
    with pytest.raises(ValueError, match="after one"):
        add_then_fail(words)
    assert words == ["x", "partial"]


def test_a_constructor_and_a_method_change_their_arguments():
    books = ["b", "a", "c"]
    shelf = Shelf(books)
    assert books == ["a", "b", "c"]
    borrowed = []
    shelf.lend(borrowed, "a")
    assert borrowed == ["a"] and shelf.books == ["b", "c"]


def test_an_argument_learner_code_only_reads_is_unchanged():
    words = ["a", "b"]
    assert transform(words, str.upper) == ["A", "B"]
    assert words == ["a", "b"]


def test_an_exception_instance_handed_to_learner_code():
    assert error_message(ValueError("bad input")) == "ValueError: bad input"


def test_an_exception_instance_raised_by_learner_code():
    with pytest.raises(KeyError, match="k"):
        raise_it(KeyError("k"))


def test_a_mock_whose_side_effect_is_an_exception():
    lookup = mock.Mock(side_effect=KeyError("missing"))
    assert first_key_error(lookup, "x") == "missing"
    lookup.assert_called_once_with("x")


def test_a_callback_fills_the_learners_list():
    def hook(found):
        found.extend(["b", "a"])

    assert collect_with(hook) == ["a", "b"]


class TestInPlace(unittest.TestCase):
    def setUp(self):
        self.words = ["b", "a"]

    def test_sorts_the_fixture_list(self):
        sort_words_in_place(self.words)
        self.assertEqual(self.words, ["a", "b"])
