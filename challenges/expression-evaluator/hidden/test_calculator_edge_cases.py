import pytest

from calculator import evaluate


def accepted(expressions):
    """The expressions ``evaluate`` did not reject with ValueError."""
    out = []
    for text in expressions:
        try:
            evaluate(text)
        except ValueError:
            continue
        out.append(text)
    return out


def test_power_groups_right_to_left():
    assert [evaluate("2 ^ 3 ^ 2"), evaluate("(2 ^ 3) ^ 2"), evaluate("2 * 3 ^ 2")] == [512, 64, 18]


def test_unary_plus_and_minus():
    results = [evaluate(t) for t in ("-3 + 5", "2 * -3", "--4", "-2 ^ 2", "2 ^ -1", "+(1 - 3)")]
    assert results == [2, -6, 4, -4, 0.5, -2]


def test_decimal_numbers():
    assert (evaluate("1.5 * 4"), evaluate("-(1.5 + 2.5) / 8"), evaluate("0.1 + 0.2")) == (
        6.0,
        -0.5,
        pytest.approx(0.3),
    )


def test_division_by_zero_raises_zero_division_error():
    with pytest.raises(ZeroDivisionError):
        evaluate("1 / (2 - 2)")


@pytest.mark.points(2)
def test_rejects_malformed_expressions():
    bad = [
        "", "   ", "2 +", "(1 + 2", "1 + 2)", "1 2", "* 3", "2 ** 3", "()", "3.",
        "4 ^", "abc", "2 + x", "__import__('os')",
    ]
    assert accepted(bad) == []


@pytest.mark.points(2)
def test_long_and_deeply_nested_expressions():
    long_sum = " + ".join(f"{i} * {i % 7} - {i % 5}" for i in range(2000))
    nested = "(" * 40 + "2" + ")" * 40
    chain = "1" + " - 1" * 5000
    assert [evaluate(long_sum), evaluate(nested), evaluate(chain)] == [
        sum(i * (i % 7) - i % 5 for i in range(2000)),
        2,
        -4999,
    ]
