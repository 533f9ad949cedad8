"""The ``codequest`` command: grade, validate, scaffold, launch, migrate.

Exit codes: 0 when the command did its job (for ``grade``, whatever the score), 1 when
``validate`` found a problem, 2 for unusable input (a one-line message on stderr).
Log records of warning level and above reach stderr as ``codequest: warning: ...``;
the grading kernels' own chatter (nbclient's "Timeout waiting for execute reply")
does not: the result reports every timeout and crash itself. ``--verbose`` shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from . import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

STATUS_MARKS = {
    "passed": "✓",
    "failed": "✗",
    "error": "⚠",
    "timeout": "⚠",
    "skipped": "-",
    "not_run": "·",
}


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped the command (after its clean-up); ``code`` is 128 + N."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


def run_interruptibly(main: Any) -> Any:
    """``asyncio.run(main())``, where SIGINT and SIGTERM cancel ``main``: its clean-up
    runs (kernels killed, run directories removed) before the process exits, which
    then raises :class:`Interrupted`."""
    received: list[int] = []

    async def runner() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop, signum)
        return await main()

    try:
        result = asyncio.run(runner())
    except asyncio.CancelledError:
        if not received:
            raise
    if received:
        raise Interrupted(received[0])
    return result


class UsageError(Exception):
    """Input the command cannot work with; printed as one line, exit 2."""


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


# -- grade ------------------------------------------------------------------------------
def cmd_grade(args: argparse.Namespace) -> int:
    from .challenges import ChallengeError, load_challenge
    from .grading import Grader, GradingSettings, SubmissionInvalid, parse_notebook

    try:
        challenge = load_challenge(args.challenge_dir)
    except ChallengeError as exc:
        raise UsageError(str(exc)) from None
    path = Path(args.notebook)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        notebook = parse_notebook(path.read_bytes())
    except SubmissionInvalid as exc:
        raise UsageError(f"{path}: {exc}") from None
    files = _read_files(args.file or [])

    async def run() -> Any:
        async with Grader(GradingSettings(sandbox=args.sandbox)) as grader:
            return await grader.grade(
                challenge, notebook, files, args.mode, user=os.environ.get("USER", "")
            )

    try:
        result = run_interruptibly(run)
    except SubmissionInvalid as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_result(result.to_json())
    return EXIT_OK


def _read_files(paths: list[str]) -> dict[str, str]:
    files = {}
    for spec in paths:
        name, _, source = spec.partition("=")
        source = source or name
        try:
            files[Path(name).as_posix()] = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{source}: cannot read ({exc})") from None
    return files


def print_result(result: dict[str, Any], out=None) -> None:
    out = out or sys.stdout
    for test in result["tests"]:
        mark = STATUS_MARKS.get(test["status"], "?")
        hidden = " (hidden)" if test["hidden"] else ""
        points = f"{test['points']:g}/{test['max_points']:g}"
        print(
            f" {mark} {test['name']}{hidden}  [{test['status']}, {points} pts, "
            f"{test['duration_ms']} ms]",
            file=out,
        )
        if test["status"] not in ("passed", "skipped") and test.get("message"):
            for line in str(test["message"]).splitlines()[:6]:
                print(f"     {line}", file=out)
        if test.get("expected") is not None or test.get("actual") is not None:
            print(f"     expected: {test.get('expected')}", file=out)
            print(f"     actual:   {test.get('actual')}", file=out)
        if test.get("output_truncated"):
            print("     (its output was cut at the challenge's output limit)", file=out)
    for cell in result.get("cell_errors", []):
        if cell.get("kind") == "timeout":
            print(f" ⚠ cell {cell['cell'] + 1} timed out: {cell['evalue']}", file=out)
        else:
            print(f" ⚠ cell {cell['cell'] + 1} raised {cell['ename']}: {cell['evalue']}", file=out)
    if result.get("output_truncated") and not any(
        t.get("output_truncated") for t in result["tests"]
    ):
        print(" ⚠ output was cut at the challenge's output limit", file=out)
    if result.get("error"):
        print(f" ⚠ {result['error']['kind']}: {result['error']['message']}", file=out)
    print(
        f"{result['status'].upper()}: {result['score']}/{result['total']} tests passed · "
        f"{result['points']:g}/{result['max_points']:g} points · "
        f"{result['duration_ms'] / 1000:.2f} s",
        file=out,
    )


# -- validate ---------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from .challenges import bundled_challenges_dir
    from .validate import format_table, validate_all

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
    from .scaffold import ScaffoldError, scaffold

    try:
        path = scaffold(args.id, Path(args.dir), title=args.title)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    print(f"Created {path}. Edit it, then check it with: codequest validate {path}")
    return EXIT_OK


# -- lab --------------------------------------------------------------------------------
def cmd_lab(args: argparse.Namespace, extra: list[str]) -> int:
    """Launch JupyterLab with the extension, the bundled challenges and SQLite."""
    from .challenges import discover

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
    from .app import CodeQuestApp

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
    from .hub.serviceapp import CodeQuestService

    CodeQuestService.launch_instance(extra)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace, extra: list[str]) -> int:
    """Run a grading worker; options are its own (--config=FILE, --help-all)."""
    from .worker.workerapp import main as worker_main

    return worker_main(extra)


# -- db ---------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from .store import display_url, upgrade

    url = args.url or _default_db_url()
    shown = display_url(url)
    try:
        upgrade(url)
    except ArgumentError:
        raise UsageError(f"{shown}: not a database URL") from None
    except SQLAlchemyError as exc:
        # The driver's message names host and user, never the password.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UsageError(f"cannot upgrade the database at {shown}: {reason}") from None
    if make_url(url).get_backend_name() == "postgresql":
        _upgrade_queue(url, shown)
    print(f"Database at {shown} is up to date.")
    return EXIT_OK


def _upgrade_queue(url: str, shown: str) -> None:
    """The grading workers' job queue (procrastinate's tables), when it is installed."""
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        return  # no workers without it; `codequest worker` creates them on start anyway
    import asyncio

    from .worker.queue import ensure_schema

    try:
        created = asyncio.run(ensure_schema(url))
    except Exception as exc:  # noqa: BLE001 - psycopg's messages carry no password
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot create the grading queue at {shown}: {reason}") from None
    if created:
        print(f"Created the grading workers' job queue at {shown}.")


def _default_db_url() -> str:
    from .app import CodeQuestApp

    return CodeQuestApp().db_url


# -- export / regrade ------------------------------------------------------------------
def _open_store(url: str | None) -> Any:
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from .store import StoreError, SubmissionStore, display_url

    url = url or _default_db_url()
    try:
        return SubmissionStore(url)
    except ArgumentError:
        raise UsageError(f"{display_url(url)}: not a database URL") from None
    except (SQLAlchemyError, StoreError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UsageError(f"cannot open the database at {display_url(url)}: {reason}") from None


def cmd_export(args: argparse.Namespace) -> int:
    """The gradebook CSV on stdout (the bytes ``GET gradebook.csv`` serves)."""
    from .gradebook import gradebook_csv, gradebook_rows

    with _open_store(args.url) as store:
        text = gradebook_csv(gradebook_rows(store, args.challenge or None))
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_regrade(args: argparse.Namespace) -> int:
    """Regrade stored submissions against the challenge as it is now; old vs new."""
    from .challenges import ChallengeError, load_challenge
    from .grading import Grader, GradingSettings
    from .regrade import RegradeJob, run_regrade
    from .store import AsyncSubmissionStore

    try:
        challenge = load_challenge(args.challenge_dir)
    except ChallengeError as exc:
        raise UsageError(str(exc)) from None
    store = _open_store(args.url)
    job = RegradeJob(challenge=challenge.id, user=args.learner, latest=args.latest)

    def show(job: RegradeJob, item: Any) -> None:
        print(
            f"  [{job.done}/{job.total}] {item.user} {item.submitted_at} {item.id[:12]}: "
            f"{_figures(item.old)} -> {_figures(item.new)}"
            f"{'  (changed)' if item.changed else ''}",
            file=sys.stderr,
            flush=True,
        )

    async def run() -> None:
        settings = GradingSettings(sandbox=args.sandbox, pool_size=max(0, args.jobs))
        async with Grader(settings) as grader:
            await run_regrade(
                AsyncSubmissionStore(store),
                grader,
                challenge,
                job,
                concurrency=args.jobs,
                on_item=show,
            )

    try:
        asyncio.run(run())
    finally:
        store.close()
    print(
        "submission,learner,submitted_at,old_version,old_status,old_points,"
        "new_version,new_status,new_points,changed"
    )
    for item in job.items:
        print(",".join([
            item.id, item.user, item.submitted_at,
            str(item.old.get("challenge_version") or "")[:12], str(item.old.get("status")),
            f"{item.old.get('points') or 0:g}",
            str(item.new.get("challenge_version") or "")[:12], str(item.new.get("status")),
            f"{item.new.get('points') or 0:g}", "true" if item.changed else "false",
        ]))  # fmt: skip
    changed = sum(1 for i in job.items if i.changed)
    rate = job.elapsed_s / job.total if job.total else 0.0
    print(
        f"Regraded {job.total} submissions of {challenge.id} in {job.elapsed_s:.1f} s "
        f"({rate:.2f} s each); {changed} changed. Old results are kept.",
        file=sys.stderr,
    )
    return EXIT_OK


def _figures(result: dict[str, Any]) -> str:
    return f"{result.get('status')} {result.get('points') or 0:g}/{result.get('max_points') or 0:g}"


SANDBOX_OPTION: dict[str, Any] = {
    "default": "auto",
    "choices": ["auto", "bwrap", "rlimits", "none"],
    "help": "how grading kernels are confined: auto (the strongest available, default), "
    "bwrap (namespaces plus resource limits), rlimits (resource limits only), none",
}
VERBOSE_HELP = "also log what the grader does, the kernels' messages included"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codequest", description="Coding challenges with instant grading for Jupyter."
    )
    parser.add_argument("--version", action="version", version=f"codequest {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser(
        "grade",
        help="grade one notebook against a challenge, no server",
        description="Grade NOTEBOOK against the challenge in CHALLENGE_DIR in a fresh, "
        "sandboxed kernel, as the server would, and print the result. Exit 0 when grading "
        "ran, whatever the score; 2 when it could not run.",
    )
    grade.add_argument("challenge_dir", help="the challenge's folder (holds challenge.toml)")
    grade.add_argument("notebook", help="the learner's notebook (.ipynb) to grade")
    grade.add_argument(
        "--json",
        action="store_true",
        help="print exactly the result JSON on stdout, nothing else",
    )
    grade.add_argument(
        "--mode",
        choices=["submit", "run"],
        default="submit",
        help="submit: public and hidden tests (default); run: public tests only",
    )
    grade.add_argument(
        "--file",
        action="append",
        metavar="NAME[=PATH]",
        help="a learner file graded beside the notebook (repeatable)",
    )
    grade.add_argument("--sandbox", **SANDBOX_OPTION)
    grade.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    grade.set_defaults(func=cmd_grade)

    validate = sub.add_parser(
        "validate",
        help="check challenges: format, solution, starter",
        description="For every challenge: the format loads, the reference solution passes "
        "every test, the untouched starter fails at least one, and two runs agree. "
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

    export = sub.add_parser(
        "export",
        help="print the gradebook as CSV",
        description="The gradebook as CSV on stdout: one row per learner and challenge "
        "(Submit attempts only), the same bytes as the instructors' GET gradebook.csv.",
    )
    export.add_argument("--url", default=None, help="database URL (default: the server's)")
    export.add_argument(
        "--challenge",
        nargs="+",
        action="extend",
        metavar="ID",
        help="only these challenges (default: all)",
    )
    export.set_defaults(func=cmd_export)

    regrade = sub.add_parser(
        "regrade",
        help="regrade stored submissions against a challenge as it is now",
        description="Grade the stored Submit submissions of the challenge in CHALLENGE_DIR "
        "again, against the challenge as it is now (say, after a test was fixed). The new "
        "result becomes the current one, the old one is kept. Prints old vs new per "
        "submission as CSV on stdout, progress on stderr.",
    )
    regrade.add_argument("challenge_dir", help="the challenge's folder (holds challenge.toml)")
    regrade.add_argument("--url", default=None, help="database URL (default: the server's)")
    regrade.add_argument("--learner", default=None, help="only this learner's submissions")
    regrade.add_argument(
        "--latest", action="store_true", help="only each learner's newest submission"
    )
    regrade.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    regrade.add_argument("--sandbox", **SANDBOX_OPTION)
    regrade.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    regrade.set_defaults(func=cmd_regrade)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the schema migrations")
    up.add_argument("--url", default=None, help="database URL (default: the server's)")
    up.set_defaults(func=cmd_db)
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
    if extra and args.command not in ("lab", "service", "worker"):
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


if __name__ == "__main__":
    sys.exit(main())
