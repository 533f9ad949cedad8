"""The commands that start a long-running process: ``codequest lab``, ``service`` and
``worker`` (their unknown options go to that process), and ``settings``, which lists
the server extension's options."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_OK, UsageError

#: The commands that pass the options they do not know on to the process they start.
PASS_THROUGH = ("lab", "service", "worker")


def add_parsers(sub: Any) -> None:
    lab = sub.add_parser("lab", help="launch JupyterLab with CodeQuest")
    lab.add_argument("--root-dir", default=None, help="the folder JupyterLab serves")
    lab.add_argument("--challenges", action="append", help="challenge folder (repeatable)")
    lab.add_argument("--db", default=None, help="database URL (default: embedded SQLite)")
    lab.set_defaults(func=cmd_lab)

    settings = sub.add_parser(
        "settings", help="list the server extension's settings (c.CodeQuestApp.*)"
    )
    settings.set_defaults(func=cmd_settings)
    service = sub.add_parser(
        "service",
        help="run the JupyterHub grading service (options: --config=FILE, --help-all)",
        add_help=False,
    )
    service.set_defaults(func=cmd_service)
    worker = sub.add_parser(
        "worker",
        help="run a grading worker for the service (options: --config=FILE, --help-all)",
        add_help=False,
    )
    worker.set_defaults(func=cmd_worker)


def cmd_lab(args: argparse.Namespace, extra: list[str]) -> int:
    """Launch JupyterLab with the extension, the bundled challenges and SQLite."""
    from ..challenges import discover

    argv = [sys.executable, "-m", "jupyterlab"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    if args.root_dir:
        Path(args.root_dir).mkdir(parents=True, exist_ok=True)
        argv.append(f"--ServerApp.root_dir={Path(args.root_dir).resolve()}")
    for folder in args.challenges or []:
        path = Path(folder).resolve()
        if not path.is_dir():
            raise UsageError(f"{folder}: no such directory")
        if not discover([path]):
            print(
                f"codequest: warning: {folder} holds no challenge (no challenge.toml in it "
                "or in its sub-folders)",
                file=sys.stderr,
            )
        # One option per folder: the server parses the value of an option it does not
        # know yet (the extension's) as text, so a JSON list would become one bad path.
        argv.append(f"--CodeQuestApp.challenge_dirs={path}")
    if args.db:
        argv.append(f"--CodeQuestApp.db_url={args.db}")
    argv.extend(extra)
    os.execv(sys.executable, argv)
    return EXIT_OK  # pragma: no cover - execv does not return


# -- settings ---------------------------------------------------------------------------
def cmd_settings(args: argparse.Namespace) -> int:
    """Every CodeQuestApp setting with its help and default, as ``--help-all`` shows them.

    ``jupyter server --help-all`` lists the server's own classes only, never an
    extension's, so this is where an admin finds them.
    """
    from ..server.app import CodeQuestApp

    print(
        "CodeQuest server settings: c.CodeQuestApp.NAME = VALUE in a "
        "jupyter_server_config.py, or --CodeQuestApp.NAME=VALUE on the command line.\n"
    )
    for _name, trait in sorted(CodeQuestApp.class_own_traits(config=True).items()):
        print(CodeQuestApp.class_get_trait_help(trait))
    return EXIT_OK


# -- service ----------------------------------------------------------------------------
def cmd_service(args: argparse.Namespace, extra: list[str]) -> int:
    """Run the hub's grading service; options are the Jupyter server's (--config=...)."""
    from ..service.app import CodeQuestService

    CodeQuestService.launch_instance(extra)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace, extra: list[str]) -> int:
    """Run a grading worker; options are its own (--config=FILE, --help-all)."""
    from ..worker.workerapp import main as worker_main

    return worker_main(extra)
