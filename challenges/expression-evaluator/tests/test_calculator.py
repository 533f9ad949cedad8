from calculator import evaluate


def test_single_number():
    assert [evaluate("42"), evaluate(" 7 ")] == [42, 7]


def test_subtraction_goes_left_to_right():
    assert evaluate("10 - 4 - 3") == 3


def test_multiplication_before_addition():
    assert evaluate("2 + 3 * 4") == 14


def test_parentheses_come_first():
    assert evaluate("(2 + 3) * 4") == 20


def test_division_gives_a_float():
    assert [evaluate("7 / 2"), evaluate("8 / 4 / 2")] == [3.5, 1.0]
