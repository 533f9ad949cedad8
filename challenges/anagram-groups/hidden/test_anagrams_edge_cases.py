from itertools import product

import pytest

from anagrams import anagram_groups, anagrams_of, load_words


@pytest.mark.points(2)
def test_every_group_in_word_list():
    assert anagram_groups(load_words("data/words.txt")) == [
        ["least", "slate", "stale", "steal", "tales", "teals"],
        ["opts", "post", "pots", "spot", "stop", "tops"],
        ["enlist", "inlets", "listen", "silent", "tinsel"],
        ["evil", "live", "veil", "vile"],
        ["acre", "care", "race"],
        ["angel", "angle", "glean"],
        ["art", "rat", "tar"],
        ["below", "bowel", "elbow"],
        ["earth", "hater", "heart"],
        ["parsley", "players", "sparely"],
        ["act", "cat"],
        ["cheap", "peach"],
        ["dusty", "study"],
        ["lemon", "melon"],
        ["night", "thing"],
        ["note", "tone"],
        ["save", "vase"],
        ["state", "taste"],
    ]


def test_repeated_word_alone_is_not_a_group():
    assert anagram_groups(["stop", "stop", "tops", "cat", "cat"]) == [["stop", "tops"]]


def test_no_groups_in_empty_or_anagram_free_lists():
    assert [anagram_groups([]), anagram_groups(["one", "two", "three"])] == [[], []]


def test_anagrams_of_ignores_case_and_repeats():
    words = ["enlist", "Inlets", "silent", "enlist", "tinsel", "listen"]
    assert anagrams_of("SILENT", words) == ["enlist", "inlets", "listen", "tinsel"]


def test_anagrams_of_word_without_anagrams_is_empty():
    assert [anagrams_of("zebra", load_words()), anagrams_of("cat", [])] == [[], []]


@pytest.mark.points(2)
def test_large_word_list_is_grouped_quickly():
    # All 10,000 four-letter strings over a..j: every multiset of letters that has at
    # least two different arrangements is a group (715 multisets minus the 10 "aaaa").
    words = ["".join(p) for p in product("abcdefghij", repeat=4)]
    groups = anagram_groups(words)
    summary = (len(groups), groups[0][:3], len(groups[0]), groups[-1])
    assert summary == (705, ["abcd", "abdc", "acbd"], 24, ["ijjj", "jijj", "jjij", "jjji"])
