"""Judge one notebook outside the grading engine: a fresh kernel runs its cells, then
the judge runs the challenge's tests against it.

What ``codequest validate`` uses to grade a reference solution in the judge (next to
the in-kernel grading it already does) and what the compatibility corpus
(``tests/test_differential.py``) compares with plain pytest. The kernel is started,
confined and prepared as the engine prepares one (the same prepare cell, work
directory and starter files); its cells run one by one, a failing cell does not stop
the others, and nothing a cell prints is kept (a grading shows only the tests).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..challenges import Challenge
from ..grading.kernel import start_kernel
from ..grading.kernel_code import prepare_code
from ..grading.notebook import code_cells
from ..grading.sandbox import SandboxPolicy
from ..grading.workdir import populate_workdir
from .driver import JudgeRun, run_judge


def learner_modules(challenge: Challenge) -> tuple[str, ...]:
    """The learner's own top-level ``.py`` files (a starter ``grid.py``): tests that
    import them get them from the kernel too."""
    return tuple(
        rel[:-3] for rel in challenge.starter_relpaths() if rel.endswith(".py") and "/" not in rel
    )


async def judge_notebook(
    challenge: Challenge,
    notebook: dict[str, Any],
    files: dict[str, str] | None,
    policy: SandboxPolicy,
    *,
    mode: str = "submit",
    budget_s: float = 240.0,
    startup_timeout_s: float = 120.0,
) -> JudgeRun:
    """The judge's verdicts on ``notebook`` (and the learner's ``files``) for
    ``challenge``'s tests of ``mode``; a cell that outlives the challenge's time limit
    is interrupted, as in a grading."""
    kernel = await start_kernel(policy, warm=False, startup_timeout=startup_timeout_s)
    try:
        work = await asyncio.to_thread(
            populate_workdir, kernel.workdir, challenge, notebook, files or {}
        )
        await asyncio.to_thread(kernel.hand_over, kernel.workdir)
        assert kernel.kc is not None
        quiet: Any = lambda _msg: None  # noqa: E731 - outputs are not the tests' business
        await kernel.kc.execute_interactive(
            prepare_code(str(kernel.workdir), challenge.limits.memory_mb, budget_s),
            timeout=startup_timeout_s,
            output_hook=quiet,
            store_history=False,
        )
        cell_s = float(challenge.limits.timeout_s) + 5
        for _index, source in code_cells(notebook):
            try:
                await kernel.kc.execute_interactive(source, timeout=cell_s, output_hook=quiet)
            except TimeoutError:
                await kernel.km.interrupt_kernel()
                await asyncio.sleep(0.5)
        return await run_judge(
            kernel,
            policy,
            challenge.module,
            challenge.read_sources(challenge.test_files(mode)),
            timeout_s=challenge.limits.timeout_s,
            budget_s=budget_s,
            modules=learner_modules(challenge),
            data=challenge.test_data_files(mode),
            work=work,
        )
    finally:
        await kernel.dispose()
