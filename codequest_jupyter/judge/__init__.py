"""The judge: tests run outside the learner's process (docstring completed below)."""

from .driver import JudgeError, JudgeRun, run_judge

__all__ = ["JudgeError", "JudgeRun", "run_judge"]
