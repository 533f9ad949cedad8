"""The challenge loader: good directories load, broken ones name the file and key."""

from __future__ import annotations

import pytest
from challenge_factory import make_challenge

from codequest_jupyter.challenges import (
    ChallengeCatalog,
    ChallengeError,
    ChallengeNotFound,
    bundled_challenges_dir,
    challenge_version,
    load_challenge,
)


def test_loads_every_part(tmp_path):
    path = make_challenge(
        tmp_path,
        files={"helpers.py": "X = 1\n", "data/a.txt": "a\n"},
        locked=["helpers.py"],
    )
    ch = load_challenge(path)
    assert ch.id == "adder" and ch.title == "Adder adder" and ch.difficulty == "easy"
    assert ch.module == "adder" and ch.notebook == "adder.ipynb"
    assert ch.public_tests == ("tests/test_add.py",)
    assert ch.hidden_tests == ("hidden/test_add_hidden.py",)
    assert ch.solution == ("solution/adder.py",)
    assert ch.limits.timeout_s == 3 and ch.limits.memory_mb == 256
    assert ch.hints[0].text == "Use +." and ch.hints[0].after_attempts == 1
    assert ch.is_locked("helpers.py") and not ch.is_locked("data/a.txt")
    assert set(ch.starter_files()) == {"helpers.py", "data/a.txt"}
    assert ch.test_files("run") == ["tests/test_add.py"]
    assert ch.test_files("submit") == ["tests/test_add.py", "hidden/test_add_hidden.py"]
    assert [h.text for h in ch.unlocked_hints(0)] == [] and len(ch.unlocked_hints(1)) == 1


def test_starter_and_learner_files_are_listed_once(tmp_path):
    path = make_challenge(
        tmp_path,
        files={"data/a.txt": "a\n", "data/b.txt": "b\n", "rules.py": "R = 1\n"},
        locked=["rules.py", "data/b.txt"],
    )
    (path / "data" / ".ipynb_checkpoints").mkdir()
    (path / "data" / ".ipynb_checkpoints" / "a-checkpoint.txt").write_text("old")
    ch = load_challenge(path)
    assert ch.starter_relpaths() == ["data/a.txt", "data/b.txt", "rules.py"]
    assert ch.learner_relpaths() == ["data/a.txt"]
    assert list(ch.starter_files()) == ch.starter_relpaths()


def test_toml_paths_follow_the_path_rules(tmp_path):
    for bad, words in (
        ("../outside.py", "inside its folder"),
        ("/etc/passwd", "relative"),
        ("a\\b.py", "'/' separators"),
    ):
        path = make_challenge(tmp_path / str(len(words)), toml_extra="")
        toml = path / "challenge.toml"
        toml.write_text(toml.read_text().replace("files = []", f"files = ['{bad}']"))
        with pytest.raises(ChallengeError) as info:
            load_challenge(path)
        assert info.value.key == "files" and words in str(info.value), str(info.value)


def test_version_changes_with_any_file(tmp_path):
    path = make_challenge(tmp_path)
    before = challenge_version(path)
    assert before == challenge_version(path)
    (path / "hidden" / "test_add_hidden.py").write_text("def test_x():\n    pass\n")
    assert challenge_version(path) != before
    (path / "__pycache__").mkdir()
    (path / "__pycache__" / "junk.pyc").write_bytes(b"x")
    after = challenge_version(path)
    assert after == challenge_version(path)


@pytest.mark.parametrize(
    ("toml_extra", "key", "words"),
    [
        ('difficulty = "simple"', "difficulty", "easy, medium, hard"),
        ("estimated_minutes = -3", "estimated_minutes", "positive"),
        ('tags = "arrays"', "tags", "list of strings"),
        ('module = "not a name"', "module", "valid Python module name"),
        ('show_hidden_details = "yes"', "show_hidden_details", "true or false"),
        ('isolation = "process"', "isolation", "one of judge, kernel (got 'process')"),
        ("isolation = true", "isolation", "one of judge, kernel"),
    ],
)
def test_bad_keys_are_named(tmp_path, toml_extra, key, words):
    path = make_challenge(tmp_path)
    toml = (path / "challenge.toml").read_text()
    name = toml_extra.split(" = ")[0]
    toml = "\n".join(line for line in toml.splitlines() if not line.startswith(f"{name} ="))
    (path / "challenge.toml").write_text(toml_extra + "\n" + toml)
    with pytest.raises(ChallengeError) as info:
        load_challenge(path)
    assert info.value.key == key
    assert "challenge.toml" in str(info.value) and words in str(info.value)


@pytest.mark.parametrize(("line", "isolation"), [("", "judge"), ('isolation = "kernel"', "kernel")])
def test_isolation_defaults_to_the_judge(tmp_path, line, isolation):
    path = make_challenge(tmp_path)
    toml = path / "challenge.toml"
    toml.write_text(line + "\n" + toml.read_text())
    challenge = load_challenge(path)
    assert challenge.isolation == isolation
    assert "isolation" not in challenge.extra


def test_missing_pieces(tmp_path):
    path = make_challenge(tmp_path)
    (path / "adder.ipynb").unlink()
    with pytest.raises(ChallengeError, match=r"notebook.*does not exist"):
        load_challenge(path)
    with pytest.raises(ChallengeError, match="is missing"):
        load_challenge(tmp_path)  # no challenge.toml
    bad = make_challenge(tmp_path, "broken-toml")
    (bad / "challenge.toml").write_text("title = [unclosed")
    with pytest.raises(ChallengeError, match="not valid TOML"):
        load_challenge(bad)


def test_paths_must_stay_inside(tmp_path):
    path = make_challenge(tmp_path)
    toml = (path / "challenge.toml").read_text().replace("files = []", 'files = ["../outside.py"]')
    (path / "challenge.toml").write_text(toml)
    (tmp_path / "outside.py").write_text("")
    with pytest.raises(ChallengeError) as info:
        load_challenge(path)
    assert info.value.key == "files" and "inside the challenge directory" in str(info.value)


def test_locked_must_be_a_starter_file(tmp_path):
    path = make_challenge(tmp_path, files={"a.py": ""})
    toml = (
        (path / "challenge.toml")
        .read_text()
        .replace("locked = []", 'locked = ["tests/test_add.py"]')
    )
    (path / "challenge.toml").write_text(toml)
    with pytest.raises(ChallengeError, match="must also be listed in 'files'"):
        load_challenge(path)


def test_catalog_keeps_good_challenges_and_reports_broken(tmp_path):
    make_challenge(tmp_path, "alpha")
    make_challenge(tmp_path, "beta")
    broken = make_challenge(tmp_path, "gamma")
    (broken / "challenge.toml").write_text('title = ""')
    catalog = ChallengeCatalog([tmp_path])
    assert catalog.ids() == ["alpha", "beta"]
    assert len(catalog.errors) == 1 and "gamma" in str(catalog.errors[0])
    assert catalog.get("alpha").id == "alpha"
    with pytest.raises(ChallengeNotFound):
        catalog.get("../etc")


def test_bundled_challenges_all_load():
    catalog = ChallengeCatalog([bundled_challenges_dir()])
    assert catalog.errors == []
    assert len(catalog) >= 8
    assert {c.difficulty for c in catalog} == {"easy", "medium", "hard"}
    assert all(c.hidden_tests and c.public_tests and c.solution and c.hints for c in catalog)
    assert any(c.locked for c in catalog)
