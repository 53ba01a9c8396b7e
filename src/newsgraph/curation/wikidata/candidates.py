"""Which Wikidata item is our entity? Scores with the evidence for each.

A candidate is judged on three things, each shown to the curator:
- **name**: our name against the item's English label and aliases;
- **type**: its ``P31`` (instance of) against what our kind expects
  (a person must be human, Q5; a post a position, Q4164871, …);
- **context**: what our register knows around the entity and Wikidata should
  agree with: the offices a person holds (``P39``), the country of a person
  (``P27``), of an organisation, post or place (``P17``, ``P1001``, ``P131``).
The score only ranks; nothing is linked without the curator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsgraph.curation.wikidata import KNOWN_WRONG
from newsgraph.curation.wikidata.client import Item
from newsgraph.names import best_similarity
from newsgraph.pipeline import annotations as ann

# Kinds of the register that may carry ``wikidata:`` (the loader's REGISTER).
LINKABLE = tuple(section for section, (_, spec) in ann.REGISTER.items() if "wikidata" in spec)

# P31 values that fit a kind. Direct classes only: no subclass reasoning, so a
# class missing here scores as "unknown" (neutral), never as wrong.
EXPECTED: dict[str, dict[str, str]] = {
    "person": {"Q5": "human"},
    "organization": {
        "Q43229": "organization", "Q327333": "government agency", "Q192350": "ministry",
        "Q2659904": "government organization", "Q7278": "political party",
        "Q7210356": "political organization", "Q192283": "news agency",
        "Q484652": "international organization", "Q11032": "newspaper",
        "Q1153191": "online newspaper", "Q35127": "website", "Q783794": "company",
        "Q4830453": "business",
    },
    "place": {
        "Q6256": "country", "Q3624078": "sovereign state", "Q515": "city",
        "Q5119": "capital city", "Q1549591": "big city", "Q1637706": "city with millions",
        "Q200250": "metropolis",
    },
    "post": {
        "Q4164871": "position", "Q294414": "public office", "Q83307": "minister",
        "Q48352": "head of state", "Q2285706": "head of government",
    },
}
# P31 values that rule an item out whatever our kind.
NEVER: dict[str, str] = {
    "Q4167410": "Wikimedia disambiguation page", "Q4167836": "Wikimedia category",
    "Q11266439": "Wikimedia template", "Q13442814": "scholarly article",
    "Q5": "human",  # wrong for every kind but person (handled below)
}
PROPERTY_NAMES = {
    "P31": "instance of", "P39": "position held", "P27": "country of citizenship",
    "P17": "country", "P1001": "applies to jurisdiction", "P131": "located in",
    "P159": "headquarters location",
}


@dataclass(frozen=True)
class Expect:
    """One thing our register says that the item's claims should agree with."""

    props: tuple[str, ...]
    qid: str
    what: str
    # strict: an item stating these properties with none matching contradicts us
    strict: bool = False


@dataclass
class Target:
    """One of our entities that can carry a Wikidata link."""

    id: str
    kind: str
    section: str
    name: str
    qid: str | None
    expects: list[Expect] = field(default_factory=list)
    # our tenure starts by post QID: (date, tenure id, our note)
    tenure_starts: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)


@dataclass
class Candidate:
    item: Item
    score: float
    name_score: float
    type_score: int  # -1 wrong, 0 unknown, 1 fits
    context_score: float | None  # -1 … 1, None when we know no context
    evidence: list[str]


def targets_from_corpus(corpus: ann.Corpus) -> list[Target]:
    """Register entries that can be linked, with the context their neighbours give."""
    records = corpus.entities

    def name_of(rid: str | None) -> str:
        rec = records.get(rid) if rid else None
        return (rec.get("name") or rec.get("label") or rid) if rec else str(rid)

    def country_of(place_ref: object) -> tuple[str, str] | None:
        """(QID, name) of the country a place is or lies in."""
        rid = ann.target(place_ref) if place_ref else None  # type: ignore[arg-type]
        seen = set()
        while rid and rid not in seen:
            seen.add(rid)
            rec = records.get(rid)
            if rec is None:
                return None
            if rec.get("type") == "country":
                return (rec.get("wikidata"), rec.get("name")) if rec.get("wikidata") else None
            rid = ann.target(rec.get("in"))
        return None

    out: list[Target] = []
    for rec in records.values():
        if rec.section not in LINKABLE:
            continue
        t = Target(rec.id, rec.kind, rec.section, rec.get("name") or rec.get("label"),
                   rec.get("wikidata"))
        if rec.kind == "organization":
            country = country_of(rec.get("location"))
            if country:
                t.expects.append(Expect(("P17", "P131", "P159"), country[0],
                                        f"in {country[1]} (our location)", strict=True))
        elif rec.kind == "place":
            country = country_of(rec.get("in"))
            if country and rec.get("type") != "country":
                t.expects.append(Expect(("P17", "P131"), country[0],
                                        f"in {country[1]} (our 'in')", strict=True))
        elif rec.kind == "post":
            org = records.get(ann.target(rec.get("organization")))
            if org and org.get("wikidata"):
                t.expects.append(Expect(("P2389", "P361"), org.get("wikidata"),
                                        f"office of {org.get('name')}"))
            country = country_of(org.get("location")) if org else None
            if country:
                t.expects.append(Expect(("P17", "P1001"), country[0],
                                        f"in {country[1]} (via {name_of(org.id)})", strict=True))
        out.append(t)
    by_id = {t.id: t for t in out}
    for rec in records.values():
        if rec.kind != "tenure":
            continue
        person = by_id.get(ann.target(rec.get("person")))
        post = records.get(ann.target(rec.get("post")))
        if person is None or post is None:
            continue
        if post.get("wikidata"):
            person.expects.append(Expect(("P39",), post.get("wikidata"),
                                         f"holds {post.get('label')} (our tenure {rec.id})"))
            if rec.get("start"):
                person.tenure_starts[post.get("wikidata")] = (
                    rec.get("start").isoformat(), rec.id, rec.get("note"))
        org = records.get(ann.target(post.get("organization")))
        country = country_of(org.get("location")) if org else None
        if country and not any(e.props == ("P27",) for e in person.expects):
            person.expects.append(Expect(("P27",), country[0],
                                         f"citizen of {country[1]} (via {post.get('label')})",
                                         strict=True))
    return sorted(out, key=lambda t: (LINKABLE.index(t.section), t.id))


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def type_verdict(kind: str, item: Item) -> tuple[int, str]:
    """(1 fits | 0 unknown | -1 wrong, why) from the item's P31."""
    classes = item.claims.get("P31", [])
    if not classes:
        return 0, "no P31 (instance of) stated"
    fits = EXPECTED.get(kind, {})
    for qid in classes:
        if qid in fits:
            return 1, f"P31 {fits[qid]} ({qid})"
    for qid in classes:
        if qid in NEVER and not (qid == "Q5" and kind == "person"):
            return -1, f"P31 {NEVER[qid]} ({qid}): not {_a(kind)}"
    if kind == "person":
        return -1, f"P31 {', '.join(classes[:3])}: not human (Q5)"
    return 0, f"P31 {', '.join(classes[:3])}: not a class we know for a {kind}; check by hand"


def context_verdict(target: Target, item: Item) -> tuple[float | None, list[str]]:
    """Mean agreement over what we expect (-1 … 1), with a line per expectation."""
    if not target.expects:
        return None, []
    marks: list[float] = []
    lines: list[str] = []
    for exp in target.expects:
        stated = [q for p in exp.props for q in item.claims.get(p, [])]
        props = "/".join(exp.props)
        if exp.qid in stated:
            marks.append(1.0)
            lines.append(f"{props} {exp.qid} agrees: {exp.what}")
        elif stated and exp.strict:
            marks.append(-1.0)
            lines.append(f"{props} is {', '.join(stated[:3])}, we expect {exp.qid}: {exp.what}")
        else:
            marks.append(0.0)
            lines.append(f"{props} does not state {exp.qid} ({exp.what})")
    return sum(marks) / len(marks), lines


def score(target: Target, item: Item) -> Candidate:
    """Score one item as the link for ``target``: 0–100 with the evidence."""
    name_score, matched = best_similarity(target.name, item.names)
    evidence = [f"name {name_score:.2f}: ours {target.name!r} ~ {matched or item.label!r}"]
    type_score, why = type_verdict(target.kind, item)
    evidence.append(why)
    ctx, ctx_lines = context_verdict(target, item)
    evidence.extend(ctx_lines)
    ctx01 = 0.5 if ctx is None else (ctx + 1) / 2
    total = 100 * (0.55 * name_score + 0.25 * (type_score + 1) / 2 + 0.20 * ctx01)
    if item.redirected:
        evidence.append(f"{item.requested} redirects to {item.id}")
    if item.id in KNOWN_WRONG or item.requested in KNOWN_WRONG:
        bad = item.id if item.id in KNOWN_WRONG else item.requested
        evidence.append(f"known wrong identifier: {bad} {KNOWN_WRONG[bad]}")
        total = 0.0
    return Candidate(item, round(total, 1), name_score, type_score, ctx, evidence)


def rank(target: Target, items: list[Item]) -> list[Candidate]:
    """Candidates best first; an item reached twice (via redirects) counts once."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.id in seen:
            continue
        seen.add(item.id)
        out.append(score(target, item))
    return sorted(out, key=lambda c: (-c.score, c.item.id))
