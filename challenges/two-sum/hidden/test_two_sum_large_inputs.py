import pytest

from two_sum import two_sum

N = 200_000


def test_handles_negative_numbers_and_zero_target():
    assert two_sum([-4, 8, 1, -1, 9], 0) == (2, 3)


def test_uses_each_position_only_once():
    assert [two_sum([5], 10), two_sum([5, 1], 10), two_sum([], 0)] == [None, None, None]


@pytest.mark.points(2)
def test_large_input_with_pair_at_the_end_runs_fast():
    nums = list(range(1, 2 * N, 2))  # N distinct odd numbers, ascending
    target = nums[-2] + nums[-1]  # only the two largest reach this sum
    assert two_sum(nums, target) == (N - 2, N - 1)


@pytest.mark.points(2)
def test_large_input_without_pair_runs_fast():
    nums = list(range(0, 2 * N, 2))  # even numbers never sum to an odd target
    assert two_sum(nums, 1) is None


@pytest.mark.points(2)
def test_large_input_with_pair_far_apart_runs_fast():
    # Descending multiples of 3, plus one number that is 1 more than a multiple of 3 at
    # the very end: the only pair is (that number, the multiple of 3 that completes it).
    nums = [3 * k for k in range(N, 0, -1)] + [7]
    target = 7 + 3 * 50_000
    assert two_sum(nums, target) == (N - 50_000, N)
