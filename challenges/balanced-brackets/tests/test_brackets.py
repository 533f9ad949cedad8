from brackets import first_error, is_balanced


def test_empty_text_is_balanced():
    assert is_balanced("") == True


def test_nested_brackets_are_balanced():
    assert is_balanced("{ data: [ f(x), g(y[0]) ] }") == True


def test_closing_before_opening_is_not_balanced():
    assert is_balanced(")(") == False


def test_crossed_brackets_are_not_balanced():
    assert is_balanced("([)]") == False


def test_first_error_points_at_stray_closer():
    assert first_error("call(x))") == 7
