"""CodeQuest: coding challenges with instant, sandboxed grading inside JupyterLab."""

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_server_extension_points():
    from .app import CodeQuestApp

    return [{"module": "codequest_jupyter", "app": CodeQuestApp}]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "codequest-jupyter"}]
