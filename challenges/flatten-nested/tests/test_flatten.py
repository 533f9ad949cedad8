from flatten import flatten, max_depth


def test_flattens_nested_lists():
    assert flatten([1, [2, [3, [4]]], 5]) == [1, 2, 3, 4, 5]


def test_flattens_tuples_too():
    assert flatten([(1, 2), [3, (4, (5,))]]) == [1, 2, 3, 4, 5]


def test_keeps_strings_whole():
    assert flatten(["ab", ["cd", ["ef"]]]) == ["ab", "cd", "ef"]


def test_depth_one_unpacks_one_level():
    assert flatten([1, [2, [3, [4]]], 5], depth=1) == [1, 2, [3, [4]], 5]


def test_max_depth_counts_levels():
    assert [max_depth([1, 2]), max_depth([1, [2, [3]]]), max_depth([[], [[]]])] == [1, 3, 3]
