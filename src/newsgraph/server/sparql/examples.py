"""Example queries for the query page: the questions a reader of an article asks.

Each is written without its prologue; :func:`with_prefixes` adds the PREFIX
lines it uses, so the page shows complete queries that run as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsgraph import iris

# The prefixes the query page starts with (those of the vocabulary contract).
PAGE_PREFIXES: dict[str, str] = {
    p: iris.PREFIXES[p]
    for p in ("ng", "schema", "org", "prov", "time", "nif", "skos", "owl", "rdf", "rdfs", "xsd",
              "wd")
}


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    question: str
    body: str

    @property
    def query(self) -> str:
        return with_prefixes(self.body)


def with_prefixes(body: str, prefixes: dict[str, str] = PAGE_PREFIXES) -> str:
    """``body`` with PREFIX lines for the prefixes it uses, in a fixed order."""
    return iris.with_prefixes(body, prefixes)


def prologue(prefixes: dict[str, str] = PAGE_PREFIXES) -> str:
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())


# Every example works across articles, and each row names the article it comes
# from: ``?article``, the article whose words are the evidence
# (``ng:evidence/nif:referenceContext``), so a thing two articles name comes once
# for each.
EXAMPLES: tuple[Example, ...] = (
    Example(
        "meetings",
        "Who met whom, when and where",
        "Every meeting with its date, its place, each participant in their role, and the "
        "article that names it.",
        """
SELECT DISTINCT ?article ?date ?meeting ?placeName ?participant ?name ?role WHERE {
  ?meeting a ng:Meeting ;
           schema:startDate ?date ;
           ng:evidence/nif:referenceContext ?article ;
           prov:qualifiedAssociation ?association .
  ?association prov:agent ?participant ;
               prov:hadRole ?role .
  ?participant schema:name ?name .
  OPTIONAL { ?meeting schema:location/schema:name ?placeName }
}
ORDER BY ?date ?meeting ?article ?name
""",
    ),
    Example(
        "statements",
        "Who said what, according to whom",
        "Quotes, reported speech and the outlet's own claims, with who said it and the "
        "article (or the work it cites) that reports it.",
        """
SELECT DISTINCT ?article ?speakerName ?kind ?text ?quotedFrom WHERE {
  ?statement a ng:Statement, ?kind ;
             schema:text ?text ;
             prov:wasAttributedTo/schema:name ?speakerName ;
             ng:evidence/nif:referenceContext ?article .
  FILTER(?kind IN (ng:DirectQuote, ng:IndirectQuote, ng:EditorialClaim))
  OPTIONAL { ?statement prov:wasQuotedFrom ?quotedFrom }
}
ORDER BY ?article ?speakerName
""",
    ),
    Example(
        "wikidata",
        "Which entities are which Wikidata items",
        "Every person, organisation, place and office linked to Wikidata, with each article "
        "that names it.",
        """
SELECT DISTINCT ?entity ?name ?wikidata ?article WHERE {
  ?entity owl:sameAs ?wikidata ;
          ng:evidence/nif:referenceContext ?article .
  FILTER(STRSTARTS(STR(?wikidata), "http://www.wikidata.org/entity/"))
  OPTIONAL { ?entity schema:name ?n }
  OPTIONAL { ?entity skos:prefLabel ?label }
  BIND(COALESCE(?n, ?label) AS ?name)
}
ORDER BY ?name ?article
""",
    ),
    Example(
        "offices",
        "Who holds which office, since when",
        "Office holdings with their start, a note where Wikidata disagrees with the source, "
        "and each article that names the holding.",
        """
SELECT DISTINCT ?person ?name ?office ?since ?note ?article WHERE {
  ?tenure a org:Membership ;
          org:member ?person ;
          ng:post/skos:prefLabel ?office ;
          ng:evidence/nif:referenceContext ?article .
  ?person schema:name ?name .
  OPTIONAL {
    ?tenure org:memberDuring ?interval .
    OPTIONAL { ?interval time:hasBeginning/time:inXSDDate ?since }
    OPTIONAL { ?interval skos:editorialNote ?note }
  }
}
ORDER BY ?name ?article
""",
    ),
    Example(
        "evidence",
        "Where the article says so",
        "Each fact's evidence: the exact words of the article it rests on.",
        """
SELECT ?article ?thing ?words ?begin ?end WHERE {
  ?thing ng:evidence ?span .
  ?span nif:referenceContext ?article ;
        nif:anchorOf ?words ;
        nif:beginIndex ?begin ;
        nif:endIndex ?end .
}
ORDER BY ?article ?begin ?thing
LIMIT 200
""",
    ),
    Example(
        "graphs",
        "Which articles the dataset holds",
        "Each article with its publisher, its date and the size of its named graph; the entity "
        "register and the ontology are graphs of their own (see /dataset).",
        """
SELECT ?article ?published ?publisherName ?graph (COUNT(*) AS ?triples) WHERE {
  GRAPH ?graph {
    ?article a nif:Context ;
             schema:datePublished ?published ;
             schema:publisher ?publisher .
    ?s ?p ?o .
  }
  ?publisher schema:name ?publisherName .
}
GROUP BY ?article ?published ?publisherName ?graph
ORDER BY DESC(?published)
""",
    ),
    Example(
        "describe",
        "Everything about the latest article",
        "A DESCRIBE query answers with a graph, shown here as its triples: here the most "
        "recently published article. For another, write its IRI instead: "
        "DESCRIBE <…/id/article/…> (the list is under “Which articles the dataset holds”).",
        """
DESCRIBE ?article WHERE {
  ?article a schema:NewsArticle, nif:Context ;
           schema:datePublished ?published .
}
ORDER BY DESC(?published) ?article
LIMIT 1
""",
    ),
)
