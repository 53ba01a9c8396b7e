"""SPARQL results written out: JSON, XML, CSV, TSV for rows and booleans; RDF for graphs.

Rows are counted against the row cap before anything is written, so the
writers here get a complete, bounded list (pyoxigraph's own writers consume
the result iterator and cannot be told to stop and refuse).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from newsgraph import jsonld

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"

RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}
# formats whose writer cannot use prefixes
_NO_PREFIXES = {"ntriples", "nquads"}


def _json_term(term: object) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            direction = getattr(term, "direction", None)
            if direction is not None:
                out["its:dir"] = str(direction.value if hasattr(direction, "value") else direction)
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def select_json(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    bindings = []
    for row in rows:
        bindings.append(
            {name: _json_term(term) for name, term in zip(variables, row, strict=True)
             if term is not None}
        )
    doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"not an RDF term: {term!r}")


_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def select_xml(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    parts = [_XML_HEAD, "<head>"]
    parts.extend(f"<variable name={quoteattr(v)}/>" for v in variables)
    parts.append("</head><results>")
    for row in rows:
        parts.append("<result>")
        for name, term in zip(variables, row, strict=True):
            if term is not None:
                parts.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
        parts.append("</result>")
    parts.append("</results></sparql>\n")
    return "".join(parts).encode("utf-8")


def _csv_field(term: object) -> str:
    if term is None:
        text = ""
    elif isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, ox.NamedNode | ox.Literal):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in '",\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def select_csv(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    lines = [",".join(_csv_field(ox.Literal(v)) for v in variables)]
    lines.extend(",".join(_csv_field(term) for term in row) for row in rows)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def select_tsv(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    # str() of a pyoxigraph term is its N-Triples form, which escapes tabs
    # and line breaks inside literals as TSV requires.
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines.extend("\t".join("" if term is None else str(term) for term in row) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


SELECT_WRITERS = {"json": select_json, "xml": select_xml, "csv": select_csv, "tsv": select_tsv}


def boolean(value: bool, fmt: str) -> bytes:
    word = "true" if value else "false"
    if fmt == "json":
        return b'{"head":{},"boolean":' + word.encode() + b"}"
    if fmt == "xml":
        return f"{_XML_HEAD}<head/><boolean>{word}</boolean></sparql>\n".encode()
    return f"{word}\n".encode()


def graph(triples: Sequence[ox.Triple], fmt: str, prefixes: dict[str, str]) -> bytes:
    if fmt == "jsonld":  # the one JSON-LD writer: the shipped context, as everywhere
        return jsonld.graph_bytes(triples)
    kwargs = {} if fmt in _NO_PREFIXES else {"prefixes": prefixes}
    out = ox.serialize(triples, format=RDF_FORMATS[fmt], **kwargs)
    return out or b""
