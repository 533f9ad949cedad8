from anagrams import anagram_groups, anagrams_of, load_words


def test_load_words_skips_comments_and_blank_lines():
    words = load_words("data/words.txt")
    assert (len(words), words[:3], words[-2:]) == (149, ["able", "acre", "act"], ["stop", "silent"])


def test_load_words_strips_and_lowercases():
    words = load_words()  # the default path is data/words.txt
    messy = [w for w in words if w != w.strip().lower() or w == ""]
    assert (messy, "elbow" in words, "listen" in words) == ([], True, True)


def test_anagrams_of_listen():
    words = ["enlist", "google", "inlets", "banana", "silent", "listen"]
    assert anagrams_of("listen", words) == ["enlist", "inlets", "silent"]


def test_groups_in_small_list():
    words = ["pots", "tops", "cat", "dog", "act", "stop", "tops"]
    assert anagram_groups(words) == [["pots", "stop", "tops"], ["act", "cat"]]


def test_largest_groups_in_word_list():
    groups = anagram_groups(load_words("data/words.txt"))
    assert groups[:2] == [
        ["least", "slate", "stale", "steal", "tales", "teals"],
        ["opts", "post", "pots", "spot", "stop", "tops"],
    ]
