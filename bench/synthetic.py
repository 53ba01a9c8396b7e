"""A synthetic news graph shaped like newsgraph's, for benchmarks (N-Quads).

The real dataset is a few thousand triples; this one has the same shapes
(docs/../model: people, organisations, places in countries, offices and
tenures in the entity register; per article a named graph with the article,
text spans, mentions, meetings with dated intervals and qualified
participations, and statements), scaled by the number of articles. The same
seed gives the same bytes.

    python bench/synthetic.py --articles 400 -o /tmp/synthetic.nq
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path

BASE = "https://w3id.org/newsgraph/"
NG = "https://w3id.org/newsgraph/def#"
SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
TIME = "http://www.w3.org/2006/time#"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
WD = "http://www.wikidata.org/entity/"

WORDS = (
    "minister meeting cooperation security agreement talks visit delegation trade energy "
    "health education port investment bilateral ministry president foreign interior "
    "forum summit economy treaty relations crisis sanctions exports imports aid training"
).split()
SYLLABLES = "ka lo mi na re sa to vi xu ye zan bor cel dia fer gon hul ist jor kel".split()


def iri(kind: str, slug: str) -> str:
    return f"<{BASE}id/{kind}/{slug}>"


def lit(text: str, lang: str | None = "en") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def name(rng: random.Random) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        for _ in range(2)
    )


def generate(articles: int = 400, seed: int = 7) -> Iterator[str]:
    """N-Quads lines of the synthetic dataset."""
    rng = random.Random(seed)
    entities = f"<{BASE}graph/entities>"
    people = max(50, articles * 6)
    orgs = max(10, articles // 2)
    countries = 60
    cities = 400
    qid = iter(range(1000, 10_000_000))

    def q(s: str, p: str, o: str, g: str) -> str:
        return f"{s} <{p}> {o} {g} .\n"

    for c in range(countries):
        s = iri("place", f"country-{c}")
        yield q(s, RDF_TYPE, f"<{SCHEMA}Place>", entities)
        yield q(s, RDF_TYPE, f"<{SCHEMA}Country>", entities)
        yield q(s, SCHEMA + "name", lit(f"Country {name(rng)}"), entities)
        yield q(s, OWL + "sameAs", f"<{WD}Q{next(qid)}>", entities)
    for c in range(cities):
        s = iri("place", f"city-{c}")
        yield q(s, RDF_TYPE, f"<{SCHEMA}Place>", entities)
        yield q(s, RDF_TYPE, f"<{SCHEMA}City>", entities)
        yield q(s, SCHEMA + "name", lit(name(rng)), entities)
        yield q(s, SCHEMA + "containedInPlace", iri("place", f"country-{c % countries}"), entities)
        yield q(s, OWL + "sameAs", f"<{WD}Q{next(qid)}>", entities)
    for o in range(orgs):
        s = iri("organization", f"org-{o}")
        yield q(s, RDF_TYPE, f"<{SCHEMA}Organization>", entities)
        yield q(s, RDF_TYPE, f"<{PROV}Agent>", entities)
        yield q(s, RDF_TYPE, f"<{SCHEMA}GovernmentOrganization>", entities)
        yield q(s, SCHEMA + "name", lit(f"Ministry of {rng.choice(WORDS)} {o}"), entities)
        if o % 3:
            yield q(s, OWL + "sameAs", f"<{WD}Q{next(qid)}>", entities)
    for p in range(people):
        s = iri("person", f"person-{p}")
        yield q(s, RDF_TYPE, f"<{SCHEMA}Person>", entities)
        yield q(s, RDF_TYPE, f"<{PROV}Agent>", entities)
        yield q(s, SCHEMA + "name", lit(name(rng)), entities)
        if p % 4:
            yield q(s, OWL + "sameAs", f"<{WD}Q{next(qid)}>", entities)
        if p % 5 == 0:  # an office and its tenure
            post = iri("post", f"post-{p}")
            org = iri("organization", f"org-{p % orgs}")
            tenure = iri("tenure", f"tenure-{p}")
            interval = f"<{BASE}id/tenure/tenure-{p}#interval>"
            begin = f"<{BASE}id/tenure/tenure-{p}#begin>"
            yield q(post, RDF_TYPE, f"<{ORG}Post>", entities)
            yield q(post, SKOS + "prefLabel", lit(f"Minister of {rng.choice(WORDS)}"), entities)
            yield q(post, ORG + "postIn", org, entities)
            yield q(post, ORG + "heldBy", s, entities)
            yield q(s, ORG + "holds", post, entities)
            yield q(tenure, RDF_TYPE, f"<{ORG}Membership>", entities)
            yield q(tenure, ORG + "member", s, entities)
            yield q(tenure, ORG + "organization", org, entities)
            yield q(tenure, NG + "post", post, entities)
            yield q(tenure, ORG + "memberDuring", interval, entities)
            yield q(interval, RDF_TYPE, f"<{TIME}Interval>", entities)
            yield q(interval, TIME + "hasBeginning", begin, entities)
            yield q(begin, RDF_TYPE, f"<{TIME}Instant>", entities)
            year = rng.randint(2010, 2025)
            start = f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            yield q(begin, TIME + "inXSDDate", typed(start, "date"), entities)

    for a in range(articles):
        slug = f"article-{a}"
        graph = f"<{BASE}graph/{slug}>"
        art = iri("article", slug)
        art_iri = f"{BASE}id/article/{slug}"
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
            for _ in range(20)
        ]
        text = " ".join(sentences)
        month = 1 + a % 12
        published = f"2025-{month:02d}-{1 + a % 28:02d}"
        publisher = iri("organization", f"org-{a % orgs}")
        for t in ("NewsArticle", "CreativeWork"):
            yield q(art, RDF_TYPE, f"<{SCHEMA}{t}>", graph)
        yield q(art, RDF_TYPE, f"<{NIF}Context>", graph)
        yield q(art, SCHEMA + "url", f"<https://news.example/{a}>", graph)
        yield q(art, SCHEMA + "datePublished", typed(published, "date"), graph)
        yield q(art, SCHEMA + "publisher", publisher, graph)
        yield q(art, SCHEMA + "inLanguage", lit("en", None), graph)
        yield q(art, SCHEMA + "name", lit(sentences[0][:60]), graph)
        yield q(art, NIF + "isString", lit(text, None), graph)

        spans: list[str] = []
        for _ in range(30):
            b = rng.randint(0, len(text) - 30)
            e = b + rng.randint(5, 30)
            span = f"<{art_iri}#char={b},{e}>"
            spans.append(span)
            yield q(span, RDF_TYPE, f"<{NIF}OffsetBasedString>", graph)
            yield q(span, RDF_TYPE, f"<{NIF}String>", graph)
            yield q(span, NIF + "referenceContext", art, graph)
            yield q(span, NIF + "beginIndex", typed(str(b), "nonNegativeInteger"), graph)
            yield q(span, NIF + "endIndex", typed(str(e), "nonNegativeInteger"), graph)
            yield q(span, NIF + "anchorOf", lit(text[b:e], None), graph)

        cast = rng.sample(range(people), 6)
        for p in cast:
            yield q(iri("person", f"person-{p}"), NG + "evidence", rng.choice(spans), graph)

        meetings = []
        for m in range(2):
            mslug = f"{slug}-meeting-{m}"
            meeting = iri("meeting", mslug)
            meetings.append(meeting)
            mi = f"{BASE}id/meeting/{mslug}"
            city = iri("place", f"city-{rng.randrange(cities)}")
            day = f"2025-{month:02d}-{1 + (a + m) % 28:02d}"
            for t in (f"{NG}Meeting", f"{SCHEMA}Event", f"{PROV}Activity"):
                yield q(meeting, RDF_TYPE, f"<{t}>", graph)
            yield q(meeting, SCHEMA + "name", lit(f"Meeting on {rng.choice(WORDS)}"), graph)
            yield q(meeting, SCHEMA + "location", city, graph)
            yield q(meeting, SCHEMA + "startDate", typed(day, "date"), graph)
            yield q(meeting, NG + "datePrecision", f"<{TIME}unitDay>", graph)
            yield q(meeting, NG + "dateExpression", lit("Last Friday", None), graph)
            yield q(meeting, TIME + "hasTime", f"<{mi}#interval>", graph)
            yield q(f"<{mi}#interval>", RDF_TYPE, f"<{TIME}Interval>", graph)
            for edge in ("begin", "end"):
                rel = "hasBeginning" if edge == "begin" else "hasEnd"
                yield q(f"<{mi}#interval>", TIME + rel, f"<{mi}#{edge}>", graph)
                yield q(f"<{mi}#{edge}>", RDF_TYPE, f"<{TIME}Instant>", graph)
                yield q(f"<{mi}#{edge}>", TIME + "inXSDDate", typed(day, "date"), graph)
            participants = rng.sample(cast, rng.randint(2, 3))
            for i, p in enumerate(participants):
                person = iri("person", f"person-{p}")
                assoc = f"<{mi}#assoc-person-{p}>"
                yield q(meeting, SCHEMA + "attendee", person, graph)
                yield q(meeting, PROV + "qualifiedAssociation", assoc, graph)
                yield q(assoc, RDF_TYPE, f"<{PROV}Association>", graph)
                yield q(assoc, PROV + "agent", person, graph)
                role = ("Host", "Visitor", "Participant")[min(i, 2)]
                yield q(assoc, PROV + "hadRole", f"<{NG}{role}>", graph)
            yield q(meeting, NG + "evidence", rng.choice(spans), graph)

        for st in range(4):
            statement = iri("statement", f"{slug}-statement-{st}")
            kind = ("DirectQuote", "IndirectQuote", "EditorialClaim")[st % 3]
            for t in (f"{NG}Statement", f"{PROV}Entity", f"{NG}{kind}"):
                yield q(statement, RDF_TYPE, f"<{t}>", graph)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
            yield q(statement, SCHEMA + "text", lit(words), graph)
            speaker = publisher if kind == "EditorialClaim" else iri(
                "person", f"person-{rng.choice(cast)}")
            yield q(statement, PROV + "wasAttributedTo", speaker, graph)
            yield q(statement, SCHEMA + "about", rng.choice(meetings), graph)
            yield q(statement, NG + "evidence", rng.choice(spans), graph)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    count = 0
    with args.output.open("w", encoding="utf-8") as out:
        for line in generate(args.articles, args.seed):
            out.write(line)
            count += 1
    print(f"{count} quads -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
