"""What the dataset holds, said in VoID and DCAT.

Statistics are counted by the build and carried by the release
(newsgraph.statistics); the dumps' sizes and checksums come from the release's
manifest. The description is a list of triples so every renderer
(Turtle, JSON-LD, …) can write it.
"""

from __future__ import annotations

import pyoxigraph as ox

from newsgraph import iris
from newsgraph import release as release_layout
from newsgraph.server.store import OpenRelease
from newsgraph.statistics import Statistics, count_statistics, stats_from_json

__all__ = ["Statistics", "description_triples", "statistics"]

VOID, DCAT, DCT = (iris.PREFIXES[p] for p in ("void", "dcat", "dcterms"))
SPDX = "http://spdx.org/rdf/terms#"
RDF_TYPE = f"{iris.PREFIXES['rdf']}type"
OWL_SAMEAS = f"{iris.PREFIXES['owl']}sameAs"
XSD = iris.PREFIXES["xsd"]
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"


def statistics(release: OpenRelease, base: str) -> Statistics:
    """The release's statistics, counted by the build (``statistics.json``); a
    single served file has none, so its are counted from its store here."""
    if release.statistics is not None:
        return stats_from_json(release.statistics)
    return count_statistics(release.store, base)  # a file is always in an embedded store


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(f"{XSD}integer"))


def description_triples(
    release: OpenRelease, stats: Statistics, base: str, license_iri: str
) -> list[ox.Triple]:
    """VoID + DCAT for the dataset, its partitions, dumps and Wikidata linkset."""
    ds = iris.dataset(base)
    out: list[ox.Triple] = []

    def add(s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(_iri(s), _iri(p), o))

    add(ds, RDF_TYPE, _iri(f"{VOID}Dataset"))
    add(ds, RDF_TYPE, _iri(f"{DCAT}Dataset"))
    add(ds, f"{DCT}title", ox.Literal("newsgraph", language="en"))
    add(
        ds,
        f"{DCT}description",
        ox.Literal(
            "News articles published as a knowledge graph of agents, offices, meetings and "
            "statements, each fact grounded in a span of the article's text.",
            language="en",
        ),
    )
    add(ds, f"{DCT}license", _iri(license_iri))
    add(
        ds,
        f"{DCT}rights",
        ox.Literal("The article texts quoted as evidence remain their publishers'.", language="en"),
    )
    add(ds, f"{DCT}identifier", ox.Literal(release.release_id))
    add(
        ds,
        f"{DCT}modified",
        ox.Literal(
            release.modified.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=_iri(f"{XSD}dateTime")
        ),
    )
    add(ds, f"{DCAT}landingPage", _iri(base))
    add(ds, f"{VOID}uriSpace", ox.Literal(f"{base}id/"))
    add(ds, f"{VOID}sparqlEndpoint", _iri(iris.sparql_endpoint(base)))
    add(ds, f"{VOID}vocabulary", _iri(iris.ONTOLOGY))
    for ns in (iris.PREFIXES[p] for p in ("schema", "org", "prov", "time", "nif", "skos")):
        add(ds, f"{VOID}vocabulary", _iri(ns))
    add(ds, f"{VOID}triples", _int(stats.triples))
    add(ds, f"{VOID}entities", _int(stats.entities))
    add(ds, f"{VOID}distinctSubjects", _int(stats.distinct_subjects))
    add(ds, f"{VOID}classes", _int(len(stats.classes)))
    add(ds, f"{VOID}properties", _int(len(stats.properties)))
    for rows in stats.entities_by_kind.values():
        if rows:
            add(ds, f"{VOID}exampleResource", _iri(rows[0][0]))
            break

    service = f"{ds}#sparql-service"
    add(ds, f"{DCAT}distribution", _iri(service))
    add(service, RDF_TYPE, _iri(f"{DCAT}DataService"))
    add(service, f"{DCAT}endpointURL", _iri(iris.sparql_endpoint(base)))
    add(service, f"{DCT}conformsTo", _iri("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, f"{DCAT}servesDataset", _iri(ds))

    for i, (cls, n) in enumerate(stats.classes.items(), 1):
        part = f"{ds}#class-{i}"
        add(ds, f"{VOID}classPartition", _iri(part))
        add(part, f"{VOID}class", _iri(cls))
        add(part, f"{VOID}entities", _int(n))
    for i, (prop, n) in enumerate(stats.properties.items(), 1):
        part = f"{ds}#property-{i}"
        add(ds, f"{VOID}propertyPartition", _iri(part))
        add(part, f"{VOID}property", _iri(prop))
        add(part, f"{VOID}triples", _int(n))

    for dump in release.dumps.values():
        if dump.role != release_layout.DUMP:
            continue  # the JSON-LD context is served beside the dumps but is no dump
        url = iris.dump(dump.name, base)
        add(ds, f"{VOID}dataDump", _iri(url))
        add(ds, f"{DCAT}distribution", _iri(url))
        add(url, RDF_TYPE, _iri(f"{DCAT}Distribution"))
        add(url, f"{DCAT}downloadURL", _iri(url))
        add(url, f"{DCAT}accessURL", _iri(url))
        add(url, f"{DCAT}mediaType", _iri(IANA_MEDIA + dump.media_type))
        add(
            url,
            f"{DCAT}byteSize",
            ox.Literal(str(dump.size), datatype=_iri(f"{XSD}nonNegativeInteger")),
        )
        add(url, f"{DCT}title", ox.Literal(dump.name))
        checksum = f"{url}#sha256"
        add(url, f"{SPDX}checksum", _iri(checksum))
        add(checksum, RDF_TYPE, _iri(f"{SPDX}Checksum"))
        add(checksum, f"{SPDX}algorithm", _iri(f"{SPDX}checksumAlgorithm_sha256"))
        add(
            checksum,
            f"{SPDX}checksumValue",
            ox.Literal(dump.sha256, datatype=_iri(f"{XSD}hexBinary")),
        )

    linkset = f"{ds}#wikidata-links"
    wikidata = f"{ds}#wikidata"
    add(ds, f"{VOID}subset", _iri(linkset))
    add(linkset, RDF_TYPE, _iri(f"{VOID}Linkset"))
    add(linkset, f"{VOID}linkPredicate", _iri(OWL_SAMEAS))
    add(linkset, f"{VOID}subjectsTarget", _iri(ds))
    add(linkset, f"{VOID}objectsTarget", _iri(wikidata))
    add(linkset, f"{VOID}target", _iri(ds))
    add(linkset, f"{VOID}target", _iri(wikidata))
    add(linkset, f"{VOID}triples", _int(stats.wikidata_links))
    add(wikidata, RDF_TYPE, _iri(f"{VOID}Dataset"))
    add(wikidata, f"{DCT}title", ox.Literal("Wikidata", language="en"))
    add(wikidata, f"{VOID}uriSpace", ox.Literal(str(iris.WD)))
    add(wikidata, f"{DCAT}landingPage", _iri("https://www.wikidata.org/"))
    return out
