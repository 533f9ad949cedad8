"""Loading challenge directories (the challenge format of the design contract).

A challenge is a directory holding ``challenge.toml``, a starter notebook, optional
starter files, public tests in ``tests/``, hidden tests in ``hidden/`` and a reference
solution in ``solution/``. This module reads and checks one, and keeps a catalog of
many. It imports nothing from the server.

It runs a little past ~400 lines because it is the format's one reader: every key of
``challenge.toml`` is checked here, with an error naming it, next to the
:class:`Challenge` it fills in; the catalog beside it is some 70 lines.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from .deadlines import Schedule, ScheduleError, parse_schedule
from .errors import ChallengeNotFound
from .paths import UnsafePath, safe_relpath

DIFFICULTIES = ("easy", "medium", "hard")
# Where a challenge's tests run (see grading.suite and the judge package).
ISOLATIONS = ("judge", "kernel")
CHALLENGE_FILE = "challenge.toml"
# Directory entries that never belong to a challenge's content.
IGNORED_NAMES = frozenset(
    {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store", ".git"}
)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MODULE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ChallengeError(Exception):
    """A challenge directory that cannot be used, with the file and key at fault."""

    def __init__(self, path: Path | str, message: str, key: str | None = None):
        self.path = str(path)
        self.key = key
        self.message = message
        where = f"{self.path}: key '{key}'" if key else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading run."""

    timeout_s: float = 10.0  # per test
    memory_mb: int = 512
    run_timeout_s: float | None = None  # whole run; default derived from the tests
    cell_timeout_s: float | None = None  # per notebook cell; default timeout_s
    output_kb: int = 64  # captured output kept per test

    def to_json(self) -> dict[str, Any]:
        return {
            "timeout_s": self.timeout_s,
            "memory_mb": self.memory_mb,
            "run_timeout_s": self.run_timeout_s,
            "cell_timeout_s": self.cell_timeout_s,
            "output_kb": self.output_kb,
        }


@dataclass(frozen=True)
class Hint:
    text: str
    after_attempts: int = 0


@dataclass(frozen=True)
class Challenge:
    """One loaded, checked challenge."""

    id: str
    path: Path
    title: str
    difficulty: str
    estimated_minutes: int | None
    tags: tuple[str, ...]
    notebook: str
    module: str
    files: tuple[str, ...]
    locked: tuple[str, ...]
    limits: Limits
    hints: tuple[Hint, ...]
    description: str
    show_hidden_details: bool
    version: str
    public_tests: tuple[str, ...]  # paths relative to the challenge dir
    hidden_tests: tuple[str, ...]
    solution: tuple[str, ...]
    schedule: Schedule = field(default_factory=Schedule)
    # Where the tests run: "judge" (a process of their own, learner code out of reach of
    # the verdicts) or "kernel" (inside the learner's kernel, as pytest alone would).
    isolation: str = "judge"
    # Files beside the tests other than Python (``tests/data/cases.json``,
    # ``hidden/data/big.txt``): written next to the test files wherever they run.
    test_data: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def notebook_path(self) -> Path:
        return self.path / self.notebook

    def test_files(self, mode: str) -> list[str]:
        """Relative paths of the test-suite files graded in ``mode`` (run|submit)."""
        files = list(self.public_tests)
        if mode == "submit":
            files += list(self.hidden_tests)
        return files

    def test_data_files(self, mode: str) -> dict[str, bytes]:
        """The files beside the tests graded in ``mode`` (run|submit), relative path to
        content: ``tests/…`` ones always, ``hidden/…`` ones with Submit's tests only."""
        return {
            rel: (self.path / rel).read_bytes()
            for rel in self.test_data
            if mode == "submit" or not rel.startswith("hidden/")
        }

    def read_sources(self, relpaths: Iterable[str]) -> dict[str, str]:
        return {rel: (self.path / rel).read_text(encoding="utf-8") for rel in relpaths}

    def starter_relpaths(self) -> list[str]:
        """The starter files' relative paths (``files``, directories expanded)."""
        out: list[str] = []
        for rel in self.files:
            src = self.path / rel
            if src.is_dir():
                out.extend(p.relative_to(self.path).as_posix() for p in sorted(_walk(src)))
            else:
                out.append(rel)
        return out

    def learner_relpaths(self) -> list[str]:
        """The starter files a learner's copy replaces when graded: all but locked ones.

        What a submission from a workspace carries beside its notebook, wherever it is
        read from (the server's contents, or the disk next to the notebook).
        """
        return [rel for rel in self.starter_relpaths() if not self.is_locked(rel)]

    def starter_files(self) -> dict[str, bytes]:
        """The starter files (``files``), relative path to content, directories expanded."""
        return {rel: (self.path / rel).read_bytes() for rel in self.starter_relpaths()}

    def is_locked(self, relpath: str) -> bool:
        rel = PurePosixPath(relpath)
        for locked in self.locked:
            lp = PurePosixPath(locked)
            if rel == lp or lp in rel.parents:
                return True
        return False

    def unlocked_hints(self, failed_attempts: int) -> list[Hint]:
        return [h for h in self.hints if failed_attempts >= h.after_attempts]

    def summary_json(self) -> dict[str, Any]:
        """Metadata for listings (no test sources)."""
        return {
            "id": self.id,
            "title": self.title,
            "difficulty": self.difficulty,
            "estimated_minutes": self.estimated_minutes,
            "tags": list(self.tags),
            "notebook": self.notebook,
            "version": self.version,
            **self.schedule.to_json(),
        }


def _walk(root: Path) -> Iterator[Path]:
    for p in root.iterdir():
        if p.name in IGNORED_NAMES:
            continue
        if p.is_symlink():
            continue
        if p.is_dir():
            yield from _walk(p)
        elif p.is_file():
            yield p


def challenge_version(path: Path) -> str:
    """sha256 over every file of the challenge directory (names and contents)."""
    digest = hashlib.sha256()
    for p in sorted(_walk(path), key=lambda q: q.relative_to(path).as_posix()):
        rel = p.relative_to(path).as_posix()
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256(p.read_bytes()).digest())
    return digest.hexdigest()


def _python_files(root: Path, python: bool = True) -> tuple[str, ...]:
    """The ``.py`` files under ``root`` (``python=False``: every other file), relative
    to its parent."""
    if not root.is_dir():
        return ()
    base = root.parent
    return tuple(
        sorted(p.relative_to(base).as_posix() for p in _walk(root) if (p.suffix == ".py") == python)
    )


def _expect(cond: bool, path: Path, key: str, message: str) -> None:
    if not cond:
        raise ChallengeError(path, message, key)


def _safe_relpath(value: Any, toml_path: Path, key: str, root: Path) -> str:
    """A path of ``challenge.toml``, checked like every outside path, that exists."""
    try:
        rel = safe_relpath(value, what=f"'{value}'" if isinstance(value, str) else "the path")
    except UnsafePath as exc:
        raise ChallengeError(
            toml_path, f"{exc} (a relative path inside the challenge directory)", key
        ) from None
    _expect((root / rel).exists(), toml_path, key, f"'{value}' does not exist")
    return rel


def _description(root: Path, meta: dict[str, Any], notebook: Path) -> str:
    if isinstance(meta.get("description"), str):
        return meta["description"]
    readme = root / "README.md"
    if readme.is_file():
        return readme.read_text(encoding="utf-8")
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "markdown":
                src = cell.get("source", "")
                return "".join(src) if isinstance(src, list) else src
    except (OSError, ValueError):
        pass
    return ""


def load_challenge(path: Path | str) -> Challenge:
    """Read and check the challenge directory at ``path``.

    Raises
    ------
    ChallengeError
        naming the file, the key and what is wrong.
    """
    root = Path(path).resolve()
    if not root.is_dir():
        raise ChallengeError(root, "is not a directory")
    toml_path = root / CHALLENGE_FILE
    if not toml_path.is_file():
        raise ChallengeError(toml_path, "is missing")
    try:
        meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ChallengeError(toml_path, f"is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ChallengeError(toml_path, "is not UTF-8 text") from None

    cid = root.name
    _expect(
        bool(ID_PATTERN.match(cid)),
        root,
        "id",
        "the directory name is the challenge id: lowercase letters, digits, '-' and '_'",
    )
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ChallengeError(toml_path, "is required", "title")
    difficulty = meta.get("difficulty", "medium")
    _expect(
        difficulty in DIFFICULTIES,
        toml_path,
        "difficulty",
        f"must be one of {', '.join(DIFFICULTIES)} (got {difficulty!r})",
    )
    minutes = meta.get("estimated_minutes")
    _expect(
        minutes is None or (isinstance(minutes, int) and minutes > 0),
        toml_path,
        "estimated_minutes",
        "must be a positive whole number",
    )
    tags = meta.get("tags", [])
    _expect(
        isinstance(tags, list) and all(isinstance(t, str) for t in tags),
        toml_path,
        "tags",
        "must be a list of strings",
    )
    notebook = _safe_relpath(meta.get("notebook"), toml_path, "notebook", root)
    _expect(notebook.endswith(".ipynb"), toml_path, "notebook", "must name a .ipynb file")
    _check_notebook(root / notebook)
    module = meta.get("module", PurePosixPath(notebook).stem)
    _expect(
        isinstance(module, str) and bool(MODULE_PATTERN.match(module)),
        toml_path,
        "module",
        f"must be a valid Python module name (got {module!r})",
    )
    files = meta.get("files", [])
    _expect(isinstance(files, list), toml_path, "files", "must be a list of paths")
    files = [_safe_relpath(f, toml_path, "files", root) for f in files]
    locked = meta.get("locked", [])
    _expect(isinstance(locked, list), toml_path, "locked", "must be a list of paths")
    locked = [_safe_relpath(f, toml_path, "locked", root) for f in locked]
    for lp in locked:
        _expect(
            any(lp == f or lp.startswith(f.rstrip("/") + "/") for f in files),
            toml_path,
            "locked",
            f"'{lp}' must also be listed in 'files'",
        )

    limits_meta = meta.get("limits", {})
    _expect(isinstance(limits_meta, dict), toml_path, "limits", "must be a table")
    limits = _limits(limits_meta, toml_path)

    hints_meta = meta.get("hints", [])
    _expect(isinstance(hints_meta, list), toml_path, "hints", "must be an array of tables")
    hints = []
    for i, h in enumerate(hints_meta):
        key = f"hints[{i}]"
        _expect(
            isinstance(h, dict) and isinstance(h.get("text"), str),
            toml_path,
            key,
            "needs a 'text' string",
        )
        after = h.get("after_attempts", 0)
        _expect(
            isinstance(after, int) and after >= 0,
            toml_path,
            f"{key}.after_attempts",
            "must be a whole number >= 0",
        )
        hints.append(Hint(text=h["text"], after_attempts=after))

    show_hidden = meta.get("show_hidden_details", False)
    _expect(
        isinstance(show_hidden, bool), toml_path, "show_hidden_details", "must be true or false"
    )

    public_tests = _python_files(root / "tests")
    hidden_tests = _python_files(root / "hidden")
    if not any(PurePosixPath(p).name.startswith("test_") for p in public_tests + hidden_tests):
        raise ChallengeError(root / "tests", "holds no test_*.py file (nor does hidden/)")
    solution_dir = root / "solution"
    solution = (
        tuple(sorted(p.relative_to(root).as_posix() for p in _walk(solution_dir)))
        if solution_dir.is_dir()
        else ()
    )
    isolation = meta.get("isolation", "judge")
    _expect(
        isolation in ISOLATIONS,
        toml_path,
        "isolation",
        f"must be one of {', '.join(ISOLATIONS)} (got {isolation!r})",
    )
    try:
        schedule = parse_schedule(meta)
    except ScheduleError as exc:
        raise ChallengeError(toml_path, exc.message, exc.key) from None
    known = {
        "opens",
        "due",
        "late",
        "max_submissions",
        "title",
        "difficulty",
        "estimated_minutes",
        "tags",
        "notebook",
        "module",
        "files",
        "locked",
        "limits",
        "hints",
        "show_hidden_details",
        "description",
        "isolation",
    }
    return Challenge(
        id=cid,
        path=root,
        title=title.strip(),
        difficulty=difficulty,
        estimated_minutes=minutes,
        tags=tuple(tags),
        notebook=notebook,
        module=module,
        files=tuple(files),
        locked=tuple(locked),
        limits=limits,
        hints=tuple(hints),
        description=_description(root, meta, root / notebook),
        show_hidden_details=show_hidden,
        version=challenge_version(root),
        public_tests=public_tests,
        hidden_tests=hidden_tests,
        solution=solution,
        schedule=schedule,
        isolation=isolation,
        test_data=_python_files(root / "tests", False) + _python_files(root / "hidden", False),
        extra={k: v for k, v in meta.items() if k not in known},
    )


def _limits(meta: dict[str, Any], toml_path: Path) -> Limits:
    def number(key: str, default: float | None, minimum: float) -> float | None:
        value = meta.get(key, default)
        if value is None:
            return None
        _expect(
            isinstance(value, (int, float)) and not isinstance(value, bool) and value >= minimum,
            toml_path,
            f"limits.{key}",
            f"must be a number >= {minimum}",
        )
        return float(value)

    memory = number("memory_mb", 512, 64)
    return Limits(
        timeout_s=number("timeout_s", 10.0, 0.1) or 10.0,
        memory_mb=int(memory or 512),
        run_timeout_s=number("run_timeout_s", None, 1),
        cell_timeout_s=number("cell_timeout_s", None, 0.1),
        output_kb=int(number("output_kb", 64, 1) or 64),
    )


def _check_notebook(path: Path) -> None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChallengeError(path, f"is not a readable notebook: {exc}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ChallengeError(path, "is not a notebook (no 'cells' list)")


class ChallengeCatalog:
    """The challenges found in a list of directories, by id.

    A directory either is a challenge (holds ``challenge.toml``) or holds challenges
    one level down. Broken challenges are kept aside in ``errors`` rather than hiding
    the good ones.
    """

    def __init__(self, roots: Iterable[Path | str]):
        self.roots = [Path(r) for r in roots]
        self._challenges: dict[str, Challenge] = {}
        self.errors: list[ChallengeError] = []
        self.reload()

    def reload(self) -> None:
        found: dict[str, Challenge] = {}
        errors: list[ChallengeError] = []
        for d in discover(self.roots):
            try:
                ch = load_challenge(d)
            except ChallengeError as exc:
                errors.append(exc)
                continue
            found.setdefault(ch.id, ch)
        self._challenges = dict(sorted(found.items(), key=lambda kv: _order(kv[1])))
        self.errors = errors

    def get(self, challenge_id: str) -> Challenge:
        try:
            return self._challenges[challenge_id]
        except KeyError:
            raise ChallengeNotFound(challenge_id) from None

    def __iter__(self) -> Iterator[Challenge]:
        return iter(self._challenges.values())

    def __len__(self) -> int:
        return len(self._challenges)

    def __contains__(self, challenge_id: object) -> bool:
        return challenge_id in self._challenges

    def ids(self) -> list[str]:
        return list(self._challenges)


def _order(ch: Challenge) -> tuple[int, str]:
    return (DIFFICULTIES.index(ch.difficulty), ch.title.lower())


def discover(roots: Iterable[Path | str]) -> list[Path]:
    """Challenge directories in ``roots`` (each a challenge or a folder of them)."""
    out: list[Path] = []
    for r in roots:
        root = Path(r)
        if (root / CHALLENGE_FILE).is_file():
            out.append(root)
        elif root.is_dir():
            out.extend(
                sorted(p for p in root.iterdir() if p.is_dir() and (p / CHALLENGE_FILE).is_file())
            )
    return out


def bundled_challenges_dir() -> Path:
    """The challenges shipped with the package (or the source tree's ``challenges/``)."""
    here = Path(__file__).resolve().parent
    packaged = here / "bundled_challenges"
    if packaged.is_dir():
        return packaged
    return here.parent / "challenges"
