"""``/reconcile``: the W3C Reconciliation Service API (v0.2), as OpenRefine uses it.

A curator with a spreadsheet of names ("Xi Jinping", "Havana") asks which of our
entities each row means. The service answers with scored candidates, a preview
of each and a prefix suggest for typing ahead. Our entities come from the store
by SPARQL; the index of names is built once per release (the data changes only
when a rebuild swaps the release) so a batch of queries costs no queries.

Identifiers are ``{kind}/{slug}`` (e.g. ``person/wang-xiaohong``), which with the
``identifierSpace`` ``{base}id/`` gives the entity IRI. JSONP is not offered:
CORS covers browsers and OpenRefine calls from its server.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, request

from newsgraph import iris
from newsgraph.names import fold, folded_similarity
from newsgraph.server.web.name_index import Entry, named_entries

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

# Kinds offered as reconciliation types, with the names OpenRefine shows.
TYPES: dict[str, str] = {k.name: k.reconcile for k in iris.KIND_TABLE if k.reconcile}
# Properties a query may add; each narrows by something we publish.
PROPERTIES: dict[str, str] = {
    "wikidata": "Wikidata item (QID or IRI) of owl:sameAs",
    "post": "Office held (label or QID of the post)",
    "location": "Location (name or QID of the place)",
}
# Batch size, name length and CPU per request are settings (reconcile_max_*,
# reconcile_cpu_s): names are compared character by character with every name
# in the index, so these bound the work (issue 12: a 119 KiB batch of names
# that normalisation expands 18x took 210 s of CPU).
MAX_VALUES = 20
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
SUGGEST_PAGE = 10
# A top candidate at or above this score, clear of the runner-up by MATCH_MARGIN,
# is a match OpenRefine may accept without asking.
MATCH_SCORE = 95.0
MATCH_MARGIN = 10.0


def _settings() -> Any:
    return current_app.extensions["newsgraph"]["settings"]


# ---------------------------------------------------------------- scoring


class QueryError(ValueError):
    """A reconciliation query that cannot be answered; the message says why."""

    status = 400


class OverBudget(QueryError):
    """The request spent its CPU budget; answered 503 with Retry-After."""

    status = 503


@dataclass
class Budget:
    """The limits one request works within (from the settings)."""

    max_text: int = 300
    cpu_s: float = 5.0
    started: float = field(default_factory=time.thread_time)

    def check(self) -> None:
        # CPU of this thread only: gunicorn's other threads do not count against us
        if time.thread_time() - self.started > self.cpu_s:
            raise OverBudget(f"The request used more than {self.cpu_s:g} s of CPU, the most one "
                             "reconciliation request may; send fewer or shorter names.")

    def folded(self, text: str, what: str) -> str:
        """``text`` normalised, refused when longer than ``max_text`` before or after."""
        # checked before folding too, which costs up to 18 characters per character
        if len(text) > self.max_text:
            raise QueryError(f"{what} is longer than {self.max_text} characters")
        folded = fold(text)
        if len(folded) > self.max_text:
            raise QueryError(f"{what} is longer than {self.max_text} characters once "
                             f"normalised (NFKD, case-folded): {len(folded)}")
        return folded


def _best(folded: str, names: list[str]) -> float:
    return max((folded_similarity(folded, name) for name in names), default=0.0)


def _values(v: Any, budget: Budget) -> list[str]:
    """A property value as OpenRefine sends it: text, number, {id, name}, or a list."""
    items = v if isinstance(v, list) else [v]
    if len(items) > MAX_VALUES:
        raise QueryError(f"at most {MAX_VALUES} values for one property")
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            parts = [item[k] for k in ("id", "name") if k in item]
        else:
            parts = [item]
        for part in parts:
            if not isinstance(part, str | int | float) or isinstance(part, bool):
                raise QueryError("a property value is text, a number, {\"id\": …} or a list "
                                 "of them")
            budget.folded(str(part), "a property value")
            out.append(str(part))
    return out


def _as_qid(text: str) -> str | None:
    text = text.strip()
    if text.startswith(str(iris.WD)):
        text = text[len(str(iris.WD)):]
    elif text.startswith("wd:"):
        text = text[3:]
    return text if iris.is_qid(text) else None


def _property_score(entry: Entry, pid: str, values: list[str]) -> float:
    """How well one property fits, 0.0 … 1.0."""
    if pid in ("wikidata", "owl:sameAs"):
        return 1.0 if entry.qid and any(_as_qid(v) == entry.qid for v in values) else 0.0
    if pid == "post":
        pairs = entry.posts
    elif pid == "location":
        pairs = entry.locations
    else:
        raise QueryError(f"unknown property {pid!r}; known: {', '.join(PROPERTIES)}")
    best = 0.0
    for value in values:
        qid = _as_qid(value)
        for label, their_qid in pairs:
            if qid:
                best = max(best, 1.0 if qid == their_qid else 0.0)
            else:
                best = max(best, folded_similarity(fold(value), fold(label)))
    return best


def _type_matches(entry: Entry, wanted: list[str]) -> bool:
    if not wanted:
        return True
    return any(t == entry.kind or t in entry.types for t in wanted)


def _parse_query(raw: Any, budget: Budget) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = {"query": raw}
    if not isinstance(raw, dict):
        raise QueryError("each query is an object with a \"query\" string")
    text = raw.get("query", "")
    if not isinstance(text, str):
        raise QueryError("\"query\" must be a string")
    folded = budget.folded(text, "\"query\"")
    wanted = raw.get("type") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
        raise QueryError("\"type\" is a type id or a list of them")
    unknown = [t for t in wanted if t not in TYPES and "://" not in t]
    if unknown:
        raise QueryError(f"unknown type {unknown[0]!r}; known: {', '.join(TYPES)}")
    limit = raw.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise QueryError("\"limit\" is a positive whole number")
    props = raw.get("properties") or []
    if not isinstance(props, list):
        raise QueryError("\"properties\" is a list of {\"pid\": …, \"v\": …}")
    parsed_props = []
    for prop in props:
        if not isinstance(prop, dict) or not isinstance(prop.get("pid"), str) or "v" not in prop:
            raise QueryError("each property is {\"pid\": …, \"v\": …}")
        if prop["pid"] not in PROPERTIES and prop["pid"] != "owl:sameAs":
            raise QueryError(f"unknown property {prop['pid']!r}; known: {', '.join(PROPERTIES)}")
        parsed_props.append((prop["pid"], _values(prop["v"], budget)))
    if not text.strip() and not parsed_props:
        raise QueryError("a query needs a name in \"query\" or some properties")
    return {"query": text, "folded": folded, "types": wanted, "limit": min(limit, MAX_LIMIT),
            "properties": parsed_props}


def _type_list(entry: Entry) -> list[dict[str, str]]:
    return [{"id": entry.kind, "name": TYPES.get(entry.kind, entry.kind)}]


def reconcile_one(index: dict[str, Entry], query: dict[str, Any],
                  budget: Budget | None = None) -> list[dict[str, Any]]:
    """Scored candidates (0–100) for one parsed query, best first."""
    budget = budget or Budget()
    text = query["query"]
    folded = query.get("folded")
    if folded is None:
        folded = fold(text)
    direct_qid = _as_qid(text)
    scored: list[tuple[float, Entry, str]] = []
    for entry in index.values():
        budget.check()
        if not _type_matches(entry, query["types"]):
            continue
        if direct_qid:
            name_score = 1.0 if entry.qid == direct_qid else 0.0
        elif text.strip():
            name_score = _best(folded, entry.folded or [fold(n) for n in entry.names])
        else:
            name_score = None
        prop_scores = [_property_score(entry, pid, vals) for pid, vals in query["properties"]]
        # The name counts double; each property once.
        parts = ([name_score] * 2 if name_score is not None else []) + prop_scores
        score = 100.0 * sum(parts) / len(parts)
        if score < 40.0 or (name_score is not None and name_score < 0.5):
            continue
        scored.append((round(score, 1), entry, entry.name))
    scored.sort(key=lambda t: (-t[0], fold(t[2]), t[1].id))
    scored = scored[: query["limit"]]
    results = []
    for i, (score, entry, _) in enumerate(scored):
        runner_up = scored[i + 1][0] if i + 1 < len(scored) else 0.0
        results.append({
            "id": entry.id,
            "name": entry.name,
            "type": _type_list(entry),
            "score": score,
            "match": i == 0 and score >= MATCH_SCORE and score - runner_up >= MATCH_MARGIN,
            "description": entry.description(),
        })
    return results


# ---------------------------------------------------------------- HTTP


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status,
                    mimetype="application/json")


def _error(message: str, status: int = 400) -> Response:
    return _json({"status": "error", "message": message}, status)


def manifest() -> dict[str, Any]:
    """The service manifest (v0.2)."""
    # Every URL from the configured base (the release's, else newsgraph.toml's),
    # never from the Host header a client sent (issue 12: it was reflected).
    base = _settings().base
    here = base.rstrip("/") + bp.url_prefix
    return {
        "versions": ["0.2"],
        "name": "newsgraph reconciliation",
        "identifierSpace": f"{base}id/",
        "schemaSpace": str(iris.NG),
        "defaultTypes": [{"id": k, "name": v} for k, v in TYPES.items()],
        "view": {"url": base + "id/{{id}}"},
        "preview": {"url": here + "/preview?id={{id}}", "width": 400, "height": 120},
        "suggest": {"entity": {"service_url": here, "service_path": "/suggest/entity"}},
    }


@bp.route("", methods=["GET", "POST"], strict_slashes=False)
def service() -> Response:
    raw = request.values.getlist("queries")
    if not raw:
        if request.method == "POST":
            return _error("POST a form field \"queries\" holding a JSON object of queries")
        return _json(manifest())
    if len(raw) > 1:
        return _error("\"queries\" given more than once")
    try:
        batch = json.loads(raw[0])
    except ValueError as exc:
        return _error(f"\"queries\" is not JSON: {exc.msg} at position {exc.pos}")
    if not isinstance(batch, dict):
        return _error("\"queries\" is a JSON object mapping query ids to queries")
    settings = _settings()
    if len(batch) > settings.reconcile_max_queries:
        return _error(f"at most {settings.reconcile_max_queries} queries in one request, got "
                      f"{len(batch)}; send them in smaller batches", 413)
    budget = Budget(settings.reconcile_max_text, settings.reconcile_cpu_s)
    try:
        parsed = {key: _parse_query(q, budget) for key, q in batch.items()}
        index = named_entries()
        answer = {key: {"result": reconcile_one(index, q, budget)} for key, q in parsed.items()}
    except QueryError as exc:
        resp = _error(str(exc), exc.status)
        if exc.status == 503:
            resp.headers["Retry-After"] = str(max(1, round(settings.reconcile_cpu_s)))
        return resp
    return _json(answer)


def _starts(folded_prefix: str, folded_name: str) -> bool:
    """``names.prefix_match`` of a prefix and a name both folded already."""
    return folded_name.startswith(folded_prefix) or any(
        word.startswith(folded_prefix) for word in folded_name.split())


@bp.route("/suggest/entity", methods=["GET"])
def suggest_entity() -> Response:
    prefix = request.args.get("prefix", "")
    settings = _settings()
    budget = Budget(settings.reconcile_max_text, settings.reconcile_cpu_s)
    try:
        folded = budget.folded(prefix, "\"prefix\"")
    except QueryError as exc:
        return _error(str(exc), exc.status)
    if not folded:
        return _error("give a \"prefix\" to complete")
    wanted = [t for t in request.args.getlist("type") if t]
    try:
        cursor = int(request.args.get("cursor", "0"))
    except ValueError:
        return _error("\"cursor\" is a whole number")
    if cursor < 0:
        return _error("\"cursor\" is a whole number")
    hits = [e for e in named_entries().values()
            if _type_matches(e, wanted) and any(_starts(folded, n) for n in e.folded)]
    hits.sort(key=lambda e: (not e.folded[0].startswith(folded), e.folded[0], e.id))
    page = hits[cursor: cursor + SUGGEST_PAGE]
    return _json({"result": [
        {"id": e.id, "name": e.name, "description": e.description(), "notable": _type_list(e)}
        for e in page
    ]})


@bp.route("/preview", methods=["GET"])
def preview() -> Response:
    ident = request.args.get("id", "")
    entry = next((e for e in named_entries().values() if e.id == ident), None)
    if entry is None:
        return Response("unknown id\n", status=404, mimetype="text/plain")
    esc = html.escape
    lines = [f"<strong>{esc(entry.name)}</strong> <small>{esc(TYPES.get(entry.kind, ''))}</small>"]
    if len(entry.names) > 1:
        lines.append("also: " + esc(", ".join(entry.names[1:])))
    if entry.description():
        lines.append(esc(entry.description()))
    lines.append(f'<a href="{esc(entry.iri)}" target="_blank">{esc(entry.iri)}</a>')
    if entry.qid:
        wd = f"https://www.wikidata.org/wiki/{entry.qid}"
        lines.append(f'<a href="{esc(wd)}" target="_blank">Wikidata {esc(entry.qid)}</a>')
    body = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"
            f"{esc(entry.name)}</title></head><body style=\"font:13px sans-serif;margin:4px\">"
            + "<br>".join(lines) + "</body></html>")
    resp = Response(body, mimetype="text/html")
    # OpenRefine shows the preview in a frame of its own page: allow framing,
    # and nothing else (no scripts, nothing fetched).
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors *")
    return resp
