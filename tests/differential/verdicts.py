"""A pytest plugin for the plain-pytest side of the differential test: it writes each
test's verdict, in the words of CodeQuest's result JSON, to the JSON file named by
``$CODEQUEST_VERDICTS``.

The mapping (the one CodeQuest's engine documents, from pytest's own reports):

* a failure in a test's setup or teardown (fixtures, ``setUp``/``setUpClass``) is
  ``error``; in its call, ``failed`` when a check failed (``AssertionError``,
  ``unittest``'s assertions, ``pytest.fail``, ``pytest.raises``' "DID NOT RAISE"),
  ``error`` when the code raised anything else;
* a failing ``subTest`` fails its test;
* ``skipped`` for ``skip``/``skipif``/``skipTest`` and for an expected failure that
  did fail (``xfail``, ``unittest.expectedFailure``): pytest's own outcome for it;
* an ``xfail`` test that passes is ``passed`` (non-strict) or ``failed`` (strict),
  as pytest reports it.
"""

from __future__ import annotations

import json
import os

import pytest

_kinds: dict[str, str] = {}
_reports: dict[str, list] = {}


def _check_failed(exc: BaseException) -> bool:
    return isinstance(exc, (AssertionError, pytest.fail.Exception))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and item.nodeid not in _kinds:
        if call.excinfo is None:  # a strict xfail that passed: its expectation failed
            _kinds[item.nodeid] = "failed"
        else:
            failed_check = call.when == "call" and _check_failed(call.excinfo.value)
            _kinds[item.nodeid] = "failed" if failed_check else "error"


def pytest_runtest_logreport(report):
    _reports.setdefault(report.nodeid, []).append(report)


def verdict(nodeid: str, reports: list) -> str:
    for report in reports:
        if report.failed:
            # subTest failures come as reports of their own, their exception text only.
            return _kinds.get(nodeid) or (
                "failed" if "AssertionError" in str(report.longrepr) else "error"
            )
    if any(report.skipped for report in reports):
        return "skipped"
    return "passed"


def pytest_sessionfinish(session):
    out = {}
    for nodeid, reports in _reports.items():
        last = reports[-1]
        text = "".join(s for s in (last.capstdout, last.capstderr) if s)
        out[nodeid] = {"status": verdict(nodeid, reports), "output": text or None}
    with open(os.environ["CODEQUEST_VERDICTS"], "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, indent=1)
