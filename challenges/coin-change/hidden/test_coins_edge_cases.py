import pytest

from coins import count_ways, min_coins


def accepted(function, calls):
    """The argument tuples for which ``function`` did not raise ValueError."""
    out = []
    for args in calls:
        try:
            function(*args)
        except ValueError:
            continue
        out.append(args)
    return out


def test_paying_zero():
    results = [min_coins(0, [1, 2]), count_ways(0, [1, 2]), min_coins(0, []), count_ways(0, [])]
    assert results == [0, 1, 0, 1]


def test_no_coins_at_all():
    assert [min_coins(5, []), count_ways(5, [])] == [-1, 0]


def test_repeated_coin_values_count_once():
    assert [count_ways(5, [1, 1, 2, 5, 5]), min_coins(5, [2, 2, 1])] == [4, 3]


def test_rejects_negative_amounts_and_bad_coins():
    bad = [(-1, [1, 2]), (5, [0, 1]), (5, [3, -2])]
    assert (accepted(min_coins, bad), accepted(count_ways, bad)) == ([], [])


@pytest.mark.points(3)
def test_min_coins_for_large_amounts():
    results = [
        min_coins(10_000, [7, 13, 29, 31, 37]),
        min_coins(9_973, [37, 41, 43, 47]),
        min_coins(9_999, [10, 20]),
    ]
    assert results == [272, 213, -1]


@pytest.mark.points(3)
def test_count_ways_for_large_amount():
    assert count_ways(10_000, [1, 5, 10, 25, 50, 100]) == 139_946_140_451
