import pytest

from roman import from_roman, to_roman


def test_writes_small_numbers():
    assert [to_roman(n) for n in (1, 2, 3, 5, 8, 16)] == ["I", "II", "III", "V", "VIII", "XVI"]


def test_writes_subtractive_pairs():
    assert [to_roman(n) for n in (4, 9, 40, 90, 400, 900)] == ["IV", "IX", "XL", "XC", "CD", "CM"]


def test_writes_years():
    assert [to_roman(1994), to_roman(2024)] == ["MCMXCIV", "MMXXIV"]


def test_reads_numerals():
    assert [from_roman("XVI"), from_roman("MCMXCIV"), from_roman("MMXXIV")] == [16, 1994, 2024]


def test_to_roman_rejects_zero():
    with pytest.raises(ValueError):
        to_roman(0)
