"""unittest idioms, run by pytest (the hidden phase)."""

import unittest
import warnings
from unittest import mock

import textkit


class TestWithSetUp(unittest.TestCase):
    def setUp(self):
        self.counter = textkit.Counter(1)
        self.log = []

    def tearDown(self):
        self.log.append("down")

    def test_add(self):
        self.assertEqual(self.counter.add(2), 3)

    def test_add_twice(self):
        self.counter.add()
        self.assertEqual(self.counter.add(), 3)

    def test_almost_equal(self):
        self.assertAlmostEqual(textkit.mean([1, 2, 2]), 1.6667, places=3)

    def test_raises(self):
        with self.assertRaises(ValueError):
            textkit.mean([])

    def test_raises_regex(self):
        with self.assertRaisesRegex(ValueError, "not a number"):
            textkit.parse_int("zz")

    def test_warns(self):
        with self.assertWarns(DeprecationWarning):
            textkit.legacy_add(1, 1)

    def test_subtests(self):
        for n, want in [(1, 1), (5, 5), (7, 13)]:
            with self.subTest(n=n):
                self.assertEqual(textkit.fib(n), want)

    @unittest.skip("not today")
    def test_skipped(self):
        self.fail("skipped")

    def test_skip_test(self):
        self.skipTest("skipped from inside")

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(textkit.shout("a"), "a")

    @mock.patch("textkit.input", create=True, return_value="bob")
    def test_patch_decorator(self, fake_input):
        self.assertEqual(textkit.ask_name(), "Bob")
        fake_input.assert_called_once()


class TestWithClassSetUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.words = textkit.first_words("alpha beta gamma delta")

    def test_words(self):
        self.assertEqual(self.words, ["alpha", "beta", "gamma"])

    def test_count(self):
        self.assertEqual(len(self.words), textkit.MAX_WORDS)


class TestBrokenSetUp(unittest.TestCase):
    def setUp(self):
        self.value = textkit.ratio(1, 0) if textkit.shout("") != "!" else 1

    def test_after_setup(self):
        self.assertEqual(self.value, 1)


class TestWarningsAsErrors(unittest.TestCase):
    def test_no_warning_filter_leak(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            self.assertEqual(textkit.word_count("a b"), 2)
