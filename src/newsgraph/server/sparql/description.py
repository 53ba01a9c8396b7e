"""The SPARQL 1.1 Service Description of the endpoint (answered on a GET without query).

It names the endpoint by its public IRI under the configured base, never by
the URL a client reached it with (that would reflect the ``Host`` header; the
W3C tests, which expect ``sd:endpoint`` to be the URL they asked, run against
a server whose base is that URL), the result formats, the union default graph
and each named graph with its size, and states the limits in words.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from newsgraph import iris
from newsgraph.server.sparql import formats

# the service description's prefixes, from the one namespace table
PREFIXES = {p: iris.PREFIXES[p] for p in ("sd", "formats", "void", "dcterms", "rdfs", "xsd")}
SD, FORMATS, VOID, DCTERMS, RDFS, XSD = PREFIXES.values()
RDF_TYPE = f"{iris.PREFIXES['rdf']}type"
ENTAILMENT_SIMPLE = "http://www.w3.org/ns/entailment/Simple"


# the W3C "Unique URIs for file formats" of what the endpoint writes
RESULT_FORMAT_IRIS = {
    formats.JSON.name: "SPARQL_Results_JSON",
    formats.XML.name: "SPARQL_Results_XML",
    formats.CSV.name: "SPARQL_Results_CSV",
    formats.TSV.name: "SPARQL_Results_TSV",
    formats.TURTLE.name: "Turtle",
    formats.NTRIPLES.name: "N-Triples",
    formats.RDFXML.name: "RDF_XML",
    formats.JSONLD.name: "JSON-LD",
    formats.NQUADS.name: "N-Quads",
    formats.TRIG.name: "TriG",
}


def service_description(
    endpoint: str,
    graphs: Mapping[str, int | None],
    *,
    dataset_page: str,
    limits: str,
    federation: bool,
) -> list[ox.Triple]:
    """The description as triples; ``graphs`` maps each graph name to its triple count."""
    n = ox.NamedNode
    triples: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
            ) -> None:
        triples.append(ox.Triple(s, n(p), o))

    service = n(endpoint)
    add(service, RDF_TYPE, n(SD + "Service"))
    add(service, SD + "endpoint", service)
    add(service, SD + "supportedLanguage", n(SD + "SPARQL11Query"))
    for name in RESULT_FORMAT_IRIS.values():
        add(service, SD + "resultFormat", n(FORMATS + name))
    add(service, SD + "feature", n(SD + "UnionDefaultGraph"))
    if federation:
        add(service, SD + "feature", n(SD + "BasicFederatedQuery"))
    add(service, SD + "defaultEntailmentRegime", n(ENTAILMENT_SIMPLE))
    add(service, DCTERMS + "title", ox.Literal("newsgraph SPARQL endpoint", language="en"))
    add(service, RDFS + "comment", ox.Literal(limits, language="en"))
    add(service, RDFS + "seeAlso", n(dataset_page))

    dataset = ox.BlankNode("dataset")
    add(service, SD + "defaultDataset", dataset)
    add(dataset, RDF_TYPE, n(SD + "Dataset"))
    default_graph = ox.BlankNode("union")
    add(dataset, SD + "defaultGraph", default_graph)
    add(default_graph, RDF_TYPE, n(SD + "Graph"))
    add(default_graph, RDFS + "comment",
        ox.Literal("The default graph is the union of all the named graphs.", language="en"))
    counts = [c for c in graphs.values() if c is not None]
    if counts and len(counts) == len(graphs):
        add(default_graph, VOID + "triples", ox.Literal(str(sum(counts)),
                                                        datatype=n(XSD + "integer")))
    for index, (name, count) in enumerate(sorted(graphs.items())):
        named = ox.BlankNode(f"g{index}")
        add(dataset, SD + "namedGraph", named)
        add(named, RDF_TYPE, n(SD + "NamedGraph"))
        add(named, SD + "name", n(name))
        graph = ox.BlankNode(f"g{index}graph")
        add(named, SD + "graph", graph)
        add(graph, RDF_TYPE, n(SD + "Graph"))
        if count is not None:
            add(graph, VOID + "triples", ox.Literal(str(count), datatype=n(XSD + "integer")))
    return triples


GRAPH_SIZES_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
