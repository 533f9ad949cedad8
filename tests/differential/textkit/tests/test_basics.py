"""Plain asserts, parametrize, fixtures, marks, approx, raises, warns, prints."""

import sys

import pytest

import textkit
from textkit import Counter, fib, first_words, mean, parse_int, shout, word_count

SEEN = []  # module-level state shared by the tests below, in file order


@pytest.fixture
def counter():
    return Counter(10)


@pytest.fixture
def journal():
    entries = ["opened"]
    yield entries
    entries.append("closed")
    SEEN.append(list(entries))


@pytest.fixture(params=[1, 2], ids=["one", "two"])
def step(request):
    return request.param


def test_word_count_simple():
    assert word_count("the quick brown fox") == 4


def test_word_count_spaces():
    assert word_count("  many   spaces  here ") == 3


def test_word_count_empty():
    assert word_count("") == 0


def test_shout():
    assert shout("hey") == "HEY!"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), (1, 1), (2, 1), (10, 55), (20, 6765)],
    ids=["zero", "one", "two", "ten", "twenty"],
)
def test_fib(n, expected):
    assert fib(n) == expected


@pytest.mark.parametrize("text", ["kayak", "A man, a plan, a canal: Panama", "été"])
def test_palindromes(text):
    assert textkit.is_palindrome(text)


@pytest.mark.parametrize("text", ["ab", "été!x"], ids=["plain", "accentué"])
def test_not_palindromes(text):
    assert not textkit.is_palindrome(text)


def test_mean_approx():
    assert mean([0.1, 0.2, 0.3]) == pytest.approx(0.2)


def test_mean_empty_raises_with_message():
    with pytest.raises(ValueError, match=r"empty list"):
        mean([])


def test_parse_int_message():
    with pytest.raises(ValueError, match=r"^not a number: 'x1'$"):
        parse_int("x1")


def test_parse_int_value():
    assert parse_int(" 42 ") == 42


def test_legacy_add_warns():
    with pytest.warns(DeprecationWarning, match="deprecated"):
        assert textkit.legacy_add(2, 3) == 5


def test_counter_fixture(counter):
    assert counter.add() == 11
    assert counter.add(5) == 16


def test_counter_steps(counter, step):
    assert counter.add(step) == 10 + step
    assert counter.add(step) == 10 + 2 * step


def test_yield_fixture_first(journal):
    journal.append(textkit.shout("a"))
    assert journal == ["opened", "A!"]


def test_yield_fixture_ran_teardown():
    assert SEEN and SEEN[-1][-1] == "closed"


def test_prints_and_passes(capsys):
    print("checking first_words")
    assert first_words("a b c d e") == ["a", "b", "c"]


def test_prints_and_fails():
    print("about to compare", word_count("x  y"))
    print("to stderr", file=sys.stderr)
    assert word_count("x  y") == 2


def test_ratio_approx():
    assert textkit.ratio(1, 3) == pytest.approx(0.3333, abs=1e-3)


def test_ratio_by_zero():
    with pytest.raises(ZeroDivisionError):
        textkit.ratio(1, 0)


def test_grüße():
    assert textkit.grüße("Zoë") == "Grüße, Zoë!"


@pytest.mark.skip(reason="not graded yet")
def test_skipped():
    assert False


@pytest.mark.skipif(sys.version_info < (3, 0), reason="Python 3 only")
def test_skipif_false_runs():
    assert shout("") == "!"


@pytest.mark.skipif(sys.platform.startswith("linux"), reason="not on Linux")
def test_skipif_true_skips():
    assert False


def test_skip_inside():
    if textkit.GREETING:
        pytest.skip("greeting set")
    assert False


@pytest.mark.xfail(reason="fib is not defined for negatives")
def test_xfail_expected_failure():
    assert fib(-1) == -1


@pytest.mark.xfail(reason="may pass", strict=False)
def test_xfail_that_passes():
    assert fib(3) == 2


@pytest.mark.xfail(reason="must fail", strict=True)
def test_xfail_strict_that_passes():
    assert fib(4) == 3


@pytest.mark.xfail(raises=ZeroDivisionError, reason="known")
def test_xfail_raises():
    textkit.ratio(1, 0)


def test_explicit_fail_when_wrong():
    if shout("x") != "X!":
        pytest.fail("shout must add an exclamation mark")


def test_error_in_fixture_free_code():
    assert textkit.Counter().add(2) + textkit.Counter(1).add(2) == 5


class TestGrouped:
    prefix = "grouped"

    def test_method(self):
        assert first_words("one two") == ["one", "two"]

    @pytest.mark.parametrize("n", [3, 5])
    def test_method_parametrized(self, n):
        assert fib(n) in (2, 5)

    def test_uses_fixture(self, counter):
        assert counter.value == 10
