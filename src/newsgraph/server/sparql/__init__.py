"""SPARQL for newsgraph: the query guard, killable query workers, result writers,
the service description and the example queries. The HTTP side is
``newsgraph.server.web.sparql``.

Nothing here parses with rdflib (its SPARQL parser is not thread-safe): the
guard has its own lexer and the engine is pyoxigraph, in worker processes.
"""
