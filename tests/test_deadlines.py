"""Deadlines and attempts in challenge.toml: parsing, checks, the late penalty."""

from __future__ import annotations

import datetime as dt

import pytest
from challenge_factory import make_challenge

from codequest_jupyter.challenges import ChallengeError, load_challenge
from codequest_jupyter.deadlines import Schedule, apply_late
from codequest_jupyter.errors import SubmissionClosed, SubmissionLimitReached

UTC = dt.timezone.utc


def load(tmp_path, toml: str):
    return load_challenge(make_challenge(tmp_path, toml_extra=toml))


def test_schedule_keys_are_read_as_aware_utc_times(tmp_path):
    ch = load(
        tmp_path,
        "opens = 2026-12-01T10:00:00+01:00\ndue = 2026-12-15T23:59:00Z\n"
        "late = 0.25\nmax_submissions = 3",
    )
    s = ch.schedule
    assert s.opens == dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert s.due == dt.datetime(2026, 12, 15, 23, 59, tzinfo=UTC)
    assert (s.late, s.penalty, s.max_submissions) == ("penalty", 0.25, 3)
    assert ch.summary_json()["opens"] == "2026-12-01T09:00:00Z"
    assert ch.summary_json()["late_penalty"] == 0.25


def test_no_schedule_means_always_open_unlimited(tmp_path):
    s = load(tmp_path, "").schedule
    assert s == Schedule()
    s.admit(dt.datetime(1990, 1, 1, tzinfo=UTC), "submit")
    s.check_count(10**6, "submit")


@pytest.mark.parametrize(
    "toml, key, words",
    [
        ("due = 2026-12-15T23:59:00", "due", "has no timezone"),
        ("opens = 2026-12-15", "opens", "date without a time"),
        ('due = "tomorrow"', "due", "TOML datetime with a timezone"),
        ("due = 2026-12-15T00:00:00Z\nlate = 1.5", "late", "from 0 to 1"),
        ('due = 2026-12-15T00:00:00Z\nlate = "maybe"', "late", "accept"),
        ("due = 2026-12-15T00:00:00Z\nlate = true", "late", "accept"),
        ('late = "reject"', "late", "needs a 'due'"),
        ("opens = 2026-12-15T00:00:00Z\ndue = 2026-12-01T00:00:00Z", "due", "not after opens"),
        ("max_submissions = 0", "max_submissions", ">= 1"),
        ("max_submissions = 2.5", "max_submissions", ">= 1"),
    ],
)
def test_bad_schedule_keys_get_clear_errors(tmp_path, toml, key, words):
    with pytest.raises(ChallengeError) as info:
        load(tmp_path, toml)
    assert info.value.key == key
    assert words in info.value.message


def test_admission_rules():
    due = dt.datetime(2026, 12, 15, tzinfo=UTC)
    s = Schedule(opens=due - dt.timedelta(days=7), due=due, late="reject", max_submissions=2)
    with pytest.raises(SubmissionClosed, match="opens at 2026-12-08T00:00:00Z"):
        s.admit(due - dt.timedelta(days=8), "run")
    s.admit(due, "submit")  # exactly at due is on time
    with pytest.raises(SubmissionClosed, match="late submissions are not accepted"):
        s.admit(due + dt.timedelta(seconds=1), "submit")
    s.admit(due + dt.timedelta(days=1), "run")  # Run tests still works
    s.check_count(1, "submit")
    with pytest.raises(SubmissionLimitReached, match="All 2 submissions"):
        s.check_count(2, "submit")
    s.check_count(2, "run")
    assert SubmissionClosed("x").status == 403 and SubmissionLimitReached("x").status == 409


def test_penalty_applies_only_to_late_work():
    due = dt.datetime(2026, 12, 15, tzinfo=UTC)
    s = Schedule(due=due, late="penalty", penalty=0.25)
    assert s.penalty_at(due) == 0.0
    assert s.penalty_at(due + dt.timedelta(seconds=1)) == 0.25
    result = {"points": 4.0, "max_points": 4.0}
    late = apply_late(result, True, 0.25)
    assert late == {
        "points": 3.0,
        "max_points": 4.0,
        "late": True,
        "penalty": 0.25,
        "raw_points": 4.0,
    }
    assert apply_late(late, True, 0.25)["points"] == 3.0  # idempotent
    assert apply_late(result, False, 0.0) == {**result, "late": False, "penalty": 0.0}
    assert Schedule(due=due).to_json()["late"] == "accept"


def test_validate_names_a_naive_due_time(tmp_path):
    import subprocess
    import sys

    path = make_challenge(tmp_path, toml_extra="due = 2026-12-15T23:59:00")
    proc = subprocess.run(
        [sys.executable, "-m", "codequest_jupyter.cli", "validate", str(path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "due" in proc.stdout and "has no timezone" in proc.stdout
    assert "2026-12-15T23:59:00Z" in proc.stdout  # the fix, spelled out
