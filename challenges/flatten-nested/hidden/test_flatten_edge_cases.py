import pytest

from flatten import flatten, max_depth


def test_every_depth_limit():
    nested = [1, [2, [3, [4]]]]
    results = [flatten(nested, depth=d) for d in (0, 1, 2, 3, 10)]
    assert results == [
        [1, [2, [3, [4]]]],
        [1, 2, [3, [4]]],
        [1, 2, 3, [4]],
        [1, 2, 3, 4],
        [1, 2, 3, 4],
    ]


def test_negative_depth_raises_value_error():
    with pytest.raises(ValueError):
        flatten([1, [2]], depth=-1)


def test_other_values_stay_whole():
    items = [b"xy", {"a": [1, 2]}, None, {3, 4}, ("s", [0.5, True])]
    assert flatten(items) == [b"xy", {"a": [1, 2]}, None, {3, 4}, "s", 0.5, True]


def test_returns_a_new_list_and_leaves_input_alone():
    inner = [2, 3]
    items = [1, inner]
    copy = flatten(items, depth=0)
    copy.append("extra")
    flat = flatten(items)
    assert (items, inner, flat) == ([1, [2, 3]], [2, 3], [1, 2, 3])


def test_max_depth_of_values_that_are_not_lists():
    assert [max_depth(7), max_depth("abc"), max_depth({"a": [1]}), max_depth([])] == [0, 0, 0, 1]


@pytest.mark.points(2)
def test_deep_and_wide_nesting():
    deep = [0]
    for i in range(1, 200):
        deep = [i, deep]
    wide = [list(range(k * 100, k * 100 + 100)) for k in range(1000)]
    flat = flatten(wide)
    summary = (flatten(deep), max_depth(deep), len(flat), flat[:3], flat[-1], max_depth(wide))
    assert summary == (list(range(199, -1, -1)), 200, 100_000, [0, 1, 2], 99_999, 2)
