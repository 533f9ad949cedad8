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
# Try it
print(shout("hello"), word_count("a b c"), fib(10))
