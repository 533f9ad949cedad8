"""CodeQuest: coding challenges with instant, sandboxed grading inside JupyterLab.

The package at a glance: four deployments over one domain.

* :mod:`.server` — the Jupyter server extension (personal mode: everything in one
  server; remote mode: a learner's server on a hub, talking to the service);
* :mod:`.service` — ``codequest service``, the hub's grading service;
* :mod:`.worker` — ``codequest worker``, grading processes the service queues to;
* :mod:`.cli` and :mod:`.widget` — the ``codequest`` command and the ipywidgets panel;
* the domain they all share: :mod:`.challenges`, :mod:`.grading`, :mod:`.judge`,
  :mod:`.store`, :mod:`.submissions`, :mod:`.results` and the modules beside them,
  which import neither a deployment nor tornado, jupyter_server or jupyterhub
  (``tests/test_layout.py``).
"""

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_server_extension_points():
    from .server.app import CodeQuestApp

    return [{"module": "codequest_jupyter", "app": CodeQuestApp}]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "codequest-jupyter"}]
