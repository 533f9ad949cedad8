"""The kernel launcher's own reading of the kernel's command line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ipykernel.kernelapp import IPKernelApp
from IPython.core.history import HistoryManager
from traitlets.config.loader import DeferredConfig

from codequest_jupyter.grading import launcher

ENGINE_ARGV = [
    "-f",
    "/tmp/run dir/kernel-1.json",
    "--HistoryManager.enabled=False",
    "--IPKernelApp.quiet=True",
    "--IPKernelApp.parent_handle=1234",
]


def _resolved(config):
    """``config`` with deferred command-line strings converted by their traits."""
    classes = {"IPKernelApp": IPKernelApp, "HistoryManager": HistoryManager}
    out = {}
    for section, values in config.items():
        traits = classes[section].class_traits()
        out[section] = {
            key: value.get_value(traits[key]) if isinstance(value, DeferredConfig) else value
            for key, value in values.items()
        }
    return out


@pytest.fixture
def apps():
    made = []

    def make(cls):
        app = cls()
        made.append(app)
        return app

    yield make
    IPKernelApp.clear_instance()


def test_the_engines_options_read_as_traitlets_reads_them(apps):
    ours = apps(launcher.kernel_app_class())
    ours.parse_command_line(list(ENGINE_ARGV))
    theirs = apps(IPKernelApp)
    theirs.parse_command_line(list(ENGINE_ARGV))
    assert _resolved(ours.cli_config) == _resolved(theirs.cli_config)
    assert _resolved(ours.cli_config)["HistoryManager"] == {"enabled": False}
    assert (ours.connection_file, ours.quiet, ours.parent_handle) == (
        "/tmp/run dir/kernel-1.json",
        True,
        1234,
    )
    assert ours.extra_args == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug"],  # a flag
        ["--ip=127.0.0.2"],  # an alias other than -f
        ["-f"],  # no value
        ["--IPKernelApp.quiet"],  # no value
        ["--ipkernelapp.quiet=True"],  # not a class name
        ["extra.py"],  # a positional argument
    ],
)
def test_anything_else_is_left_to_traitlets(argv):
    assert launcher.command_line_config(argv) is None


def test_traitlets_still_parses_what_the_launcher_does_not(apps):
    app = apps(launcher.kernel_app_class())
    app.parse_command_line(["-f", "/tmp/k.json", "--ip=127.0.0.2", "--IPKernelApp.quiet=True"])
    assert (app.connection_file, app.ip, app.quiet) == ("/tmp/k.json", "127.0.0.2", True)


def test_kernels_have_no_debugger_but_learner_code_can_import_debugpy():
    code = (
        "import sys\n"
        "from codequest_jupyter.grading import launcher\n"
        "launcher.import_debugger_support()\n"
        "import ipykernel.debugger\n"
        "assert ipykernel.debugger._is_debugpy_available is False\n"
        "assert 'debugpy' not in sys.modules\n"
        "import debugpy\n"
        "print('ok', debugpy.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok debugpy"
