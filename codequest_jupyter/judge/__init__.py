"""The judge: tests run outside the learner's process (docstring completed below)."""

from .driver import JudgeError, JudgeProcess, JudgeRun, run_judge

__all__ = ["JudgeError", "JudgeProcess", "JudgeRun", "run_judge"]
