"""A synthetic hub for the paging tests: one head of state met in ``n`` meetings,
each reported by its own article (a named graph with its text, the spans that
are the evidence, the meeting with its participations), plus a visitor per
meeting. Written as N-Quads, the form a served file may take."""

from __future__ import annotations

from pathlib import Path

BASE = "https://w3id.org/newsgraph/"
HUB = f"{BASE}id/person/head-of-state"
NG = "https://w3id.org/newsgraph/def#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"@en'


def _int(n: int) -> str:
    return f'"{n}"^^<{XSD}nonNegativeInteger>'


def hub_quads(n: int) -> list[str]:
    """N-Quads lines: the register (the hub and the visitors) and ``n`` articles."""
    register = f"<{BASE}graph/entities>"
    lines = [
        f"<{HUB}> <{RDF_TYPE}> <{SCHEMA}Person> {register} .",
        f"<{HUB}> <{SCHEMA}name> {_lit('Ada Head')} {register} .",
    ]
    for i in range(n):
        visitor = f"{BASE}id/person/visitor-{i:05d}"
        article = f"{BASE}id/article/report-{i:05d}"
        meeting = f"{BASE}id/meeting/meeting-{i:05d}"
        graph = f"<{BASE}graph/report-{i:05d}>"
        name = f"Visitor {i:05d}"
        text = f"Ada Head met {name} on day {i}. They talked."
        end = text.index(".")
        whole = f"{article}#char=0,{end}"
        mention = f"{article}#char=0,8"
        lines += [
            f"<{visitor}> <{RDF_TYPE}> <{SCHEMA}Person> {register} .",
            f"<{visitor}> <{SCHEMA}name> {_lit(name)} {register} .",
            f"<{article}> <{RDF_TYPE}> <{NIF}Context> {graph} .",
            f"<{article}> <{NIF}isString> {_lit(text)} {graph} .",
            f"<{article}> <{SCHEMA}datePublished> \"2025-01-01\"^^<{XSD}date> {graph} .",
        ]
        for span, (b, e) in ((whole, (0, end)), (mention, (0, 8))):
            lines += [
                f"<{span}> <{NIF}referenceContext> <{article}> {graph} .",
                f"<{span}> <{NIF}beginIndex> {_int(b)} {graph} .",
                f"<{span}> <{NIF}endIndex> {_int(e)} {graph} .",
                f"<{span}> <{NIF}anchorOf> {_lit(text[b:e])} {graph} .",
            ]
        lines += [
            f"<{meeting}> <{RDF_TYPE}> <{NG}Meeting> {graph} .",
            f"<{meeting}> <{SCHEMA}name> {_lit(f'Meeting of Ada Head and {name}')} {graph} .",
            f"<{meeting}> <{SCHEMA}attendee> <{HUB}> {graph} .",
            f"<{meeting}> <{SCHEMA}attendee> <{visitor}> {graph} .",
            f"<{meeting}> <{PROV}qualifiedAssociation> <{meeting}#assoc-hub> {graph} .",
            f"<{meeting}#assoc-hub> <{RDF_TYPE}> <{PROV}Association> {graph} .",
            f"<{meeting}#assoc-hub> <{PROV}agent> <{HUB}> {graph} .",
            f"<{meeting}> <{NG}evidence> <{whole}> {graph} .",
            f"<{HUB}> <{NG}evidence> <{mention}> {graph} .",
        ]
    return lines


def write_hub(path: Path, n: int) -> Path:
    path.write_text("\n".join(hub_quads(n)) + "\n", encoding="utf-8")
    return path
