"""CodeQuestApp's settings as the grader receives them."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets import TraitError

from codequest_jupyter.server.app import CodeQuestApp


def test_kernels_are_kept_from_challenges_database_and_user_files(tmp_path):
    app = CodeQuestApp(
        challenge_dirs=[str(tmp_path / "course")],
        db_url=f"sqlite:///{tmp_path / 'data' / 'codequest.sqlite'}",
        grading_options={"hide_paths": ["/srv/secrets"]},
    )
    hidden = app.grading_settings().hide_paths
    assert str((tmp_path / "course").resolve()) in hidden
    assert str((tmp_path / "data").resolve()) in hidden
    assert "/srv/secrets" in hidden


def test_postgres_url_hides_no_directory(tmp_path):
    app = CodeQuestApp(
        challenge_dirs=[str(tmp_path)], db_url="postgresql+psycopg://u:p@localhost/db"
    )
    hidden = app.grading_settings().hide_paths
    # The challenges and the server's root; a database server has no local directory.
    assert hidden == [str(Path(tmp_path).resolve()), str(Path(app.serverapp.root_dir).resolve())]


def test_unknown_grader_settings_are_refused_by_name():
    app = CodeQuestApp(grading_options={"pool_sise": 3})
    with pytest.raises(TraitError, match="pool_sise"):
        app.grading_settings()


def test_isolation_setting_is_passed_on_and_checked():
    app = CodeQuestApp(grading_options={"isolation": "kernel"})
    assert app.grading_settings().isolation == "kernel"
    assert CodeQuestApp().grading_settings().isolation == "challenge"
    bad = CodeQuestApp(grading_options={"isolation": "process"})
    with pytest.raises(TraitError, match="isolation must be one of challenge, kernel"):
        bad.grading_settings()
