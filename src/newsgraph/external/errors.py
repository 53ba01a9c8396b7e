"""The one error of the external-store client: a message of one line."""

from __future__ import annotations


class ExternalStoreError(Exception):
    """The store could not be reached or refused a request; the message is one
    line that names the store and says what to do."""


class TruncatedAnswer(ExternalStoreError):
    """The store answered, but the answer may be cut short (never serve it as complete)."""


class StoreTimeout(ExternalStoreError):
    """The store did not finish in time: no answer, or (Virtuoso's "anytime"
    queries) an answer the engine says it cut at its time limit."""


class AnswerTooLarge(ExternalStoreError):
    """The store's answer is longer than the caller takes (nothing of it is used)."""


class QueryRejected(ExternalStoreError):
    """The store answered 400 to a query: the query's fault, not the store's."""
