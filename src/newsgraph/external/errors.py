"""The one error of the external-store client: a message of one line."""

from __future__ import annotations


class ExternalStoreError(Exception):
    """The store could not be reached or refused a request; the message is one
    line that names the store and says what to do."""


class TruncatedAnswer(ExternalStoreError):
    """The store answered, but the answer may be cut short (never serve it as complete)."""
