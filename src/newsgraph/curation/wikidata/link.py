"""``newsgraph link``: find Wikidata candidates, let the curator accept, check stored links.

Nothing is written unless the curator accepts a candidate (at the prompt or with
``--accept ID=QID``), and nothing at all when Wikidata cannot be reached: the
message says so and the register is left as it was.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from newsgraph import iris
from newsgraph.config import Settings
from newsgraph.curation.wikidata import KNOWN_WRONG
from newsgraph.curation.wikidata.candidates import (
    Candidate,
    Target,
    rank,
    score,
    targets_from_corpus,
)
from newsgraph.curation.wikidata.client import (
    Item,
    WikidataClient,
    WikidataError,
    WikidataUnavailable,
)
from newsgraph.curation.wikidata.replay import ReplayTransport
from newsgraph.curation.wikidata.yamledit import EditError, write_link
from newsgraph.names import best_similarity, words_contained
from newsgraph.pipeline import annotations as ann

OK, DRIFT, FAILED = 0, 1, 2
SEARCH_LIMIT = 7
FETCH_LIMIT = 5  # entity data fetched for the top search hits
LABEL_MIN = 0.8  # below this, a stored link's label has drifted from our name

Echo = Callable[[str], None]
Prompt = Callable[[str], str]


def make_client(settings: Settings, replay: Path | None = None) -> WikidataClient:
    """The real client, or one answering from recorded responses (no pacing needed)."""
    if replay is not None:
        return WikidataClient(settings.wikidata_url, transport=ReplayTransport(replay),
                              min_interval=0.0, sleep=lambda _s: None)
    return WikidataClient(settings.wikidata_url, timeout=settings.wikidata_timeout_s,
                          min_interval=settings.wikidata_min_interval_s)


def load_targets(settings: Settings) -> list[Target]:
    return targets_from_corpus(ann.load_corpus(settings.seeds))


def find_candidates(client: WikidataClient, target: Target) -> list[Candidate]:
    hits = client.search(target.name, limit=SEARCH_LIMIT)
    items = []
    for hit in hits[:FETCH_LIMIT]:
        if hit["id"] in KNOWN_WRONG:
            continue
        item = client.item(hit["id"])
        if item is not None:
            items.append(item)
    return rank(target, items)


def format_candidates(target: Target, candidates: list[Candidate]) -> str:
    head = f"{target.section}.{target.id}  {target.name!r}  ({target.kind})"
    if not candidates:
        return f"{head}\n  no candidates found on Wikidata\n"
    rows = [head, f"  {'#':>2}  {'score':>5}  {'QID':<11} label — description"]
    for n, cand in enumerate(candidates, 1):
        item = cand.item
        desc = f" — {item.description}" if item.description else ""
        rows.append(f"  {n:>2}  {cand.score:>5.1f}  {item.id:<11} {item.label}{desc}")
        for line in cand.evidence:
            rows.append(textwrap.indent(line, " " * 26))
    return "\n".join(rows) + "\n"


def _choose(prompt: Prompt, candidates: list[Candidate]) -> str | None:
    """The QID the curator accepts at the prompt, or None to skip."""
    while True:
        answer = prompt("Accept which? number, QID, or s to skip").strip()
        if answer.lower() in ("", "s", "skip"):
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(candidates):
            return candidates[int(answer) - 1].item.id
        if iris.is_qid(answer):
            return answer
        # An answer we do not understand asks again rather than guessing.


def accept(client: WikidataClient, settings: Settings, target: Target, qid: str,
           echo: Echo, fetched: dict[str, Item] | None = None) -> int:
    """Verify ``qid`` on Wikidata for ``target``, then write it; nothing on refusal.

    ``fetched`` holds items this run already has (the candidates just shown)."""
    if not iris.is_qid(qid):
        echo(f"refused {target.id}={qid}: malformed Wikidata id (Q followed by digits)")
        return DRIFT
    if qid in KNOWN_WRONG:
        echo(f"refused {target.id}={qid}: known wrong identifier, {KNOWN_WRONG[qid]}")
        return DRIFT
    if target.qid:
        echo(f"refused {target.id}={qid}: already linked to {target.qid}; change it by hand "
             "after `newsgraph link --check`")
        return DRIFT
    item = (fetched or {}).get(qid) or client.item(qid)
    if item is None:
        echo(f"refused {target.id}={qid}: Wikidata has no such item (deleted or never existed)")
        return DRIFT
    if item.redirected:
        echo(f"refused {target.id}={qid}: {qid} redirects to {item.id}; accept {item.id} "
             "instead if it is right")
        return DRIFT
    cand = score(target, item)
    if cand.type_score < 0:
        echo(f"refused {target.id}={qid}: {cand.evidence[1]}")
        return DRIFT
    try:
        write_link(settings.seeds / ann.ENTITIES_FILE, target.section, target.id, qid)
    except EditError as exc:
        echo(f"refused {target.id}={qid}: {exc}; the register is unchanged")
        return DRIFT
    echo(f"linked {target.section}.{target.id} -> {qid} {item.label!r} "
         f"(score {cand.score:.1f}); written to seeds/{ann.ENTITIES_FILE}")
    target.qid = qid
    return OK


def parse_accepts(pairs: Iterable[str]) -> dict[str, str]:
    """``ID=QID`` pairs; ValueError naming the bad one."""
    out: dict[str, str] = {}
    for pair in pairs:
        entity_id, sep, qid = pair.partition("=")
        if not sep or not entity_id or not qid:
            raise ValueError(f"--accept takes ID=QID, got {pair!r}")
        if entity_id in out:
            raise ValueError(f"--accept names {entity_id!r} twice")
        out[entity_id.strip()] = qid.strip()
    return out


def run_link(settings: Settings, *, ids: Iterable[str] = (), accepts: dict[str, str] | None = None,
             interactive: bool = False, replay: Path | None = None, echo: Echo = print,
             prompt: Prompt | None = None) -> int:
    """Propose candidates for unlinked entities (or ``ids``) and write accepted links."""
    try:
        targets = load_targets(settings)
    except ann.AnnotationError as exc:
        echo(f"the annotations have problems; fix them first:\n{exc}")
        return FAILED
    by_id = {t.id: t for t in targets}
    wanted = list(ids) + [i for i in (accepts or {}) if i not in ids]
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        echo(f"unknown or unlinkable id(s): {', '.join(unknown)} "
             f"(linkable sections: people, organizations, places, posts)")
        return FAILED
    try:
        client = make_client(settings, replay)
        if accepts:
            status = OK
            for entity_id, qid in accepts.items():
                status = max(status, accept(client, settings, by_id[entity_id], qid, echo))
            return status
        chosen = [by_id[i] for i in ids] if ids else [t for t in targets if not t.qid]
        if not chosen:
            echo("every linkable entity has a Wikidata link; `newsgraph link --check` "
                 "re-verifies them")
            return OK
        status = OK
        for target in chosen:
            candidates = find_candidates(client, target)
            echo(format_candidates(target, candidates))
            if interactive and prompt is not None and candidates and not target.qid:
                qid = _choose(prompt, candidates)
                if qid:
                    shown = {c.item.id: c.item for c in candidates}
                    status = max(status, accept(client, settings, target, qid, echo, shown))
        if not interactive:
            echo("nothing written: accept a candidate with `newsgraph link --accept ID=QID` "
                 "or answer at the prompt with `--interactive`")
        return status
    except WikidataUnavailable as exc:
        echo(f"Wikidata is unreachable ({exc}); nothing was changed")
        return FAILED
    except WikidataError as exc:
        echo(f"Wikidata error: {exc}; nothing more was changed")
        return FAILED


@dataclass(frozen=True)
class Finding:
    entity: str
    qid: str
    status: str  # ok, drift, note
    detail: str


def check_target(client: WikidataClient, target: Target) -> list[Finding]:
    """What changed on Wikidata for one stored link (an ``ok`` finding if nothing)."""
    qid = target.qid or ""
    found: list[Finding] = []

    def drift(detail: str) -> None:
        found.append(Finding(target.id, qid, "drift", detail))

    if qid in KNOWN_WRONG:
        drift(f"known wrong identifier: {qid} {KNOWN_WRONG[qid]}")
    item = client.item(qid)
    if item is None:
        drift("deleted: Wikidata has no such item any more (entity data answers 404)")
        return found
    if item.redirected:
        drift(f"redirected: {qid} now redirects to {item.id} (merged); check {item.id} and "
              "update the link")
    similarity, _ = best_similarity(target.name, item.names)
    if similarity < LABEL_MIN and not any(words_contained(target.name, n) for n in item.names):
        drift(f"label: ours {target.name!r}, Wikidata's {item.label!r} "
              f"(similarity {similarity:.2f})")
    cand = score(target, item)
    if cand.type_score < 0:
        drift(f"type: {cand.evidence[1]}")
    for post_qid, (ours, tenure_id, note) in sorted(target.tenure_starts.items()):
        theirs = item.position_starts.get(post_qid, [])
        if theirs and ours not in theirs:
            recorded = "our note records it" if note else "no note records it yet"
            found.append(Finding(target.id, qid, "note",
                                 f"P39 {post_qid} start: Wikidata {', '.join(theirs)}, ours "
                                 f"{ours} (tenure {tenure_id}; ours stands, {recorded})"))
    if not any(f.status == "drift" for f in found):
        found.insert(0, Finding(target.id, qid, "ok", f"{item.label!r}, {cand.evidence[1]}"))
    return found


def run_check(settings: Settings, *, replay: Path | None = None, echo: Echo = print) -> int:
    """Re-verify every stored link; DRIFT if any changed on Wikidata."""
    try:
        targets = [t for t in load_targets(settings) if t.qid]
    except ann.AnnotationError as exc:
        echo(f"the annotations have problems; fix them first:\n{exc}")
        return FAILED
    findings: list[Finding] = []
    try:
        client = make_client(settings, replay)
        for target in targets:
            findings.extend(check_target(client, target))
    except WikidataUnavailable as exc:
        echo(f"Wikidata is unreachable ({exc}); nothing was checked")
        return FAILED
    except WikidataError as exc:
        echo(f"Wikidata error: {exc}; the check is incomplete")
        return FAILED
    width = max((len(f.entity) for f in findings), default=6)
    for f in findings:
        echo(f"{f.status:<5}  {f.entity:<{width}}  {f.qid:<11} {f.detail}")
    drifted = sorted({f.entity for f in findings if f.status == "drift"})
    echo(f"{len(targets)} link(s) checked, {len(drifted)} drifted"
         + (f": {', '.join(drifted)}" if drifted else ""))
    return DRIFT if drifted else OK
