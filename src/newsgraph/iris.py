"""Every IRI newsgraph publishes is minted here, and only here.

Things live at ``{base}id/{kind}/{slug}``, their descriptions at
``{base}doc/{kind}/{slug}``, each article's facts in the named graph
``{base}graph/{slug}``. Sub-nodes (a participation, an interval, a text span)
are fragments of the thing they belong to, so dereferencing the thing also
describes them, and they are never blank nodes.
"""

from __future__ import annotations

import re

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS, VOID, XSD

from newsgraph.config import DEFAULT_BASE

NG = Namespace("https://w3id.org/newsgraph/def#")
ONTOLOGY = "https://w3id.org/newsgraph/def"
SHAPES = "https://w3id.org/newsgraph/shapes"
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
TIME = Namespace("http://www.w3.org/2006/time#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
WD = Namespace("http://www.wikidata.org/entity/")
VANN = Namespace("http://purl.org/vocab/vann/")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES: dict[str, str] = {
    "ng": str(NG),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "prov": str(PROV),
    "time": str(TIME),
    "nif": str(NIF),
    "skos": str(SKOS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "dcterms": str(DCTERMS),
    "xsd": str(XSD),
    "void": str(VOID),
    "dcat": str(DCAT),
    "vann": str(VANN),
    "wd": str(WD),
    "sh": str(SH),
}

KINDS = (
    "person",
    "organization",
    "place",
    "post",
    "tenure",
    "meeting",
    "event",
    "statement",
    "article",
    "work",
    "concept",
)

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
