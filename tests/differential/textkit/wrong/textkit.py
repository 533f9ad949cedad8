# %%
import logging
import os
import random
import sys
import time

log = logging.getLogger("textkit")
GREETING = "Hello"
MAX_WORDS = 3
CALLS = []

# %%
def word_count(text):
    return len(text.split(" "))  # wrong on runs of spaces and empty text


def shout(text):
    return text.upper()  # forgets the "!"


def first_words(text):
    return text.split()[:3]  # ignores MAX_WORDS


def greet(name):
    return f"Hello, {name}"  # ignores GREETING


def env_greeting():
    return "Hi"  # ignores the environment


# %%
def count_lines(path):
    with open(path, encoding="utf-8") as fh:
        return len(fh.read().split("\n"))  # counts the empty last "line"


def save_words(path, words):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(" ".join(words))
    return len(words)


def ask_name():
    return input("Your name? ")  # no clean-up


def roll():
    return random.randint(0, 6)


def slow_double(x):
    time.sleep(30)
    return x + x


# %%
def mean(xs):
    return sum(xs) / len(xs)  # ZeroDivisionError on []


def parse_int(text):
    return int(text)  # the default message


def legacy_add(a, b):
    return a + b  # no warning


def report(items):
    for item in items:
        print(item)
    return len(items)


def shout_raw(text):
    print(text.upper())


def log_event(message):
    log.info("event: %s", message)
    return True


def record(item):
    CALLS.append(item)
    return len(CALLS)


# %%
class Counter:
    def __init__(self, start=0):
        self.value = start

    def add(self, step=1):
        self.value = step
        return self.value


def fib(n):
    if n < 2:
        return 1
    return fib(n - 1) + fib(n - 2)


def is_palindrome(text):
    return text == text[::-1]


def ratio(a, b):
    return round(a / b, 1)


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
        return self.items.pop()  # IndexError on an empty stack

    @property
    def size(self):
        return len(self.items)

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)  # bottom-up

    def __contains__(self, item):
        return item in self.items

    def __eq__(self, other):
        return isinstance(other, Stack) and self.items == other.items

    def __repr__(self):
        return f"<Stack of {len(self.items)}>"


class Document:
    def __init__(self, title, words=()):
        self.title = title
        self.words = words  # keeps the caller's sequence
        self.meta = {}

    def summary(self):
        print(f"{self.title}")
        return self.title

    @classmethod
    def from_text(cls, title, text):
        return cls(title, text.split(" "))

    @staticmethod
    def tokenize(text):
        return text.split()


class Recorder:
    def __init__(self):
        self.entries = []
        self.open = False

    def __enter__(self):
        self.open = True
        return self

    def __exit__(self, exc_type, exc, tb):
        self.entries.append("closed")  # stays open, suppresses nothing
        return False

    def write(self, text):
        self.entries.append(text)


def guarded(cm, fn, *args):
    return fn(*args)  # never enters cm


def chunks(words, size):
    for start in range(0, len(words) - size + 1, size):  # drops a short last chunk
        yield words[start : start + size]


def transform(words, fn):
    return [fn(word) for word in words if word]


def count_if(words, predicate):
    return sum(1 for word in words if predicate(word)) + 0 * len(words[:1])


def safe_apply(fn, value, default=None):
    return fn(value)  # lets the callback's error through


def pick(words):
    return words[0]


def read_words(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read().split(" ")


def confirm():
    return input("Sure? [y/n] ") == "y"


def word_stats(text):
    words = text.split()
    return {"mean": len(text) / len(words), "longest": max(map(len, words))}


def lengths_array(words):
    return [len(w) for w in words]


def normalize(values):
    values = np.asarray(values, dtype=float)
    return values / values.max()


def dot(a, b):
    return float(sum(a * b))


def word_frame(text):
    counts = pd.Series(text.split()).value_counts(sort=False)
    return pd.DataFrame({"word": counts.index.tolist(), "count": counts.tolist()})


def word_lengths(words):
    return pd.Series([len(w) for w in words], index=words)


def top_words(frame, n):
    return frame.head(n)


def vocabulary(text):
    return pd.Index(text.split())


# %%
# Changing the caller's lists, dicts, sets and bytearrays in place; exceptions handed in.
def sort_words_in_place(words):
    return sorted(words)


def tally_into(counts, text):
    for word in text.split():
        counts[word] = 1


def add_word(words, word):
    words = words + [word]


def collect_vowels(seen, text):
    return {c for c in text if c in "aeiou"}


def capitalize_bytes(data):
    return data.upper()


def fill_row(grid, row, char):
    grid[row] = [char] * len(grid[row])


def index_words(index, text):
    for word in text.split():
        index[word[0]] = [word]


def strip_all(words):
    words = [word.strip() for word in words]


def pop_first(words):
    return words[0]


def add_then_fail(words):
    raise ValueError("stopped after one")


class Shelf:
    def __init__(self, books):
        self.books = sorted(books)

    def lend(self, borrowed, title):
        self.books.remove(title)


def error_message(err):
    return str(err)


def raise_it(err):
    raise RuntimeError(str(err))


def first_key_error(fn, key):
    try:
        return fn(key)
    except KeyError as exc:
        return str(exc)


def collect_with(hook):
    found = []
    hook(list(found))
    return found


# %%
# Try it
print(shout("hello"), word_count("a b c"), fib(10))
