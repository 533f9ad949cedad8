"""``codequest validate`` and ``codequest new``: check challenges, scaffold one."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    SANDBOX_OPTION,
    VERBOSE_HELP,
    UsageError,
)


def add_parsers(sub: Any) -> None:
    validate = sub.add_parser(
        "validate",
        help="check challenges: format, solution, starter",
        description="For every challenge: the format loads, the reference solution passes "
        "every test, the untouched starter fails at least one, two runs agree, and "
        "the solution's tests get the same verdicts in the judge as in the kernel "
        '(unless challenge.toml says isolation = "kernel"). '
        "Without DIR, checks the challenges bundled with CodeQuest.",
    )
    validate.add_argument(
        "dirs",
        nargs="*",
        metavar="DIR",
        help="challenge folders, or folders of them (default: the bundled challenges)",
    )
    validate.add_argument("--jobs", type=int, default=2, help="challenges checked at once")
    validate.add_argument("--sandbox", **SANDBOX_OPTION)
    validate.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    validate.set_defaults(func=cmd_validate)

    new = sub.add_parser("new", help="scaffold a challenge directory that validates")
    new.add_argument("id")
    new.add_argument("--dir", default=".", help="where to create it (default: here)")
    new.add_argument("--title", default=None)
    new.set_defaults(func=cmd_new)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..challenges import bundled_challenges_dir
    from ..validate import format_table, validate_all

    roots = [Path(d) for d in args.dirs] or [bundled_challenges_dir()]
    for root in roots:
        if not root.exists():
            raise UsageError(f"{root}: no such directory")
    if not args.dirs:
        print(
            f"Checking the challenges bundled with CodeQuest in {roots[0]} "
            "(name folders to check your own: codequest validate DIR ...)",
            flush=True,
        )
    reports = asyncio.run(validate_all(roots, sandbox=args.sandbox, concurrency=args.jobs))
    if not reports:
        raise UsageError(f"no challenge found in {', '.join(map(str, roots))}")
    print(format_table(reports))
    bad = [r for r in reports if not r.ok]
    if bad:
        print(f"\n{len(bad)} of {len(reports)} challenges have problems.")
        return EXIT_PROBLEMS
    print(f"\nAll {len(reports)} challenges are valid.")
    return EXIT_OK


# -- new --------------------------------------------------------------------------------
def cmd_new(args: argparse.Namespace) -> int:
    from ..scaffold import ScaffoldError, scaffold

    try:
        path = scaffold(args.id, Path(args.dir), title=args.title)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    print(f"Created {path}. Edit it, then check it with: codequest validate {path}")
    return EXIT_OK
