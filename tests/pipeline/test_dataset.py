"""The published dataset answers what a reader of the article asks, exactly.

Queries run with pyoxigraph over the N-Quads dump, the default graph being the
union of the named graphs, as on the SPARQL endpoint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from newsgraph.pipeline.annotations import load_corpus

REPO = Path(__file__).resolve().parents[2]
BASE = "https://w3id.org/newsgraph/"
ID = BASE + "id/"
# The first article; tests of its facts select it by its graph.
FIRST = "cubaheadlines-309517"
PREFIXES = f"""
PREFIX ng: <https://w3id.org/newsgraph/def#>
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX id: <{ID}>
"""

# the confirmed identifiers (docs/wikidata.md), by our ids
CONFIRMED = {
    "person/wang-xiaohong": "Q18109475",
    "person/lazaro-alberto-alvarez-casas": "Q114436521",
    "person/bruno-rodriguez-parrilla": "Q58183",
    "person/miguel-diaz-canel": "Q1932603",
    "person/xi-jinping": "Q15031",
    "organization/xinhua": "Q204839",
    "organization/ministry-of-the-interior-cuba": "Q3858481",
    "organization/ministry-of-foreign-affairs-cuba": "Q10330349",
    "organization/china-celac-forum": "Q83493046",
    "organization/x": "Q918",
    "organization/communist-party-of-china": "Q17427",
    "organization/communist-party-of-cuba": "Q371402",
    "place/cuba": "Q241",
    "place/china": "Q148",
    "place/russia": "Q159",
    "place/beijing": "Q956",
    "place/havana": "Q1563",
    "place/moscow": "Q649",
    "post/minister-of-public-security-china": "Q6866288",
    "post/minister-of-the-interior-cuba": "Q114433457",
    "post/minister-of-foreign-affairs-cuba": "Q4294907",
    "post/president-of-china": "Q655407",
    "post/president-of-cuba": "Q1370482",
    "post/general-secretary-communist-party-of-china": "Q849418",
    "post/first-secretary-communist-party-of-cuba": "Q5453787",
}


@pytest.fixture(scope="module")
def corpus():
    """The seeds as the build reads them: what aggregate expectations are computed from."""
    return load_corpus(REPO / "seeds")


@pytest.fixture(scope="module")
def dist(built_dist: Path) -> Path:
    """The project's dataset as `newsgraph build` publishes it (built once per session)."""
    return built_dist


@pytest.fixture(scope="module")
def store(dist: Path) -> ox.Store:
    s = ox.Store()
    s.load(path=str(dist / "newsgraph.nq"), format=ox.RdfFormat.N_QUADS)
    return s


def select(store: ox.Store, query: str, article: str | None = None) -> set[tuple[str, ...]]:
    """Rows of a query over every graph, or over one article's graph and the register."""
    # "id:kind/slug" reads well but "/" is not allowed in a prefixed name
    query = re.sub(r"\bid:([a-z]+/[a-z0-9-]+)", rf"<{ID}\1>", query)
    if article is None:
        result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    else:
        graphs = [ox.NamedNode(f"{BASE}graph/{article}"), ox.NamedNode(f"{BASE}graph/entities")]
        result = store.query(PREFIXES + query, default_graph=graphs)
    short = lambda t: t.value.removeprefix(ID) if t is not None else None  # noqa: E731
    return {tuple(short(row[v]) for v in result.variables) for row in result}


def test_who_met_whom_in_beijing_last_friday_and_in_which_capacity(store):
    rows = select(store, """
        SELECT ?who ?role ?capacity WHERE {
          ?m a ng:Meeting ; schema:location id:place/beijing ;
             schema:startDate "2025-08-22"^^xsd:date ; ng:dateExpression "Last Friday" ;
             prov:qualifiedAssociation ?a .
          ?a prov:agent ?who ; prov:hadRole ?role ; ng:capacity ?capacity .
        }""", FIRST)
    assert rows == {
        ("person/wang-xiaohong", "https://w3id.org/newsgraph/def#Host",
         "post/minister-of-public-security-china"),
        ("person/lazaro-alberto-alvarez-casas", "https://w3id.org/newsgraph/def#Visitor",
         "post/minister-of-the-interior-cuba"),
    }


def test_every_meeting_of_the_first_article_with_its_place_and_date(store):
    rows = select(store, """
        SELECT ?m ?place ?date ?precision WHERE {
          ?m a ng:Meeting ; schema:location ?place ; schema:startDate ?date ;
             ng:datePrecision ?precision }""", FIRST)
    day, month = "http://www.w3.org/2006/time#unitDay", "http://www.w3.org/2006/time#unitMonth"
    assert rows == {
        ("meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22", "place/beijing",
         "2025-08-22", day),
        ("meeting/rodriguez-parrilla-qiu-xiaoqi-havana-2025-06", "place/havana", "2025-06", month),
        ("meeting/china-celac-forum-fourth-ministerial-meeting-2025-05-13", "place/beijing",
         "2025-05-13", day),
        ("meeting/diaz-canel-xi-jinping-moscow-2025-05-09", "place/moscow", "2025-05-09", day),
    }


def test_every_meeting_in_the_seeds_is_published_in_its_article_graph(store, corpus):
    rows = select(store, """
        SELECT ?g ?m ?place ?date WHERE { GRAPH ?g {
          ?m a ng:Meeting ; schema:location ?place ; schema:startDate ?date ;
             ng:datePrecision ?precision } }""")
    expected = {(f"{BASE}graph/{a.slug}", f"meeting/{r.id}",
                 f"place/{r.fields['location'][0]}", str(r.fields["date"]))
                for a in corpus.articles for r in a.records.values() if r.kind == "meeting"}
    assert len(corpus.articles) >= 1 and expected
    assert rows == expected


def test_meeting_attendees_are_exactly_the_participants(store):
    rows = select(store, """
        SELECT ?m (COUNT(DISTINCT ?who) AS ?n) WHERE { ?m a ng:Meeting ; schema:attendee ?who }
        GROUP BY ?m""")
    assert {n for _, n in rows} >= {"2"}
    rows = select(store, """
        SELECT ?m ?who WHERE { ?m prov:qualifiedAssociation/prov:agent ?who
          FILTER NOT EXISTS { ?m schema:attendee ?who } }""")
    assert rows == set()


def test_the_may_forum_has_its_correct_name_and_the_article_keeps_its_words(store):
    rows = select(store, """
        SELECT ?name ?organizer WHERE {
          id:meeting/china-celac-forum-fourth-ministerial-meeting-2025-05-13
            schema:name ?name ; schema:organizer ?organizer }""")
    assert rows == {("Fourth Ministerial Meeting of the China–CELAC Forum",
                     "organization/china-celac-forum")}
    rows = select(store, """
        SELECT ?text ?cites ?anchor WHERE {
          id:article/cubaheadlines-309517 schema:correction ?c .
          ?c a schema:CorrectionComment ; schema:text ?text ; schema:citation ?cites ;
             ng:evidence/nif:anchorOf ?anchor }""", FIRST)
    ((text, cites, anchor),) = rows
    assert "Fourth" in text and anchor == "Fifth"
    assert cites == "work/mfa-china-2025-05-15-china-celac-fourth-ministerial"
    claim = select(store, """
        SELECT ?t WHERE { ?s a ng:EditorialClaim ; schema:text ?t ;
          schema:about id:meeting/china-celac-forum-fourth-ministerial-meeting-2025-05-13 }""",
        FIRST)
    assert any("Fifth Ministerial Forum" in t for (t,) in claim)


def test_who_said_what_according_to_whom(store):
    rows = select(store, """
        SELECT ?s ?speaker ?report ?outlet WHERE {
          ?s a ng:DirectQuote ; prov:wasAttributedTo ?speaker ;
             prov:wasQuotedFrom ?report .
          ?report schema:publisher ?outlet }""", FIRST)
    assert rows == {
        ("statement/wang-strengthen-ministerial-mechanism", "person/wang-xiaohong",
         "work/xinhua-report-wang-alvarez-2025-08", "organization/xinhua"),
        ("statement/wang-deepen-practical-cooperation", "person/wang-xiaohong",
         "work/xinhua-report-wang-alvarez-2025-08", "organization/xinhua"),
        ("statement/rodriguez-presence-part-of-agreements", "person/bruno-rodriguez-parrilla",
         "work/rodriguez-parrilla-x-post-qiu-xiaoqi-2025-06", "organization/x"),
        ("statement/rodriguez-exchange-fruitful", "person/bruno-rodriguez-parrilla",
         "work/rodriguez-parrilla-x-post-qiu-xiaoqi-2025-06", "organization/x"),
    }


def test_what_was_said_at_the_moscow_meeting(store):
    rows = select(store, """
        SELECT ?speaker (COUNT(?s) AS ?n) WHERE {
          ?s prov:wasGeneratedBy id:meeting/diaz-canel-xi-jinping-moscow-2025-05-09 ;
             prov:wasAttributedTo ?speaker } GROUP BY ?speaker""", FIRST)
    assert rows == {("person/miguel-diaz-canel", "2"), ("person/xi-jinping", "3")}


def test_the_outlets_own_claims_are_attributed_to_it_and_never_to_a_speaker(store):
    rows = select(store, """
        SELECT ?s ?by WHERE { ?s a ng:EditorialClaim ; prov:wasAttributedTo ?by }""", FIRST)
    assert {by for _, by in rows} == {"organization/cubaheadlines"}
    texts = select(store, "SELECT ?t WHERE { ?s a ng:EditorialClaim ; schema:text ?t }", FIRST)
    assert any("disastrous management" in t for (t,) in texts)
    assert any("poor management" in t for (t,) in texts)  # the FAQ answer
    assert len(rows) == 8


def test_every_editorial_claim_is_attributed_to_the_publisher_of_its_article(store, corpus):
    rows = select(store, """
        SELECT ?g ?by ?publisher WHERE { GRAPH ?g {
          ?s a ng:EditorialClaim ; prov:wasAttributedTo ?by .
          ?article a schema:NewsArticle ; schema:publisher ?publisher } }""")
    assert rows and all(by == publisher for _, by, publisher in rows), rows
    claims = {a.slug for a in corpus.articles for r in a.records.values()
              if r.get("kind") == "editorial-claim"}
    assert {g.removeprefix(BASE + "graph/") for g, _, _ in rows} == claims


def test_havana_as_a_metonym_is_the_government_not_the_city(store):
    rows = select(store, """
        SELECT ?who WHERE { ?who ng:evidence ?span . ?span nif:anchorOf "Havana" }""", FIRST)
    assert rows == {("organization/government-of-cuba",)}


def test_each_statement_has_exactly_one_kind(store, corpus):
    rows = select(store, """
        SELECT ?s (COUNT(?k) AS ?n) WHERE { ?s a ng:Statement ; a ?k
          VALUES ?k { ng:DirectQuote ng:IndirectQuote ng:EditorialClaim } } GROUP BY ?s""")
    statements = {r.id for a in corpus.articles for r in a.records.values()
                  if r.kind == "statement"}
    assert {s.removeprefix("statement/") for s, _ in rows} == statements
    assert {n for _, n in rows} == {"1"}


# --- the second article (Radio Reloj on the foreign ministers' meeting), selected by its graph
SECOND = "radioreloj-2025-05-12-rodriguez-wang-yi"


def test_the_foreign_ministers_met_in_beijing_the_day_before_the_forum(store):
    rows = select(store, """
        SELECT ?m ?date ?who ?role ?capacity ?source WHERE {
          ?m a ng:Meeting ; schema:location id:place/beijing ; schema:startDate ?date ;
             prov:wasDerivedFrom ?source ; prov:qualifiedAssociation ?a .
          ?a prov:agent ?who ; prov:hadRole ?role ; ng:capacity ?capacity .
          FILTER NOT EXISTS { ?m ng:dateExpression ?words } }""", SECOND)
    meeting, source = "meeting/rodriguez-parrilla-wang-yi-beijing-2025-05-12", \
        "work/efe-2025-05-12-rodriguez-wang-yi"
    assert rows == {
        (meeting, "2025-05-12", "person/wang-yi", "https://w3id.org/newsgraph/def#Host",
         "post/minister-of-foreign-affairs-china", source),
        (meeting, "2025-05-12", "person/bruno-rodriguez-parrilla",
         "https://w3id.org/newsgraph/def#Visitor", "post/minister-of-foreign-affairs-cuba",
         source),
    }


def test_what_each_foreign_minister_said_at_the_beijing_meeting(store):
    rows = select(store, """
        SELECT ?speaker (COUNT(?s) AS ?n) WHERE {
          ?s a ng:IndirectQuote ;
             prov:wasGeneratedBy id:meeting/rodriguez-parrilla-wang-yi-beijing-2025-05-12 ;
             prov:wasAttributedTo ?speaker } GROUP BY ?speaker""", SECOND)
    assert rows == {("person/bruno-rodriguez-parrilla", "4"), ("person/wang-yi", "4")}
    about = select(store, """
        SELECT ?concept WHERE { ?s prov:wasAttributedTo id:person/bruno-rodriguez-parrilla ;
          schema:about ?concept . ?concept a skos:Concept }""", SECOND)
    assert ("concept/one-china-principle",) in about


def test_the_second_article_names_the_forum_the_first_one_defines_and_needs_no_correction(
        store):
    forum = "meeting/china-celac-forum-fourth-ministerial-meeting-2025-05-13"
    rows = select(store, f"""
        SELECT ?anchor WHERE {{ GRAPH <{BASE}graph/{SECOND}> {{
          id:{forum} ng:evidence/nif:anchorOf ?anchor }} }}""")
    assert ("the fourth ministerial meeting of the China-CELAC Forum",) in rows
    defined = select(store, f"""
        SELECT ?g WHERE {{ GRAPH ?g {{ id:{forum} a ng:Meeting ; schema:name ?name }} }}""")
    assert defined == {(f"{BASE}graph/{FIRST}",)}
    claims = select(store, f"""
        SELECT ?by WHERE {{ ?s a ng:EditorialClaim ; prov:wasAttributedTo ?by ;
          schema:about id:{forum} }}""", SECOND)
    assert claims == {("organization/radio-reloj",)}
    assert select(store, f"SELECT ?c WHERE {{ id:article/{SECOND} schema:correction ?c }}") \
        == set()


def test_the_datelines_havana_is_the_city(store):
    rows = select(store, """
        SELECT ?who WHERE { ?who ng:evidence ?span . ?span nif:anchorOf "Havana" ;
          nif:beginIndex 0 }""", SECOND)
    assert rows == {("place/havana",)}


def test_wang_yis_tenure_starts_at_his_reappointment_with_its_sources(store):
    rows = select(store, """
        SELECT ?start ?src WHERE {
          id:tenure/wang-yi-minister-of-foreign-affairs org:memberDuring ?i .
          ?i time:hasBeginning/time:inXSDDate ?start ; prov:wasDerivedFrom ?src }""")
    assert rows == {("2023-07-25", "work/reuters-2023-07-25-wang-yi"),
                    ("2023-07-25", "work/gulf-news-2023-07-25-wang-yi")}


def test_wikidata_links_are_exactly_the_confirmed_ones(store):
    rows = select(store, "SELECT ?x ?wd WHERE { ?x owl:sameAs ?wd }")
    found = {x: wd.removeprefix("http://www.wikidata.org/entity/") for x, wd in rows}
    assert found == CONFIRMED
    assert len(rows) == len(found)  # one link per node


def test_tenure_starts_carry_their_source_and_wikidata_disagreements(store):
    rows = select(store, """
        SELECT ?t ?start ?note WHERE {
          ?t a org:Membership ; org:memberDuring ?i .
          ?i time:hasBeginning/time:inXSDDate ?start ; prov:wasDerivedFrom ?src .
          OPTIONAL { ?i skos:editorialNote ?note } }""")
    by_tenure = {t: (start, note) for t, start, note in rows}
    assert by_tenure["tenure/lazaro-alberto-alvarez-casas-minister-of-the-interior"][0] == \
        "2020-11-24"
    assert "2019-12-21" in by_tenure[
        "tenure/lazaro-alberto-alvarez-casas-minister-of-the-interior"][1]
    assert by_tenure["tenure/wang-xiaohong-minister-of-public-security"][0] == "2022-06-24"
    assert "tenure/qiu-xiaoqi-special-representative" not in by_tenure


def test_who_holds_which_office_with_evidence(store, corpus):
    rows = select(store, """
        SELECT ?person ?post WHERE { ?t a org:Membership ; org:member ?person ; ng:post ?post ;
          ng:evidence ?e . ?post org:heldBy ?person . ?person org:holds ?post }""")
    assert ("person/qiu-xiaoqi", "post/special-representative-latin-american-affairs-china") \
        in rows
    tenures = [corpus.entities[t] for a in corpus.articles for t in a.mentions
               if corpus.entities[t].kind == "tenure"]
    assert rows == {(f"person/{t.fields['person'][0]}", f"post/{t.fields['post'][0]}")
                    for t in tenures}


def test_every_span_anchor_is_the_article_text_at_its_offsets(store):
    result = store.query(PREFIXES + """
        SELECT ?text ?b ?e ?anchor WHERE { ?span nif:referenceContext ?a ;
          nif:beginIndex ?b ; nif:endIndex ?e ; nif:anchorOf ?anchor . ?a nif:isString ?text }""",
                         use_default_graph_as_union=True)
    rows = list(result)
    assert len(rows) > 80
    for row in rows:
        assert row["text"].value[int(row["b"].value):int(row["e"].value)] == row["anchor"].value


def test_article_text_is_the_seed_byte_for_byte(store):
    seeds = sorted((REPO / "seeds").glob("*/article.txt"))
    assert seeds
    for path in seeds:
        slug = path.parent.name
        (row,) = select(store, f"SELECT ?t WHERE {{ id:article/{slug} nif:isString ?t }}")
        assert row[0] == path.read_text(encoding="utf-8"), slug


def test_types_are_written_out(store):
    missing = select(store, """
        SELECT ?x WHERE {
          { ?x a ng:Meeting FILTER NOT EXISTS { ?x a schema:Event, prov:Activity } }
          UNION { ?x a schema:City FILTER NOT EXISTS { ?x a schema:Place } }
          UNION { ?x a ng:DirectQuote FILTER NOT EXISTS { ?x a ng:Statement } }
          UNION { ?x a schema:Person FILTER NOT EXISTS { ?x a prov:Agent } } }""")
    assert missing == set()


def test_a_city_is_never_an_agent(store):
    rows = select(store, """
        SELECT ?x WHERE { { ?s prov:wasAttributedTo ?x } UNION { ?a prov:agent ?x }
          ?x a schema:Place }""")
    assert rows == set()


def test_no_blank_nodes_in_the_data_graphs(dist):
    for line in (dist / "newsgraph.nq").read_text(encoding="utf-8").splitlines():
        if not line.endswith("<https://w3id.org/newsgraph/def> ."):
            assert "_:" not in line.split('"')[0], line


def test_each_article_has_its_named_graph(store):
    graphs = {g.value for g in store.named_graphs()}
    folders = {p.name for p in (REPO / "seeds").iterdir() if p.is_dir()}
    assert FIRST in folders
    assert graphs == {BASE + f"graph/{slug}" for slug in folders} | {
        BASE + "graph/entities", "https://w3id.org/newsgraph/def"}


def test_every_dump_parses_back_to_the_same_data(dist):
    quads = Dataset()
    quads.parse(dist / "newsgraph.nq", format="nquads")
    trig = Dataset()
    trig.parse(dist / "newsgraph.trig", format="trig")
    jsonld = Dataset()
    jsonld.parse(data=(dist / "newsgraph.jsonld").read_text(encoding="utf-8"), format="json-ld")
    for other in (trig, jsonld):
        for graph in quads.graphs():
            if len(graph):
                assert isomorphic(graph, other.graph(graph.identifier)), graph.identifier
    union = Graph()
    for graph in quads.graphs():
        for triple in graph:
            union.add(triple)
    turtle = Graph().parse(dist / "newsgraph.ttl", format="turtle")
    assert isomorphic(union, turtle)


def test_jsonld_dump_holds_its_context_inline(dist):
    doc = json.loads((dist / "newsgraph.jsonld").read_text(encoding="utf-8"))
    assert isinstance(doc["@context"], dict)


def test_manifest_lists_sizes_and_checksums(dist):
    import hashlib

    manifest = json.loads((dist / "manifest.json").read_text())
    for name, info in manifest["files"].items():
        body = (dist / name).read_bytes()
        assert info["bytes"] == len(body)
        assert info["sha256"] == hashlib.sha256(body).hexdigest()
