import pytest

from fizzbuzz import fizzbuzz


def test_zero_gives_empty_list():
    assert fizzbuzz(0) == []


def test_one_gives_single_number():
    assert fizzbuzz(1) == ["1"]


def test_negative_n_raises_value_error():
    with pytest.raises(ValueError):
        fizzbuzz(-3)


def test_returns_strings_only():
    assert {type(item) for item in fizzbuzz(20)} == {str}


@pytest.mark.points(2)
def test_counts_in_long_sequence():
    result = fizzbuzz(3000)
    counts = {word: result.count(word) for word in ("Fizz", "Buzz", "FizzBuzz")}
    assert (len(result), counts) == (3000, {"Fizz": 800, "Buzz": 400, "FizzBuzz": 200})
    assert result[-3:] == ["2998", "2999", "FizzBuzz"]
