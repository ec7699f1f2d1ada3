"""One error hierarchy for FreshKB; every error carries the input it is about.

KBError
 ├── ConfigError        bad or unknown configuration (names the key or file)
 ├── IngestError        an export or one of its entries could not be read (names the entry)
 ├── StoreError         the document store or the vector index failed
 ├── NotFoundError      a document id or resource that does not exist (or is not visible)
 ├── AuthError          missing / invalid / expired credentials        -> HTTP 401
 ├── PermissionDenied   authenticated, but not allowed                 -> HTTP 403
 ├── BadRequest         a request the caller can fix (empty question…) -> HTTP 400/422
 ├── AnswerError        the answerer (e.g. a remote LLM endpoint) failed -> HTTP 502
 └── DeliveryError      an alert channel failed to deliver
"""

from __future__ import annotations


class KBError(Exception):
    """Base class. ``subject`` names the input (file, key, doc id) the error is about."""

    http_status: int = 500

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.subject = subject

    def __str__(self) -> str:
        if self.subject:
            return f"{self.subject}: {self.message}"
        return self.message


class ConfigError(KBError):
    http_status = 500


class IngestError(KBError):
    http_status = 400


class StoreError(KBError):
    http_status = 503


class NotFoundError(KBError):
    http_status = 404


class AuthError(KBError):
    http_status = 401


class PermissionDenied(KBError):
    http_status = 403


class BadRequest(KBError):
    http_status = 400


class Conflict(KBError):
    """A well-formed request the resource's state rules out (a page named as its own successor)."""

    http_status = 409


class AnswerError(KBError):
    http_status = 502


class DeliveryError(KBError):
    http_status = 502
