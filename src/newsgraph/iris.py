"""Every IRI newsgraph publishes is minted here, and only here.

Things live at ``{base}id/{kind}/{slug}``, their descriptions at
``{base}doc/{kind}/{slug}``, each article's facts in the named graph
``{base}graph/{slug}``. Sub-nodes (a participation, an interval, a text span)
are fragments of the thing they belong to, so dereferencing the thing also
describes them, and they are never blank nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS, VOID, XSD

from newsgraph.config import DEFAULT_BASE

ONTOLOGY = "https://w3id.org/newsgraph/def"
SHAPES = "https://w3id.org/newsgraph/shapes"

# The one namespace table: every prefix newsgraph writes (Turtle, the JSON-LD
# context, CURIEs on pages and in messages, SPARQL prologues) comes from here.
# The shipped JSON-LD context (resources/context.jsonld) is this table; a test
# keeps the two equal.
PREFIXES: dict[str, str] = {
    "ng": f"{ONTOLOGY}#",
    "ngsh": f"{SHAPES}#",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    "skos": str(SKOS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "dcterms": str(DCTERMS),
    "xsd": str(XSD),
    "void": str(VOID),
    "dcat": str(DCAT),
    "vann": "http://purl.org/vocab/vann/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "wd": "http://www.wikidata.org/entity/",
    "sh": "http://www.w3.org/ns/shacl#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "formats": "http://www.w3.org/ns/formats/",
}

NG = Namespace(PREFIXES["ng"])
NGSH = Namespace(PREFIXES["ngsh"])
SCHEMA = Namespace(PREFIXES["schema"])
ORG = Namespace(PREFIXES["org"])
PROV = Namespace(PREFIXES["prov"])
TIME = Namespace(PREFIXES["time"])
NIF = Namespace(PREFIXES["nif"])
WD = Namespace(PREFIXES["wd"])
VANN = Namespace(PREFIXES["vann"])
SH = Namespace(PREFIXES["sh"])
FOAF = Namespace(PREFIXES["foaf"])

def prologue(*names: str) -> str:
    """PREFIX lines for the named prefixes of the table, for queries that are
    put together from pieces."""
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in names)


def with_prefixes(body: str, prefixes: dict[str, str] | None = None) -> str:
    """A SPARQL query ``body`` with PREFIX lines for the prefixes of the table
    (or ``prefixes``) it uses, in the table's order: no query writes its own."""
    table = PREFIXES if prefixes is None else prefixes
    # look for "name:" outside IRIs and strings
    code = re.sub(r"<[^<>\s]*>|\"[^\"]*\"|'[^']*'", " ", body)
    used = [name for name in table if re.search(rf"(?<![\w.?$-]){re.escape(name)}:", code)]
    head = "".join(f"PREFIX {name}: <{table[name]}>\n" for name in used)
    return head + body.strip() + "\n"


# what may follow the colon of a CURIE: a Turtle local name without escapes
# (so no "/": https://schema.org/a/b is no schema:a/b)
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")


def curie(iri: str) -> str:
    """``prefix:local`` by the longest namespace of :data:`PREFIXES` that covers
    ``iri`` with a plain local name, else the IRI itself."""
    best_ns, name = "", iri
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best_ns) and _LOCAL_NAME.fullmatch(iri[len(ns):]):
            best_ns, name = ns, f"{prefix}:{iri[len(ns):]}"
    return name


@dataclass(frozen=True)
class Kind:
    """One kind of thing: its IRIs are ``{base}id/{name}/{slug}``.

    Every per-kind table (pages, lists, types written, register sections,
    reconciliation) is derived from :data:`KIND_TABLE`; adding a kind is one
    row here (docs/ontology.md, "Adding a class")."""

    name: str
    label: str  # one of them, on pages ("Office holding")
    plural: str  # a list of them, on the landing page ("Office holdings")
    types: tuple[str, ...]  # CURIEs of the rdf:types every one gets, superclasses included
    # where a mention of text links in an article: the lower, the more a reader
    # looks for it (a person before the meeting they were at)
    priority: int
    section: str | None = None  # its section of seeds/entities.yaml; None: articles hold them
    reconcile: str | None = None  # the type name OpenRefine shows; None: not offered
    # the group its mentions are marked with in an article's reading view (a
    # legend entry of profiles.READING_GROUPS); None: "topic"
    mention_group: str | None = None


KIND_TABLE: tuple[Kind, ...] = (
    Kind("person", "Person", "People", ("schema:Person", "prov:Agent"), 0,
         section="people", reconcile="Person",
         mention_group="person"),
    Kind("organization", "Organisation", "Organisations",
         ("schema:Organization", "prov:Agent"), 1,
         section="organizations", reconcile="Organization",
         mention_group="organization"),
    Kind("place", "Place", "Places", ("schema:Place",), 2,
         section="places", reconcile="Place",
         mention_group="place"),
    Kind("post", "Office", "Offices", ("org:Post",), 3,
         section="posts", reconcile="Post (office)",
         mention_group="office"),
    Kind("tenure", "Office holding", "Office holdings", ("org:Membership",), 8,
         section="tenures",
         mention_group="office"),
    Kind("meeting", "Meeting", "Meetings", ("ng:Meeting", "schema:Event", "prov:Activity"), 7,
         reconcile="Meeting",
         mention_group="date"),
    Kind("event", "Event", "Events", ("schema:Event",), 5,
         section="events", reconcile="Event",
         mention_group="date"),
    Kind("statement", "Statement", "Statements", ("ng:Statement", "prov:Entity"), 9,
         mention_group="quote"),
    # an article's own types come from its metadata (schema:NewsArticle, nif:Context)
    Kind("article", "Article", "Articles", (), 10,
         mention_group="source"),
    Kind("work", "Source work", "Source works", ("schema:CreativeWork",), 6,
         section="works", reconcile="Work (source)",
         mention_group="source"),
    Kind("concept", "Concept", "Concepts", ("skos:Concept",), 4,
         section="concepts", reconcile="Concept",
         mention_group="topic"),
)
KIND_BY_NAME: dict[str, Kind] = {k.name: k for k in KIND_TABLE}
KINDS: tuple[str, ...] = tuple(KIND_BY_NAME)


def expand(curie_or_iri: str) -> str:
    """The IRI of a CURIE of :data:`PREFIXES` (an IRI is returned as it is)."""
    prefix, sep, local = curie_or_iri.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return curie_or_iri


def kind_types(kind: str) -> tuple[str, ...]:
    """The IRIs of the rdf:types every thing of ``kind`` gets."""
    return tuple(expand(t) for t in KIND_BY_NAME[kind].types)


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
QID = re.compile(r"Q[1-9][0-9]*")
# Reserved graph names that no article slug may take.
RESERVED_SLUGS = frozenset({"entities", "ontology"})


def is_slug(text: str) -> bool:
    return SLUG.fullmatch(text) is not None and text.isascii()


def is_qid(text: str) -> bool:
    """Full match of ``Q[1-9][0-9]*`` in ASCII: rejects Q0, Q042, 'Q42\\n', P31."""
    return isinstance(text, str) and text.isascii() and QID.fullmatch(text) is not None


def entity(kind: str, slug: str, base: str = DEFAULT_BASE) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not is_slug(slug):
        raise ValueError(f"bad slug {slug!r}: lower-case ASCII letters, digits and single hyphens")
    return f"{base}id/{kind}/{slug}"


def article(slug: str, base: str = DEFAULT_BASE) -> str:
    return entity("article", slug, base)


def article_graph(slug: str, base: str = DEFAULT_BASE) -> str:
    if not is_slug(slug):
        raise ValueError(f"bad article slug {slug!r}")
    return f"{base}graph/{slug}"


def entities_graph(base: str = DEFAULT_BASE) -> str:
    """The named graph of the curated entity register shared by all articles."""
    return f"{base}graph/entities"


def ontology_graph() -> str:
    """The ontology is published in a named graph named by the ontology IRI."""
    return ONTOLOGY


def span(article_iri: str, begin: int, end: int) -> str:
    """RFC 5147 style character range of an article's NFC text."""
    if not 0 <= begin <= end:
        raise ValueError(f"bad span {begin},{end}")
    return f"{article_iri}#char={begin},{end}"


def sub_node(parent: str, local: str) -> str:
    """A node that belongs to ``parent`` (an interval, an association, a correction)."""
    if "#" in parent:
        raise ValueError(f"{parent} is itself a sub-node")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._=,-]*", local):
        raise ValueError(f"bad fragment {local!r}")
    return f"{parent}#{local}"


def wikidata(qid: str) -> str:
    if not is_qid(qid):
        raise ValueError(f"malformed Wikidata id {qid!r}: Q and digits, no leading 0")
    return f"{WD}{qid}"


def thing_of(iri: str) -> str:
    """The thing a sub-node belongs to (the IRI without its fragment)."""
    return iri.split("#", 1)[0]


def split_thing(iri: str, base: str = DEFAULT_BASE) -> tuple[str, str] | None:
    """(kind, slug) of an ``id/`` IRI under ``base``, else None."""
    iri = thing_of(iri)
    prefix = f"{base}id/"
    if not iri.startswith(prefix):
        return None
    parts = iri[len(prefix) :].split("/")
    if len(parts) != 2 or parts[0] not in KINDS or not is_slug(parts[1]):
        return None
    return parts[0], parts[1]


def doc(kind: str, slug: str, base: str = DEFAULT_BASE) -> str:
    """The description (document) of a thing, per the 303 pattern."""
    entity(kind, slug, base)  # validates
    return f"{base}doc/{kind}/{slug}"


def dataset(base: str = DEFAULT_BASE) -> str:
    """The dataset as a whole (VoID / DCAT), described at ``{base}dataset``."""
    return f"{base}dataset"


def dump(name: str, base: str = DEFAULT_BASE) -> str:
    """A downloadable dump of the whole dataset."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(f"bad dump name {name!r}")
    return f"{base}dumps/{name}"


def sparql_endpoint(base: str = DEFAULT_BASE) -> str:
    return f"{base}sparql"
