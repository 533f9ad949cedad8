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
# Try it
print(shout("hello"), word_count("a b c"), fib(10))
