"""unittest assertions on learner objects, iteration and values (the hidden phase)."""

import unittest

import numpy as np

import textkit


class TestObjects(unittest.TestCase):
    def setUp(self):
        self.stack = textkit.Stack(["x", "y"])

    def test_is_instance(self):
        self.assertIsInstance(self.stack, textkit.Stack)

    def test_in(self):
        self.assertIn("x", self.stack)

    def test_iteration_order(self):
        self.assertEqual(list(self.stack), ["y", "x"])

    def test_raises_learner_exception(self):
        self.stack.pop()
        self.stack.pop()
        with self.assertRaisesRegex(ValueError, "empty"):
            self.stack.pop()

    def test_count_equal_words(self):
        self.assertCountEqual(textkit.word_frame("q r q")["word"].tolist(), ["r", "q"])

    def test_array_almost_equal(self):
        np.testing.assert_array_almost_equal(textkit.normalize([1, 2, 1]), [0.25, 0.5, 0.25])

    def test_chunks(self):
        self.assertEqual(list(textkit.chunks([1, 2, 3], 2)), [[1, 2], [3]])
