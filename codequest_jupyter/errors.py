"""Typed errors of the service layer, each carrying the HTTP status it means.

The service and workspace modules raise these; the REST handler base turns any of them
into a ``{"message": ...}`` reply with the status below, in one place. They import
nothing from the server, so the CLI and tests can use the services directly.
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


class Forbidden(CodeQuestError):
    """The user may not do this (e.g. list everyone's submissions without being an instructor)."""

    status = 403


class NotFound(CodeQuestError, LookupError):
    """No such submission (for this user), workspace file, or challenge."""

    status = 404


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
    """The service is shutting down and accepts no new work."""

    status = 503


class WorkspaceUnavailable(ServiceUnavailable):
    """The learner's files cannot be written (or read) now: a read-only or full disk."""
