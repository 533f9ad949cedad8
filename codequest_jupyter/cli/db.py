"""The commands that work on the database: ``codequest db upgrade`` (schema migrations
and the workers' job queue), ``export`` (the gradebook CSV) and ``regrade``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from .common import EXIT_OK, SANDBOX_OPTION, VERBOSE_HELP, UsageError


def add_parsers(sub: Any) -> None:
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


def cmd_db(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from ..store import display_url, upgrade

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
    from ..worker.queue import ensure_schema

    try:
        created = asyncio.run(ensure_schema(url))
    except Exception as exc:  # noqa: BLE001 - psycopg's messages carry no password
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot create the grading queue at {shown}: {reason}") from None
    if created:
        print(f"Created the grading workers' job queue at {shown}.")


def _default_db_url() -> str:
    from ..server.app import CodeQuestApp

    return CodeQuestApp().db_url


# -- export / regrade ------------------------------------------------------------------
def _open_store(url: str | None) -> Any:
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from ..store import StoreError, SubmissionStore, display_url

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
    from ..gradebook import gradebook_csv, gradebook_rows

    with _open_store(args.url) as store:
        text = gradebook_csv(gradebook_rows(store, args.challenge or None))
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_regrade(args: argparse.Namespace) -> int:
    """Regrade stored submissions against the challenge as it is now; old vs new."""
    from ..challenges import ChallengeError, load_challenge
    from ..grading import Grader, GradingSettings
    from ..regrade import RegradeJob, run_regrade
    from ..store import AsyncSubmissionStore

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
