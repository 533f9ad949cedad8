"""The package's layout: deployments over one shared domain.

``server/`` (the Jupyter server extension), ``service/`` (the hub's grading service),
``worker/`` (the hub's grading workers), ``cli/`` and ``widget/`` are thin layers over
the domain (challenges, grading, judge, store, results, submissions ...), which is
reused by all of them and so imports none of them, nor any web framework: checked here
on every module's import statements (including imports inside functions).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "codequest_jupyter"
NAME = PACKAGE.name
DEPLOYMENTS = ("server", "service", "worker", "cli", "widget")
WEB = ("tornado", "jupyter_server", "jupyterhub")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved."""
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    if parts[0] in DEPLOYMENTS:
        return parts[0]
    if parts[0] in ("__init__.py", "__main__.py"):
        return "entry"
    return "domain"


MODULES = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    if "labextension" not in p.parts and "migrations" not in p.parts
)


def reaches(names: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == r or n.startswith(r + ".") for r in roots))


@pytest.mark.parametrize(
    "path", [p for p in MODULES if layer(p) == "domain"], ids=lambda p: module_name(p)
)
def test_the_domain_imports_no_deployment_and_no_web_framework(path):
    names = imported(path)
    assert reaches(names, WEB) == []
    assert reaches(names, tuple(f"{NAME}.{d}" for d in DEPLOYMENTS)) == []


@pytest.mark.parametrize(
    "path", [p for p in MODULES if layer(p) == "worker"], ids=lambda p: module_name(p)
)
def test_workers_run_without_a_web_server(path):
    names = imported(path)
    assert reaches(names, WEB) == []
    assert reaches(names, (f"{NAME}.server", f"{NAME}.service", f"{NAME}.cli")) == []


@pytest.mark.parametrize(
    "path", [p for p in MODULES if layer(p) == "server"], ids=lambda p: module_name(p)
)
def test_a_learners_server_holds_none_of_the_services_code(path):
    """The service's identity provider, authorizer and endpoints are not even imported
    by a learner's server (it reaches the service over HTTP only)."""
    assert reaches(imported(path), (f"{NAME}.service", f"{NAME}.worker")) == []


def test_the_layout_is_what_the_readme_shows():
    """Every package and module is named in the README's Development tree."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    tree = readme.split("## Development", 1)[1].split("```", 2)[1]
    for path in MODULES:
        name = path.parent.name + "/" if path.name == "__init__.py" else path.name
        if path.name in ("__main__.py", "_version.py") or path == PACKAGE / "__init__.py":
            continue
        assert name in tree or path.stem in tree, f"{path.relative_to(PACKAGE)} missing"
