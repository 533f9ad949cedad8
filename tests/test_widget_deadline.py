"""Deadlines and attempts in the ipywidgets Tests panel.

The wording at fixed times and in a fixed time zone; then panels against a real
``jupyter server`` with CodeQuest, whose challenges have ``due``, late policies and
``max_submissions``, graded for real: the count after each submit, Submit turned off
with its reason (Run tests still on), a late result with its penalty; and a local
panel before its challenge opens.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from challenge_factory import make_challenge
from widget_helpers import RLIMITS, SOLUTION, JupyterServer, open_workspace, write_nb

from codequest_jupyter.widget import TestsPanel
from codequest_jupyter.widget.deadline import (
    blocked,
    facts,
    format_moment,
    format_time_left,
    late_result_text,
    seconds_to_next_change,
    window_state,
)

UTC = dt.timezone.utc
# Tuesday 1 Dec 2026, 15:00 in Paris (14:00 UTC).
NOW = dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def paris(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_words_at_a_fixed_time_in_the_kernels_time_zone(paris):
    assert format_time_left(2 * 3600 + 13 * 60 + 59) == "2 h 13 min"
    assert format_time_left(59) == "less than a minute"
    assert format_time_left(3 * 86400 + 4 * 3600) == "3 days 4 h"
    assert format_moment(NOW + dt.timedelta(hours=2), NOW) == "today 17:00 CET"
    assert format_moment(NOW + dt.timedelta(days=1), NOW) == "tomorrow 15:00 CET"
    assert format_moment(NOW + dt.timedelta(days=6), NOW) == "Mon 15:00 CET"
    assert format_moment(NOW + dt.timedelta(days=14), NOW) == "15 Dec 15:00 CET"

    soon = {
        "due": iso(NOW + dt.timedelta(hours=2, minutes=13)),
        "late": "penalty",
        "late_penalty": 0.2,
        "max_submissions": 10,
        "submissions_used": 3,
    }
    assert facts(soon, NOW) == [
        ("Due today 17:13 CET · 2 h 13 min left", "idle"),
        ("Late submissions lose 20%", "idle"),
        ("3 of 10 submissions used", "idle"),
    ]
    assert facts({}, NOW) == [] and blocked({}, "submit", NOW) is None


def test_the_servers_rules_in_advance():
    due = {"due": iso(NOW), "late": "reject"}
    assert window_state(due, NOW) == "open"  # exactly at due: on time
    after = NOW + dt.timedelta(seconds=1)
    assert window_state(due, after) == "closed"
    assert blocked(due, "submit", after) == (
        "The due time has passed and late submissions are not accepted. Run tests still works."
    )
    assert blocked(due, "run", after) is None
    assert blocked({**due, "late": "accept"}, "submit", after) is None
    used = {"max_submissions": 2, "submissions_used": 2}
    assert blocked(used, "submit", NOW) == "All 2 submissions are used. Run tests still works."
    assert blocked(used, "run", NOW) is None
    assert blocked({**used, "submissions_used": 1}, "submit", NOW) is None
    # Counted only by a server: a local panel never blocks on the count.
    assert blocked({**used, "submissions_used": None}, "submit", NOW) is None
    upcoming = {"opens": iso(NOW + dt.timedelta(days=1))}
    assert blocked(upcoming, "run", NOW).startswith("This challenge opens tomorrow")
    assert blocked(upcoming, "submit", NOW) == blocked(upcoming, "run", NOW)
    # The clock wakes at the next minute, or at due when that is sooner.
    assert seconds_to_next_change({}, NOW + dt.timedelta(seconds=20)) == pytest.approx(40)
    soon = {"due": iso(NOW + dt.timedelta(seconds=10))}
    assert seconds_to_next_change(soon, NOW) == pytest.approx(10.001)
    # Redrawn exactly at due ("less than a minute left"): the next redraw is just after.
    assert seconds_to_next_change(due, NOW) == pytest.approx(0.05)


def test_late_result_words():
    assert late_result_text({"late": True, "penalty": 0.2, "raw_points": 3, "points": 2.4}) == (
        "Submitted after the due time: 3 points earned, 2.4 counted after the 20% penalty."
    )
    assert late_result_text({"late": True, "penalty": 0.0, "points": 3}) == (
        "Submitted after the due time; flagged for your instructor."
    )
    assert late_result_text({"late": False, "points": 3}) is None


@pytest.fixture(scope="module")
def deadline_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("widget-deadlines")
    challenges = home / "challenges"
    now = dt.datetime.now(UTC)
    make_challenge(
        challenges,
        "limited",
        toml_extra=(f"max_submissions = 2\ndue = {iso(now + dt.timedelta(days=20))}\nlate = 0.2"),
    )
    make_challenge(
        challenges,
        "closed",
        toml_extra=(f'due = {iso(now - dt.timedelta(hours=1))}\nlate = "reject"'),
    )
    make_challenge(
        challenges,
        "penalised",
        toml_extra=(f"due = {iso(now - dt.timedelta(hours=1))}\nlate = 0.2"),
    )
    srv = JupyterServer(home, challenges)
    yield srv
    srv.stop()


def test_server_panel_counts_submits_and_stops_at_the_limit(deadline_server):
    _, path = open_workspace(deadline_server, "limited", SOLUTION)
    panel = TestsPanel(notebook=path, runtime_dir=str(deadline_server.runtime))
    try:
        assert panel.backend.kind == "server" and panel.backend.challenge_id == "limited"
        assert "0 of 2 submissions used" in panel.schedule.value
        assert "days" in panel.schedule.value and "left" in panel.schedule.value
        assert "Late submissions lose 20%" in panel.schedule.value
        panel.submit_button.click()
        assert panel.wait(180)
        assert "1 of 2 submissions used" in panel.schedule.value
        assert not panel.submit_button.disabled and panel.blocked.value == ""
        panel.submit_button.click()
        assert panel.wait(180)
        assert "2 of 2 submissions used" in panel.schedule.value
        assert panel.submit_button.disabled and not panel.run_button.disabled
        assert "All 2 submissions are used. Run tests still works." in panel.blocked.value
        # The server agrees: a third submit (made anyway, from code) is refused...
        panel.submit()
        assert panel.wait(60)
        assert panel.result is None and "submissions" in panel.summary.value + panel.banner.value
        # ...and Run tests still runs.
        panel.run_tests()
        assert panel.wait(180)
        assert panel.result["mode"] == "run" and panel.result["status"] == "passed"
    finally:
        panel.close()


def test_server_panel_closed_and_late_with_penalty(deadline_server):
    _, path = open_workspace(deadline_server, "closed", SOLUTION)
    panel = TestsPanel(notebook=path, runtime_dir=str(deadline_server.runtime))
    try:
        assert "Closed: was due" in panel.schedule.value
        assert "Late submissions are not accepted" in panel.schedule.value
        assert panel.submit_button.disabled and not panel.run_button.disabled
        assert "late submissions are not accepted" in panel.blocked.value
    finally:
        panel.close()

    _, path = open_workspace(deadline_server, "penalised", SOLUTION)
    panel = TestsPanel(notebook=path, runtime_dir=str(deadline_server.runtime))
    try:
        assert "Was due" in panel.schedule.value and not panel.submit_button.disabled
        panel.submit_button.click()
        assert panel.wait(180)
        result = panel.result
        assert result["late"] is True and result["raw_points"] == 3 and result["points"] == 2.4
        assert "<b>late</b>" in panel.summary.value
        assert "3 points earned, 2.4 counted after the 20% penalty" in panel.summary.value
    finally:
        panel.close()


def test_local_panel_before_opens_turns_both_buttons_off(tmp_path):
    challenges = tmp_path / "challenges"
    now = dt.datetime.now(UTC)
    opens, due = now + dt.timedelta(days=2), now + dt.timedelta(days=9)
    make_challenge(
        challenges, toml_extra=f'opens = {iso(opens)}\ndue = {iso(due)}\nlate = "reject"'
    )
    nb = write_nb(tmp_path / "work" / "adder.ipynb", SOLUTION)
    panel = TestsPanel(
        notebook=nb, local=True, challenge_dirs=[challenges], grading_settings=RLIMITS
    )
    try:
        assert panel.run_button.disabled and panel.submit_button.disabled
        assert "Opens " in panel.schedule.value and " · in 1 day 23 h" in panel.schedule.value
        assert "This challenge opens" in panel.blocked.value
        # Nothing is counted locally.
        assert "submissions used" not in panel.schedule.value
        # Once it opens (the clock's next redraw), Run tests and Submit come on;
        # after due, Submit goes off again.
        panel._draw_schedule(now=opens + dt.timedelta(seconds=1))
        assert not panel.run_button.disabled and not panel.submit_button.disabled
        assert panel.blocked.value == ""
        panel._draw_schedule(now=due + dt.timedelta(seconds=1))
        assert panel.submit_button.disabled and not panel.run_button.disabled
    finally:
        panel.close()
