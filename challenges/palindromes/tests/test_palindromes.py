import unittest

from palindromes import is_palindrome


class SimpleWords(unittest.TestCase):
    def test_palindrome_word_is_accepted(self):
        self.assertEqual(is_palindrome("level"), True)

    def test_other_word_is_rejected(self):
        self.assertEqual(is_palindrome("python"), False)

    def test_ignores_case(self):
        self.assertEqual(is_palindrome("Racecar"), True)


class Sentences(unittest.TestCase):
    def test_ignores_spaces_and_punctuation(self):
        self.assertEqual(is_palindrome("A man, a plan, a canal: Panama!"), True)

    def test_sentence_that_is_not_a_palindrome(self):
        self.assertEqual(is_palindrome("A man, a plan, a canal: Suez!"), False)
