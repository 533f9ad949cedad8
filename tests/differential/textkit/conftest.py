# This directory is a challenge: its tests run against a learner's module (in
# tests/test_differential.py), not as part of the project's own test suite.
collect_ignore_glob = ["*"]
