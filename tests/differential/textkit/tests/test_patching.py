"""Reaching into the learner's module: patching its globals, builtins, the
environment; capsys, capfd, caplog, tmp_path."""

import io
import logging
import os
from unittest import mock

import pytest

import textkit


def test_open_patched_in_the_module():
    fake = io.StringIO("one\ntwo\nthree\n")
    with mock.patch("textkit.open", return_value=fake, create=True):
        assert textkit.count_lines("nowhere.txt") == 3


def test_open_side_effect_per_call():
    files = {"a.txt": "x\n", "b.txt": "x\ny\n"}
    with mock.patch(
        "textkit.open", side_effect=lambda p, *a, **k: io.StringIO(files[p]), create=True
    ):
        assert [textkit.count_lines(p) for p in ("a.txt", "b.txt")] == [1, 2]


def test_mock_open_for_writing():
    m = mock.mock_open()
    with mock.patch("textkit.open", m, create=True):
        assert textkit.save_words("out.txt", ["a", "b"]) == 2
    m().write.assert_any_call("a\n")


def test_input_patched_in_the_module():
    with mock.patch("textkit.input", return_value="  ada lovelace ", create=True):
        assert textkit.ask_name() == "Ada Lovelace"


def test_input_patched_in_builtins():
    with mock.patch("builtins.input", return_value="grace"):
        assert textkit.ask_name() == "Grace"


def test_open_is_not_an_attribute():
    assert not hasattr(textkit, "open")


def test_time_sleep_patched():
    with mock.patch("textkit.time.sleep") as sleep:
        assert textkit.slow_double(21) == 42
    sleep.assert_called_once_with(30)


def test_random_patched_with_monkeypatch(monkeypatch):
    monkeypatch.setattr(textkit.random, "randint", lambda a, b: b)
    assert textkit.roll() == 6


def test_roll_in_range():
    assert all(1 <= textkit.roll() <= 6 for _ in range(200))


def test_constant_by_monkeypatch(monkeypatch):
    monkeypatch.setattr(textkit, "MAX_WORDS", 1)
    assert textkit.first_words("a b c") == ["a"]


def test_constant_by_string_target(monkeypatch):
    monkeypatch.setattr("textkit.GREETING", "Bonjour")
    assert textkit.greet("Zoé") == "Bonjour, Zoé"


def test_constant_assigned_directly():
    old = textkit.GREETING
    textkit.GREETING = "Hey"
    try:
        assert textkit.greet("you") == "Hey, you"
    finally:
        textkit.GREETING = old


def test_patch_object_on_the_module():
    with mock.patch.object(textkit, "shout", return_value="patched"):
        assert textkit.shout("x") == "patched"
    assert textkit.shout("x") == "X!"


def test_function_replaced_in_the_module_reaches_callers(monkeypatch):
    monkeypatch.setattr(textkit, "word_count", lambda text: 99)
    assert textkit.word_count("a") == 99


def test_environment(monkeypatch):
    monkeypatch.setenv("TEXTKIT_GREETING", "Ciao")
    assert textkit.env_greeting() == "Ciao"


def test_environment_unset(monkeypatch):
    monkeypatch.delenv("TEXTKIT_GREETING", raising=False)
    assert textkit.env_greeting() == "Hi"


def test_capsys(capsys):
    assert textkit.report(["x", "y"]) == 2
    out, err = capsys.readouterr()
    assert out == "- x\n- y\n"
    assert err == "2 items\n"


def test_capfd(capfd):
    textkit.shout_raw("raw")
    out, _err = capfd.readouterr()
    assert out == "RAW\n"


def test_caplog(caplog):
    with caplog.at_level(logging.WARNING, logger="textkit"):
        assert textkit.log_event("boot")
    assert "event: boot" in caplog.text


def test_tmp_path_real_file(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("a\nb\nc\nd\n", encoding="utf-8")
    assert textkit.count_lines(str(path)) == 4


def test_tmp_path_written(tmp_path):
    path = tmp_path / "words.txt"
    textkit.save_words(str(path), ["ein", "zwei"])
    assert path.read_text(encoding="utf-8").splitlines() == ["ein", "zwei"]


def test_module_state_first():
    assert textkit.record("a") >= 1


def test_module_state_second():
    assert textkit.CALLS[-1] == "a"
    assert textkit.record("b") == len(textkit.CALLS)


def test_chdir(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.txt").write_text("1\n2\n", encoding="utf-8")
    assert textkit.count_lines("here.txt") == 2
    assert os.getcwd() == str(tmp_path)


@pytest.mark.parametrize("name", ["Ängström", "李雷", "o'brien"])
def test_non_ascii_input(name):
    with mock.patch("builtins.input", return_value=f" {name} "):
        assert textkit.ask_name() == name.title()
