"""Typed errors of the domain and service layers, each carrying the HTTP status it means.

Every error a request can cause is a :class:`CodeQuestError` defined here, whichever
layer raises it (the challenge catalog, the path checks, the grading engine, the
services); the REST handler base turns any of them into a ``{"message": ...}`` reply
with the status below, in one place, and knows no other exception. They import
nothing, so the domain, the CLI and the tests use them directly.
"""

from __future__ import annotations


class CodeQuestError(Exception):
    """Base of the errors a request can cause; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidRequest(CodeQuestError, ValueError):
    """The request's body or parameters are malformed or of the wrong type."""

    status = 400


class UnsafePath(InvalidRequest):
    """A path from outside that is absolute, climbs out of its folder, or is unusable."""


class SubmissionInvalid(InvalidRequest):
    """The submission is not something that can be graded (not a notebook, bad files)."""


class NotSignedIn(CodeQuestError):
    """No valid sign-in came with the request (a hub token that expired or was revoked)."""

    status = 401


class Forbidden(CodeQuestError):
    """The user may not do this (e.g. list everyone's submissions without being an instructor)."""

    status = 403


class SubmissionClosed(Forbidden):
    """The challenge takes no submission now: not open yet, or due with late work refused."""


class Conflict(CodeQuestError):
    """The request conflicts with the state of things (e.g. a quota that is used up)."""

    status = 409


class SubmissionLimitReached(Conflict):
    """Every Submit allowed by the challenge's ``max_submissions`` is used."""


class NotFound(CodeQuestError, LookupError):
    """No such submission (for this user), workspace file, or challenge."""

    status = 404


class ChallengeNotFound(NotFound, KeyError):
    """No challenge with that id in the catalog (a ``KeyError`` too, as a mapping's)."""

    def __init__(self, challenge_id: str):
        super().__init__(f"no challenge '{challenge_id}'")
        self.challenge_id = challenge_id


class PayloadTooLarge(CodeQuestError):
    """The request body exceeds the configured size limit."""

    status = 413


class RateLimited(CodeQuestError):
    """Too many submissions in a short time; ``retry_after`` is in whole seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(CodeQuestError):
    """No new work can be taken now: the service is shutting down, or its grading
    sandbox cannot run (the learner's work is not stored, and stays theirs)."""

    status = 503


class WorkspaceUnavailable(ServiceUnavailable):
    """The learner's files cannot be written (or read) now: a read-only or full disk."""
