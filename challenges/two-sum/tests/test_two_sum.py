from two_sum import two_sum


def test_finds_pair_in_small_list():
    assert two_sum([2, 7, 11, 15], 9) == (0, 1)


def test_finds_pair_that_is_not_at_the_start():
    assert two_sum([3, 2, 4], 6) == (1, 2)


def test_handles_duplicate_values():
    assert two_sum([3, 3], 6) == (0, 1)


def test_returns_none_when_there_is_no_pair():
    assert two_sum([1, 2, 3], 100) is None
