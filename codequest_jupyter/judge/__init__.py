"""The judge: the challenge's tests run in a process learner code never runs in.

In-kernel grading (:mod:`codequest_jupyter.grading.harness`) runs pytest inside the
kernel that ran the notebook, so a notebook that sets out to subvert that process can
(SECURITY.md, "Limits"). Here pytest, the test files (public and hidden) and every
verdict live in a **judge process**; the learner's kernel only answers requests.

Three parts, three processes:

* :mod:`.agent` runs in the learner's kernel, the only code of ours there: started by
  one execute request after the notebook's cells, it serves requests on the kernel's
  main thread (import a module; read, write or delete an attribute; call; iterate;
  index; ``len``; ``in``; enter and exit a context manager; an operator; ``repr``) on
  objects it knows by handle, and sends back values by copy and everything else as
  handles.
* :mod:`.runner` is the judge: pytest, in a process started through the grading
  launcher (``launcher.py --judge``). ``import two_sum`` in a test gives a
  :class:`.proxy.RemoteModule` (:mod:`.proxy`), and every value from the kernel goes
  through the restricted decoder of :mod:`.wire`: built-in values, numpy arrays
  and pandas DataFrames, Series and Index by copy (a subclass of a built-in type as its plain built-in value), learner
  classes as classes of the judge's, learner exceptions as the nearest built-in
  exception type, anything else a proxy whose equality, hashing, ordering and truth
  are the judge's. Callbacks (a function or a ``mock`` a test hands to learner code)
  are served back by the judge while it waits (:mod:`.connection`); a test's list,
  dict, set or bytearray that learner code changed in place during a call is changed
  in the test's own object after it (:mod:`.writeback`).
* :mod:`.driver` runs in the grading server: it writes the tests where only the judge
  can read them, starts the judge, listens for the agent, hands the agent's
  connection to the judge, relays the judge's events and interrupts or kills the
  kernel when the judge asks (a call past its time limit).

**The channel.** The agent connects to a unix socket the driver made in the kernel's
run directory (the one place the kernel's sandbox and the server share); the driver
accepts one connection, from the kernel's uid, and passes it to the judge. Frames are
length-prefixed JSON. Chosen over the kernel's own Jupyter channels (execute requests
or comm messages through ``jupyter_client``) because those would need the judge to
hold the kernel's connection file and HMAC key, which learner code can read anyway,
and to cross the server's event loop or IPython's cell machinery on every call
(milliseconds); a socket costs two context switches per call and nothing else, and
learner output never travels on it (the kernel's stdout and display messages go to
IOPub as before, and are never read as results).

Learner code shares its process with the agent, so it *can* write to that socket,
or replace the agent. That is made worthless rather than prevented: (1) a reply
answers only the call in progress: it carries that call's number and a nonce drawn
by the judge for it, so frames written ahead of time answer nothing; (2) a reply is
only ever data, decoded without running anything it names (no pickle, no import, no
learner-defined method), bounded in depth, element count and size, and becomes at
most "the learner's function returned this value", which learner code could have
returned anyway; (3) verdicts, points, captured output and the events reporting them
are made in the judge and travel on its control socket to the server, which the
kernel has no way to reach; (4) the hidden tests, expected values and assertion
messages never leave the judge: the kernel sees a test's calls and their arguments,
as any function under test does, nothing else.

**Isolation of the judge.** The judge is confined by the same
:class:`~codequest_jupyter.grading.sandbox.SandboxPolicy` as kernels, through the
same launcher: on a root server it gets a uid of its own from the sandbox's range,
never the kernel's (so the kernel can neither signal, trace nor read it: that takes
the same uid or a capability the kernel lacks), and under bubblewrap its own pid
namespace, mount namespace (its run directory, holding the tests, is in no kernel's
view; the kernel's ``/tmp`` is private) and no network. It also makes itself
non-dumpable (no ``ptrace`` or ``/proc/<pid>/mem`` even by its own uid). The kernel,
in its own pid namespace, does not see the judge's processes at all.
``tests/test_judge.py`` checks the uids and pid namespaces of both, that ``kill(-1)``
from the kernel reaches nothing, and that the kernel finds neither the judge's files
nor, in a dump of its whole memory, a hidden test's source.

**How it plugs into the engine** (:mod:`.suite`). For a challenge graded in the
judge (``isolation = "judge"`` in ``challenge.toml``, the default), the run's test
runner is a :class:`.suite.JudgeTests`:

1. ``JudgeProcess.start(policy, challenge.module, sources, timeout_s=...,
   output_limit=..., modules=<the learner's top-level .py files, e.g. a starter
   grid.py>, deselect=<tests an earlier kernel reported>)`` when the attempt starts,
   so its start-up overlaps the notebook;
2. the notebook's cells and the prepare cell run as in kernel mode (nbclient), but
   no tests cell: instead ``judge.judge(kernel, budget_s=<what is left of the run's
   budget>, on_event=...)``;
3. the judge's events have the harness's shapes (``collected``, ``test`` with the same
   fields, ``done``), so the run's bookkeeping takes them as they are, without the
   signature check (they come from the judge's socket, not IOPub);
4. ``judge.close()`` on every path, and the kernel's disposal as after any run. A
   test during which the kernel died, or was killed at its time limit, leaves the
   rest to a fresh kernel: the notebook runs again there and a fresh judge runs the
   tests not yet reported, as the engine resumes in-kernel runs.

Where the sandbox cannot keep a judge out of the kernel's reach (no bubblewrap and
no uid of its own per kernel), the engine grades in the kernel instead and logs why
(:func:`.suite.judge_unavailable`).

All eleven bundled challenges get, test for test, the in-kernel grader's verdicts in
the judge, through the engine, on their reference solutions and on their untouched
starters (``tests/test_judge.py``), and the compatibility corpus
(``tests/test_differential.py``) plain pytest's on all but the tests it lists with
their reason. ``codequest validate`` runs each challenge's reference solution in both
modes (:mod:`.standalone` runs the judge outside the engine) and names any test whose
verdict differs (a test relying on a learner object's ``__eq__``, on the truth of a
learner object, on files the test made or learner code wrote, or on handing learner code objects of the
judge's that are neither data nor callable).
"""

from .driver import JudgeError, JudgeProcess, JudgeRun, run_judge

__all__ = ["JudgeError", "JudgeProcess", "JudgeRun", "run_judge"]
