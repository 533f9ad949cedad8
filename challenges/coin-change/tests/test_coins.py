import pytest

from coins import count_ways, min_coins


def test_min_coins_for_small_amount():
    assert min_coins(11, [1, 2, 5]) == 3


@pytest.mark.points(2)
def test_min_coins_beats_greedy():
    assert [min_coins(6, [1, 3, 4]), min_coins(30, [1, 15, 25])] == [2, 2]


def test_min_coins_when_impossible():
    assert min_coins(3, [2]) == -1


def test_count_ways_for_small_amount():
    assert count_ways(5, [1, 2, 5]) == 4


def test_count_ways_ignores_order_of_coins():
    # 1+1+1+1, 1+1+2, 2+2, 1+3
    assert count_ways(4, [1, 2, 3]) == 4
