import pytest

from roman import from_roman, to_roman


def accepted(function, inputs):
    """The inputs for which ``function`` did not raise ValueError."""
    out = []
    for value in inputs:
        try:
            function(value)
        except ValueError:
            continue
        out.append(value)
    return out


def test_largest_number():
    assert [to_roman(3999), from_roman("MMMCMXCIX")] == ["MMMCMXCIX", 3999]


@pytest.mark.points(2)
def test_round_trip_of_every_number():
    wrong = [n for n in range(1, 4000) if from_roman(to_roman(n)) != n]
    assert wrong == []


def test_to_roman_rejects_numbers_out_of_range():
    assert accepted(to_roman, [-1, 4000, 10_000]) == []


def test_from_roman_rejects_non_standard_spellings():
    assert accepted(from_roman, ["IIII", "VV", "IC", "XM", "MMMM", "IVI", "XCX", "CMM"]) == []


def test_from_roman_rejects_other_text():
    assert accepted(from_roman, ["", "xiv", "ABC", "X I", "12"]) == []
