"""The ``codequest`` command: grade, validate, scaffold, launch, migrate.

Exit codes: 0 when the command did its job (for ``grade``, whatever the score), 1 when
``validate`` found a problem, 2 for unusable input (a one-line message on stderr).
Log records of warning level and above reach stderr as ``codequest: warning: ...``;
the grading kernels' own chatter (nbclient's "Timeout waiting for execute reply")
does not: the result reports every timeout and crash itself. ``--verbose`` shows it.

This module holds the parser and :func:`main`; each group of commands lives in a
module of its own, which declares its sub-commands and their options:
:mod:`.grade` (grade), :mod:`.challenges` (validate, new), :mod:`.servers` (lab,
settings, service, worker) and :mod:`.db` (export, regrade, db upgrade).
"""

from __future__ import annotations

import argparse
import logging
import sys

from .. import __version__
from . import challenges, db, grade, servers
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    Interrupted,
    UsageError,
    run_interruptibly,
)
from .grade import STATUS_MARKS, cmd_grade, print_result
from .servers import PASS_THROUGH, cmd_lab, cmd_service, cmd_worker

__all__ = [
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "KERNEL_CHATTER",
    "STATUS_MARKS",
    "Interrupted",
    "UsageError",
    "build_parser",
    "cmd_grade",
    "configure_logging",
    "main",
    "print_result",
    "run_interruptibly",
]


def _fail(message: str) -> int:
    print(f"codequest: error: {message}", file=sys.stderr)
    return EXIT_USAGE


#: Loggers whose records describe the grading kernels' protocol, not a problem of the
#: command: the result already says what they mean (a test or cell timed out).
KERNEL_CHATTER = ("codequest_jupyter.grading.nbclient",)


def configure_logging(verbose: bool = False) -> None:
    """Log to stderr, in the command's voice; kernel chatter only when ``verbose``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_CliFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for name in KERNEL_CHATTER:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.CRITICAL + 1)


class _CliFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"codequest: {record.levelname.lower()}: {super().format(record)}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codequest", description="Coding challenges with instant grading for Jupyter."
    )
    parser.add_argument("--version", action="version", version=f"codequest {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    # In this order: it is the order of ``codequest --help``.
    for group in (grade, challenges, servers, db):
        group.add_parsers(sub)
    return parser


def _skip_slow_optional_imports() -> None:
    """Keep a short-lived command from paying for what it never uses.

    nbclient imports nbformat, which imports jsonschema, which builds dozens of parsers
    at import time for the optional ``rfc3987_syntax`` package (about a second of
    every start). jsonschema treats it as optional, and notebook schemas never use the
    "iri" formats it checks.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    _skip_slow_optional_imports()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in PASS_THROUGH:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    configure_logging(getattr(args, "verbose", False))
    try:
        if args.command == "lab":
            return cmd_lab(args, extra)
        if args.command == "service":
            return cmd_service(args, extra)
        if args.command == "worker":
            return cmd_worker(args, extra)
        return args.func(args)
    except UsageError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Interrupted as exc:
        return exc.code
