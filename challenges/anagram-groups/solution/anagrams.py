from collections import defaultdict


def load_words(path="data/words.txt"):
    """The words of a word-list file: stripped, lower-cased, without blanks or comments."""
    words = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word = line.strip()
            if word and not word.startswith("#"):
                words.append(word.lower())
    return words


def _key(word):
    return "".join(sorted(word.lower()))


def anagrams_of(word, words):
    """The other words of ``words`` made of the same letters as ``word``, sorted."""
    word = word.lower()
    key = _key(word)
    return sorted({w.lower() for w in words if w.lower() != word and _key(w) == key})


def anagram_groups(words):
    """Groups of 2+ distinct anagrams, largest first, ties by first word."""
    by_key = defaultdict(set)
    for w in words:
        by_key[_key(w)].add(w)
    groups = [sorted(g) for g in by_key.values() if len(g) > 1]
    return sorted(groups, key=lambda g: (-len(g), g[0]))
