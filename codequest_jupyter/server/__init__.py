"""The Jupyter server extension: what runs in a learner's (or a personal) Jupyter server.

* :mod:`.app` — :class:`~.app.CodeQuestApp`, the ``ExtensionApp`` and its settings.
  In personal mode (the default) it owns everything: the challenge library, the
  embedded SQLite store and the grader.
* :mod:`.handlers` — the REST API on tornado, a thin layer over
  :class:`~codequest_jupyter.submissions.SubmissionService` and the other domain
  services.
* :mod:`.discovery`, :mod:`.remote`, :mod:`.remote_handlers` — remote mode, on a
  JupyterHub with the grading service: the server finds the service, keeps only the
  learner's workspace and asks the service for everything else with its hub token.

The grading service (:mod:`codequest_jupyter.service`) builds on :mod:`.app` and
:mod:`.handlers`; nothing here imports the service's own code.
"""
