import pytest

from fizzbuzz import fizzbuzz


def test_plain_numbers_stay_numbers():
    assert fizzbuzz(2) == ["1", "2"]


def test_multiples_of_three_say_fizz():
    result = fizzbuzz(9)
    assert [result[2], result[5], result[8]] == ["Fizz", "Fizz", "Fizz"]


def test_multiples_of_five_say_buzz():
    result = fizzbuzz(10)
    assert [result[4], result[9]] == ["Buzz", "Buzz"]


@pytest.mark.points(2)
def test_multiples_of_fifteen_say_fizzbuzz():
    result = fizzbuzz(30)
    assert [result[14], result[29]] == ["FizzBuzz", "FizzBuzz"]


@pytest.mark.points(2)
def test_first_fifteen():
    assert fizzbuzz(15) == [
        "1", "2", "Fizz", "4", "Buzz", "Fizz", "7", "8",
        "Fizz", "Buzz", "11", "Fizz", "13", "14", "FizzBuzz",
    ]
