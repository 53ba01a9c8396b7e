"""Result formats of the endpoint: which answers come in which formats.

The formats themselves, their aliases and the choice among them live in
:mod:`newsgraph.server.web.negotiation`, the one table and the one ``Accept``
parser of every route; this module only says what each query form is offered in.
"""

from __future__ import annotations

from newsgraph.server.web.negotiation import (
    CSV,
    GRAPHS,
    HTML,
    JSONLD,
    NQUADS,
    NTRIPLES,
    RDFXML,
    RESULTS,
    TRIG,
    TSV,
    TURTLE,
    Format,
    by_word,
    by_words,
    negotiate,
)
from newsgraph.server.web.negotiation import RESULTS_JSON as JSON
from newsgraph.server.web.negotiation import RESULTS_XML as XML

__all__ = [
    "BOOLEAN", "CSV", "GRAPH", "HTML", "JSON", "JSONLD", "NQUADS", "NTRIPLES", "RDFXML",
    "TABULAR", "TRIG", "TSV", "TURTLE", "XML", "Format", "by_word", "by_words", "negotiate",
    "offers_for",
]

# Server preference comes first: it wins ties (``*/*``, no Accept at all).
TABULAR = RESULTS
BOOLEAN = RESULTS
GRAPH = GRAPHS


def offers_for(form: str) -> tuple[Format, ...]:
    if form == "SELECT":
        return TABULAR
    if form == "ASK":
        return BOOLEAN
    return GRAPH
