from brackets import first_error, is_balanced


def test_ignores_other_characters():
    code = 'if (a[i] > 0) { print("ok", b[:2]); }'
    assert [is_balanced(code), is_balanced("no brackets at all")] == [True, True]


def test_first_error_is_none_when_balanced():
    assert [first_error(""), first_error("a(b)c[d]{e}")] == [None, None]


def test_first_error_at_mismatched_closer():
    assert first_error("[ ( ] )") == 4


def test_first_error_at_first_unclosed_opener():
    assert [first_error("{ [ ()"), first_error("ok ( ( )")] == [0, 3]


def test_unclosed_opener_after_balanced_part():
    assert [is_balanced("()[]{"), first_error("()[]{")] == [False, 4]


def test_very_deep_nesting():
    depth = 50_000
    text = "([{" * depth + "}])" * depth
    assert [is_balanced(text), first_error(text), first_error(text + ")")] == [True, None, 6 * depth]
