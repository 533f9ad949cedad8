"""A learner's earlier submissions and hints as the Tests panel shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import FINAL_STATUSES
from .wording import format_points, format_when


@dataclass(frozen=True)
class HistoryEntry:
    """One earlier submission, from a submission summary (result JSON minus tests)."""

    id: str
    mode: str
    status: str
    submitted_at: str
    score: int
    total: int
    points: float
    max_points: float

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HistoryEntry:
        return cls(
            id=str(data.get("id", "")),
            mode=str(data.get("mode", "submit")),
            status=str(data.get("status", "")),
            submitted_at=str(data.get("submitted_at", "")),
            score=int(data.get("score") or 0),
            total=int(data.get("total") or 0),
            points=float(data.get("points") or 0),
            max_points=float(data.get("max_points") or 0),
        )

    @property
    def when(self) -> str:
        return format_when(self.submitted_at)

    @property
    def score_text(self) -> str:
        if self.status not in FINAL_STATUSES:
            return ""
        return f"{self.score}/{self.total}"

    @property
    def points_text(self) -> str:
        if self.status not in FINAL_STATUSES:
            return ""
        return f"{format_points(self.points)}/{format_points(self.max_points)} pts"


@dataclass(frozen=True)
class Hints:
    """The hints unlocked so far, and how many are still locked."""

    unlocked: tuple[str, ...]
    locked: int
