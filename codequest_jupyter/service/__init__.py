"""``codequest service``: the grading service of a JupyterHub deployment.

* :mod:`.app` — :class:`~.app.CodeQuestService`, a Jupyter server that loads only the
  CodeQuest extension (:mod:`codequest_jupyter.server`), authenticates every request
  through JupyterHub and owns the challenge library, the store and grading (or, with
  ``grading = "workers"``, queues it for :mod:`codequest_jupyter.worker`).
* :mod:`.auth` — who the user is and whether they are an instructor, from the hub.
* :mod:`.handlers` — the endpoints only the service has (a challenge's public
  material for learners' servers, its landing page).

A learner's server in remote mode reaches this service over HTTP only
(:mod:`codequest_jupyter.server.remote`); the domain modules import nothing from here.
"""


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import CodeQuestService

    return [{"module": "codequest_jupyter.service", "app": CodeQuestService}]
