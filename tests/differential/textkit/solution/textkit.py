# %%
import logging
import os
import random
import sys
import time
import warnings

log = logging.getLogger("textkit")
GREETING = "Hello"
MAX_WORDS = 3
CALLS = []

# %%
def word_count(text):
    return len(text.split())


def shout(text):
    return text.upper() + "!"


def first_words(text):
    return text.split()[:MAX_WORDS]


def greet(name):
    return f"{GREETING}, {name}"


def env_greeting():
    return os.environ.get("TEXTKIT_GREETING", "Hi")


# %%
def count_lines(path):
    with open(path, encoding="utf-8") as fh:
        return sum(1 for _ in fh)


def save_words(path, words):
    with open(path, "w", encoding="utf-8") as fh:
        for word in words:
            fh.write(word + "\n")
    return len(words)


def ask_name():
    return input("Your name? ").strip().title()


def roll():
    return random.randint(1, 6)


def slow_double(x):
    time.sleep(30)
    return 2 * x


# %%
def mean(xs):
    if not xs:
        raise ValueError("mean of an empty list")
    return sum(xs) / len(xs)


def parse_int(text):
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None


def legacy_add(a, b):
    warnings.warn("legacy_add is deprecated, use +", DeprecationWarning, stacklevel=2)
    return a + b


def report(items):
    for item in items:
        print(f"- {item}")
    print(f"{len(items)} items", file=sys.stderr)
    return len(items)


def shout_raw(text):
    os.write(1, (text.upper() + "\n").encode())


def log_event(message):
    log.warning("event: %s", message)
    return True


def record(item):
    CALLS.append(item)
    return len(CALLS)


# %%
class Counter:
    def __init__(self, start=0):
        self.value = start

    def add(self, step=1):
        self.value += step
        return self.value


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def is_palindrome(text):
    cleaned = [c.casefold() for c in text if c.isalnum()]
    return cleaned == cleaned[::-1]


def grüße(name):
    return f"Grüße, {name}!"


def ratio(a, b):
    return a / b


# %%
import numpy as np
import pandas as pd


class TextError(ValueError):
    """A text the kit cannot work with."""


class Stack:
    def __init__(self, items=()):
        self.items = list(items)

    def push(self, item):
        self.items.append(item)
        return len(self.items)

    def pop(self):
        if not self.items:
            raise TextError("pop from an empty stack")
        return self.items.pop()

    @property
    def size(self):
        return len(self.items)

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items[::-1])

    def __contains__(self, item):
        return item in self.items

    def __eq__(self, other):
        return isinstance(other, Stack) and self.items == other.items

    def __repr__(self):
        return f"Stack({self.items!r})"


class Document:
    def __init__(self, title, words=()):
        self.title = title
        self.words = list(words)
        self.meta = {"length": len(self.words)}

    def summary(self):
        print(f"{self.title}: {len(self.words)} words")
        return self.title.upper()

    @classmethod
    def from_text(cls, title, text):
        return cls(title, text.split())

    @staticmethod
    def tokenize(text):
        return text.lower().split()


class Recorder:
    def __init__(self):
        self.entries = []
        self.open = False

    def __enter__(self):
        self.open = True
        return self

    def __exit__(self, exc_type, exc, tb):
        self.open = False
        self.entries.append("closed")
        return exc_type is not None and issubclass(exc_type, TextError)

    def write(self, text):
        if not self.open:
            raise TextError("the recorder is closed")
        self.entries.append(text)


def guarded(cm, fn, *args):
    """fn(*args) inside ``with cm``; None when cm suppressed its error."""
    with cm:
        return fn(*args)
    return None


def chunks(words, size):
    for start in range(0, len(words), size):
        yield words[start : start + size]


def transform(words, fn):
    return [fn(word) for word in words]


def count_if(words, predicate):
    return sum(1 for word in words if predicate(word))


def safe_apply(fn, value, default=None):
    try:
        return fn(value)
    except ValueError:
        return default


def pick(words):
    return random.choice(words)


def read_words(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read().split()


def confirm():
    return input("Sure? [y/n] ").strip().lower() == "y"


def word_stats(text):
    words = text.split()
    return {"mean": sum(map(len, words)) / len(words), "longest": max(map(len, words))}


def lengths_array(words):
    return np.array([len(w) for w in words])


def normalize(values):
    values = np.asarray(values, dtype=float)
    return values / values.sum()


def dot(a, b):
    return np.dot(a, b)


def word_frame(text):
    counts = pd.Series(text.split()).value_counts()
    frame = pd.DataFrame({"word": counts.index.tolist(), "count": counts.tolist()})
    return frame.sort_values(["count", "word"], ascending=[False, True], ignore_index=True)


def word_lengths(words):
    return pd.Series([len(w) for w in words], index=words, name="length")


def top_words(frame, n):
    return frame.sort_values("count", ascending=False).head(n).reset_index(drop=True)


def vocabulary(text):
    return pd.Index(sorted(set(text.split())))


# %%
# Changing the caller's lists, dicts, sets and bytearrays in place; exceptions handed in.
def sort_words_in_place(words):
    words.sort()


def tally_into(counts, text):
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1


def add_word(words, word):
    words.append(word)


def collect_vowels(seen, text):
    seen.update(c for c in text if c in "aeiou")


def capitalize_bytes(data):
    data[:] = data.upper()


def fill_row(grid, row, char):
    grid[row][:] = [char] * len(grid[row])


def index_words(index, text):
    for word in text.split():
        index.setdefault(word[0], []).append(word)


def strip_all(words):
    for i, word in enumerate(words):
        words[i] = word.strip()


def pop_first(words):
    return words.pop(0)


def add_then_fail(words):
    words.append("partial")
    raise ValueError("stopped after one")


class Shelf:
    def __init__(self, books):
        books.sort()
        self.books = list(books)

    def lend(self, borrowed, title):
        self.books.remove(title)
        borrowed.append(title)


def error_message(err):
    return f"{type(err).__name__}: {err}"


def raise_it(err):
    raise err


def first_key_error(fn, key):
    try:
        return fn(key)
    except KeyError as exc:
        return exc.args[0]


def collect_with(hook):
    found = []
    hook(found)
    return sorted(found)


# %%
# Try it
print(shout("hello"), word_count("a b c"), fib(10))
