import unittest

from palindromes import is_palindrome


class EdgeCases(unittest.TestCase):
    def test_empty_text_is_a_palindrome(self):
        self.assertEqual(is_palindrome(""), True)

    def test_text_without_letters_or_digits_is_a_palindrome(self):
        self.assertEqual(is_palindrome("?! -- ..."), True)

    def test_digits_count_like_letters(self):
        self.assertEqual(
            [is_palindrome("12321"), is_palindrome("1-2-3-2-1"), is_palindrome("12 34")],
            [True, True, False],
        )

    def test_one_and_two_characters(self):
        self.assertEqual([is_palindrome("x"), is_palindrome("aA"), is_palindrome("ab")], [True, True, False])


class LongTexts(unittest.TestCase):
    def test_long_sentence_palindrome(self):
        half = "Step on no pets, " * 20_000
        text = half + "X" + half[::-1]
        self.assertEqual(is_palindrome(text), True)

    def test_long_text_with_one_wrong_character(self):
        half = "Never odd or even. " * 20_000
        text = half + "Q" + half[::-1].replace("N", "M", 1)
        self.assertEqual(is_palindrome(text), False)
