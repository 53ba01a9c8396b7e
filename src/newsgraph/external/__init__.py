"""External SPARQL stores: a client of the SPARQL 1.1 Protocol and the Graph
Store Protocol, the dialects of the engines it knows (Oxigraph server,
Virtuoso, a generic one), and ``newsgraph publish``, which loads a release
into such a store. Imports neither the pipeline nor the server: both use it.
"""

from newsgraph.external.client import StoreClient, open_client
from newsgraph.external.credentials import Credentials, find_credentials
from newsgraph.external.dialects import (
    DIALECTS,
    Dialect,
    Endpoints,
    Oxigraph,
    Virtuoso,
    dialect_named,
)
from newsgraph.external.errors import (
    AnswerTooLarge,
    ExternalStoreError,
    QueryRejected,
    StoreTimeout,
    TruncatedAnswer,
)

__all__ = [
    "DIALECTS",
    "AnswerTooLarge",
    "Credentials",
    "Dialect",
    "Endpoints",
    "ExternalStoreError",
    "Oxigraph",
    "QueryRejected",
    "StoreClient",
    "StoreTimeout",
    "TruncatedAnswer",
    "Virtuoso",
    "dialect_named",
    "find_credentials",
    "open_client",
]
