"""Hub mode: the grading service (``codequest service``) and the learners' remote mode.

* :mod:`.serviceapp` — the service process: a Jupyter server that loads only the
  CodeQuest extension, authenticates every request through JupyterHub and owns the
  challenge library, the store and grading.
* :mod:`.auth` — who the user is and whether they are an instructor, from the hub.
* :mod:`.material` — the public material of a challenge (notebook, starter files,
  public tests) as the service sends it and as a learner's server rebuilds it.
* :mod:`.remote` / :mod:`.remote_handlers` — a learner's server in remote mode: the
  workspace stays local, grading and history are asked of the service.

The domain modules (challenges, grading, store, results) import nothing from here.
"""


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .serviceapp import CodeQuestService

    return [{"module": "codequest_jupyter.hub", "app": CodeQuestService}]
