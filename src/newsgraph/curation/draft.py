"""``newsgraph draft``: propose the annotations of an article that has only its text.

A curator starts a new article with ``article.txt`` and the few lines of its
``article:`` block; the draft reads the register through the loader the build
uses and proposes, from the text alone and without the network:

* mentions of everything the register holds (names, and the short forms a news
  text uses: a surname after the full name, "Foreign Minister" for "Minister of
  Foreign Affairs of Cuba", "China" for "People's Republic of China"), accent-
  and case-folded, each with its occurrence number;
* office-holding phrases ("Cuban Foreign Minister Bruno Rodríguez Parrilla",
  "Qiu Xiaoqi, China's Special Representative for …") as mentions of tenures;
* references the register cannot name ("the Cuban government", "He", "the
  Foreign Minister", "according to the report"), resolved to the likeliest thing;
* candidate new entities: people named with a title, offices, organisations;
* every quotation with its likely speaker and the work that reports it;
* date expressions, resolved by ``pipeline.dates`` against the publication day;
* likely meetings ("met with", "held talks", "received", "a meeting between").

Every proposal is written with ``review: proposed``: the loader refuses each
mark with one line until a curator accepts (deletes the line) or removes the
record, so nothing a draft guessed is ever published unread. The rules are
plain patterns over the text, kept deterministic so that a draft can be tested.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsgraph import iris
from newsgraph.names import fold
from newsgraph.pipeline import dates
from newsgraph.pipeline.annotations import (
    ARTICLE_ANNOTATIONS,
    ARTICLE_META,
    ARTICLE_TEXT,
    ENTITIES_FILE,
    NEW_ENTITIES,
    REVIEW_KEY,
    AnnotationError,
    Corpus,
    Record,
    check_fields,
    read_text,
    read_yaml,
    target,
)
from newsgraph.pipeline.grounding import find_all
from newsgraph.sentences import sentences

# --------------------------------------------------------------------------- proposals


@dataclass
class Proposal:
    """One guess, with where it sits in the text (code-point offsets)."""

    kind: str  # mention, tenure, quotation, date, meeting, entity
    start: int
    end: int
    quote: str
    occurrence: int
    confidence: float
    entity: str | None = None  # an id the register (or another article) holds
    proposed: str | None = None  # an id the draft proposes for something new
    entity_kind: str | None = None
    why: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """The ids a mention stands for (a plural phrase stands for several)."""
        many = self.details.get("ids")
        if many:
            return list(many)
        return [i for i in (self.entity or self.proposed,) if i]

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "quote": self.quote,
            "occurrence": self.occurrence,
            "start": self.start,
            "end": self.end,
            "entity": self.entity,
            "proposed_id": self.proposed,
            "entity_kind": self.entity_kind,
            "confidence": self.confidence,
            "why": self.why,
        }
        out.update(self.details)
        return out


class DraftError(Exception):
    """A draft that cannot be made; the message is one line for the curator."""


# --------------------------------------------------------------------------- words

_TOKEN = re.compile(r"\w+")
# what may stand between the words of one name: spaces, hyphens, dashes, apostrophes
_JOINER = re.compile(r"[ \u00a0\-\u2010-\u2015'\u2019]{1,2}")
_STOP = {"a", "an", "the", "of", "with", "for", "on", "in", "and", "to", "between", "among"}
_PRONOUNS = {"He", "She", "he", "she"}
# English demonyms of the countries a newsroom is likeliest to write about; a
# country outside this list is still found by its name.
DEMONYMS = {
    "cuba": "Cuban", "china": "Chinese", "russia": "Russian", "united states": "American",
    "mexico": "Mexican", "venezuela": "Venezuelan", "brazil": "Brazilian",
    "argentina": "Argentine", "colombia": "Colombian", "spain": "Spanish",
    "france": "French", "germany": "German", "italy": "Italian", "japan": "Japanese",
    "india": "Indian", "iran": "Iranian", "vietnam": "Vietnamese", "nicaragua": "Nicaraguan",
    "bolivia": "Bolivian", "chile": "Chilean", "peru": "Peruvian", "canada": "Canadian",
    "united kingdom": "British", "ukraine": "Ukrainian", "turkey": "Turkish",
    "north korea": "North Korean", "south korea": "South Korean", "laos": "Lao",
    "belarus": "Belarusian", "portugal": "Portuguese", "ecuador": "Ecuadorian",
}
# capitals, so that "Havana continues to seek" is read as Cuba's government
_CAPITALS = {
    "cuba": ("havana",), "china": ("beijing",), "people s republic of china": ("beijing",),
    "russia": ("moscow",), "united states": ("washington",), "mexico": ("mexico city",),
    "venezuela": ("caracas",), "brazil": ("brasilia",), "spain": ("madrid",),
    "france": ("paris",), "united kingdom": ("london",), "japan": ("tokyo",),
    "india": ("new delhi",), "iran": ("tehran",), "vietnam": ("hanoi",),
    "nicaragua": ("managua",), "argentina": ("buenos aires",), "colombia": ("bogota",),
}
_TITLE_HEADS = ("Minister", "President", "Secretary", "Representative", "Ambassador",
                "Director", "Chairman", "Chair", "Governor", "Mayor", "Premier", "Chancellor",
                "Spokesperson", "Spokesman", "Envoy", "Vice President", "Prime Minister")
_GOVERNMENT_NOUNS = r"government|governments|regime|regimes|authorities|leaders|leadership"
_PERSON_NOUNS = r"official|representative|envoy|diplomat|minister|president|leader|foreign minister"
_REPORT_VERBS = r"stated|said|wrote|posted|tweeted|declared|announced"
_MEETING_CUES = re.compile(r"\b(met with|meets with|held talks|hold talks|talks with|received|"
                           r"meeting (?:took place|between|with)|met in|met on)\b", re.I)


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    folded: str


def tokens(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group(), fold(m.group()) or m.group().lower())
            for m in _TOKEN.finditer(text)]


def _key(name: str) -> tuple[str, ...]:
    return tuple(fold(t) for t in _TOKEN.findall(name))


def slugify(text: str) -> str:
    words = fold(text).split()
    return "-".join(words)[:60].strip("-") or "x"


# --------------------------------------------------------------------------- the register


@dataclass
class Form:
    """A surface form of one thing: a way the text may name it."""

    entity: str
    kind: str
    confidence: float
    why: str
    short: bool = False  # a surname alone: only after the full name in this article
    any_case: bool = False  # concepts are written in lower case as often as not


class Register:
    """The things already known, indexed by the folded words of their forms."""

    def __init__(self, corpus: Corpus | None):
        self.records: dict[str, Record] = dict(corpus.entities) if corpus else {}
        self.forms: dict[tuple[str, ...], list[Form]] = {}
        self.content_forms: dict[tuple[str, ...], list[Form]] = {}
        self.demonyms: dict[str, str] = {}  # folded demonym -> place id
        self.place_names: dict[str, list[str]] = {}  # place id -> its names
        self.tenures: dict[str, list[Record]] = {}  # person id -> tenures
        self.works: list[Record] = []
        self.surface: dict[str, set[str]] = {}  # id -> curated surface forms elsewhere
        if corpus:
            for article in corpus.articles:
                for entity_id, evidence in article.mentions.items():
                    for ev in evidence:
                        span = article.spans.get(ev)
                        if span:
                            self.surface.setdefault(entity_id, set()).add(span.anchor)
        self._index()

    def _add(self, name: str, form: Form) -> None:
        key = _key(name)
        if key and all(form.entity != f.entity for f in self.forms.get(key, [])):
            self.forms.setdefault(key, []).append(form)

    def name_of(self, entity_id: str) -> str:
        r = self.records.get(entity_id)
        if r is None:
            return entity_id
        return r.get("name") or r.get("label") or entity_id

    def _index(self) -> None:
        places = [r for r in self.records.values() if r.kind == "place"]
        for r in places:
            names = [r.fields["name"]]
            short = re.sub(r"^.*\b(?:Republic|Kingdom|Federation|State|States) of (?:the )?",
                           "", r.fields["name"])
            if short != r.fields["name"]:
                names.append(short)
            self.place_names[r.id] = names
            for n in names:
                self._add(n, Form(r.id, "place", 0.9, "the register's name"))
                demonym = DEMONYMS.get(fold(n))
                if demonym and r.get("type") == "country":
                    self.demonyms[fold(demonym)] = r.id
        for r in self.records.values():
            if r.broken:
                continue
            if r.kind == "person":
                self._person_forms(r)
            elif r.kind in ("organization", "event", "meeting"):
                name = r.fields["name"]
                self._add(name, Form(r.id, r.kind, 0.95, "the register's name"))
                bare = re.sub(r"\s*\([^)]*\)\s*$", "", name)
                if bare != name:
                    self._add(bare, Form(r.id, r.kind, 0.8, "the register's name without "
                                         "its parenthesis"))
            elif r.kind == "concept":
                label = r.fields["label"]
                self._add(label, Form(r.id, "concept", 0.9, "the register's label",
                                      any_case=True))
                content = tuple(w for w in _key(label) if w not in _STOP)
                if len(content) >= 2:
                    self.content_forms.setdefault(content, []).append(
                        Form(r.id, "concept", 0.7, "the register's label, other small words",
                             any_case=True))
            elif r.kind == "post":
                self._post_forms(r)
            elif r.kind == "tenure":
                self.tenures.setdefault(target(r.get("person")) or "", []).append(r)
            elif r.kind == "work":
                self.works.append(r)
        # the forms curators gave in other articles are aliases too
        for entity_id, anchors in self.surface.items():
            r = self.records.get(entity_id)
            if r is None or r.kind not in ("person", "organization", "place", "post",
                                           "concept", "event", "meeting"):
                continue
            for anchor in anchors:
                if anchor[:1].isupper() and len(_key(anchor)) >= 2:
                    self._add(anchor, Form(entity_id, r.kind, 0.85, "a curated mention in "
                                           "another article"))

    def _person_forms(self, r: Record) -> None:
        name = r.fields["name"]
        self._add(name, Form(r.id, "person", 1.0, "the register's name"))
        words = _TOKEN.findall(name)
        if len(words) >= 3:
            # "Bruno Rodríguez" for "Bruno Rodríguez Parrilla"
            for n in range(2, len(words)):
                self._add(" ".join(words[:n]), Form(r.id, "person", 0.8,
                                                     "the register's name, shortened"))
        if len(words) >= 2:
            for w in words:
                if len(w) > 1:
                    self._add(w, Form(r.id, "person", 0.75, "a surname, after the full name",
                                      short=True))

    def _post_forms(self, r: Record) -> None:
        label = r.fields["label"]
        self._add(label, Form(r.id, "post", 0.95, "the register's label"))
        shorts = set()
        org = self.records.get(target(r.get("organization")) or "")
        country_ids = {target(org.get("location"))} if org else set()
        for pid in [*country_ids, *self.place_names]:
            for n in self.place_names.get(pid or "", []):
                for tail in (f" of {n}", f" of the {n}"):
                    if label.endswith(tail):
                        shorts.add(label[: -len(tail)])
        for s in list(shorts):
            m = re.fullmatch(r"Minister of (?:the )?(\w+(?: \w+)*?)(?: Affairs)?", s)
            if m:
                shorts.add(f"{m.group(1)} Minister")
        # "Minister of Interior" is written as often as "Minister of the Interior"
        shorts |= {s.replace(" of the ", " of ") for s in shorts}
        for s in shorts:
            self._add(s, Form(r.id, "post", 0.7, "the register's label, without its country"))
            self._add(s + "s", Form(r.id, "post", 0.6, "the register's label, plural"))

    def country_of(self, entity_id: str | None) -> str | None:
        """The country a post, organisation or person's office belongs to."""
        r = self.records.get(entity_id or "")
        seen = 0
        while r is not None and seen < 6:
            seen += 1
            if r.kind == "place":
                up = self.records.get(target(r.get("in")) or "")
                return r.id if r.get("type") == "country" or up is None else up.id
            if r.kind == "post":
                r = self.records.get(target(r.get("organization")) or "")
            elif r.kind == "organization":
                r = self.records.get(target(r.get("location")) or target(r.get("parent")) or "")
            else:
                return None
        return None

    def government_of(self, place_id: str) -> str | None:
        for r in self.records.values():
            if (r.kind == "organization" and r.get("type") == "government"
                    and target(r.get("location")) == place_id and not r.get("parent")):
                return r.id
        return None


# --------------------------------------------------------------------------- the draft


def occurrence_of(text: str, quote: str, start: int) -> int:
    """The number ``find_span`` needs to find this occurrence of the quote again."""
    starts = find_all(text, quote)
    return starts.index(start) + 1


class Drafter:
    def __init__(self, text: str, meta: dict[str, Any], register: Register):
        self.text = text
        self.meta = meta
        self.reg = register
        self.toks = tokens(text)
        self.sents = sentences(text)
        self.proposals: list[Proposal] = []
        self.quoted = [(m.start(), m.end()) for m in
                       re.finditer(r'"[^"\n]+"|\u201c[^\u201d\n]+\u201d', text)]

    # ---- helpers
    def _new(self, kind: str, start: int, end: int, confidence: float, why: str,
             **kw: Any) -> Proposal:
        quote = self.text[start:end]
        return Proposal(kind, start, end, quote, occurrence_of(self.text, quote, start),
                        round(confidence, 2), why=why, **kw)

    def sentence_at(self, pos: int) -> int:
        for i, (b, e) in enumerate(self.sents):
            if b <= pos < e:
                return i
        return len(self.sents) - 1

    def in_quote(self, pos: int) -> bool:
        return any(b < pos < e for b, e in self.quoted)

    def mentions(self, kinds: Iterable[str] = ("mention", "tenure")) -> list[Proposal]:
        ks = set(kinds)
        return sorted((p for p in self.proposals if p.kind in ks), key=lambda p: p.start)

    def people_in(self, sentence: int) -> list[Proposal]:
        b, e = self.sents[sentence]
        return [p for p in self.mentions(("mention",))
                if p.entity_kind == "person" and b <= p.start < e]

    # ---- 1. names the register knows
    def names(self) -> None:
        toks, text = self.toks, self.text
        longest = max((len(k) for k in self.reg.forms), default=1)
        full_seen: set[str] = set()
        i = 0
        while i < len(toks):
            found = None
            for n in range(min(longest, len(toks) - i), 0, -1):
                window = toks[i : i + n]
                if any(not _JOINER.fullmatch(text[a.end : b.start])
                       for a, b in zip(window, window[1:], strict=False)):
                    continue
                forms = self.reg.forms.get(tuple(t.folded for t in window))
                if not forms:
                    continue
                forms = [f for f in forms if f.any_case or window[0].text[:1].isupper()]
                forms = [f for f in forms if not f.short or f.entity in full_seen]
                if forms:
                    found = (n, forms)
                    break
            if not found:
                i += 1
                continue
            n, forms = found
            start, end = toks[i].start, toks[i + n - 1].end
            form = self._choose(forms, start)
            if form.kind == "place" and not self._place_is_mention(start, end):
                i += n
                continue
            if form.kind == "place":
                government = self._acting_government(form.entity, end)
                if government:
                    form = Form(government, "organization", 0.6,
                                "a country (or its capital) that acts: its government")
            conf = form.confidence * (1.0 if len(forms) == 1 else 0.7)
            if form.kind == "person" and not form.short:
                full_seen.add(form.entity)
            start = self._widen_left(start, form.kind)
            end = self._widen_right(end, form.kind)
            self.proposals.append(self._new("mention", start, end, conf, form.why,
                                            entity=form.entity, entity_kind=form.kind))
            i += n
        # concepts whose small words differ ("Community of Shared Future")
        for n in {len(k) for k in self.reg.content_forms}:
            content = [t for t in toks if t.folded not in _STOP]
            for j in range(len(content) - n + 1):
                window = content[j : j + n]
                forms = self.reg.content_forms.get(tuple(t.folded for t in window))
                if not forms:
                    continue
                start, end = window[0].start, window[-1].end
                between = _TOKEN.findall(text[start:end])
                if len(between) > n + 2 or "\n" in text[start:end] or re.search(
                        r"[.,;:!?]", text[start:end]):
                    continue
                if any(p.start <= start and end <= p.end for p in self.proposals):
                    continue
                self.proposals.append(self._new("mention", start, end, forms[0].confidence,
                                                forms[0].why, entity=forms[0].entity,
                                                entity_kind="concept"))

    def _choose(self, forms: list[Form], start: int) -> Form:
        """Of the things one name may mean, the one the text around it points to."""
        if len(forms) == 1:
            return forms[0]
        before = self.text[max(0, start - 40) : start]
        for f in forms:
            country = self.reg.country_of(f.entity)
            for dem, pid in self.reg.demonyms.items():
                if pid == country and re.search(rf"\b{dem}\b", fold(before[-20:])):
                    return f
        known = {p.entity for p in self.proposals}
        for f in forms:
            if f.entity in known:
                return f
        return forms[0]

    def _widen_left(self, start: int, kind: str) -> int:
        # "the official Xinhua News Agency", "the social network X": a descriptor
        # in front of a name is part of how the text names it
        if kind not in ("organization", "meeting", "event"):
            return start
        m = re.search(r"\b[Tt]he (?:[a-z]+ ){1,2}$", self.text[max(0, start - 40) : start])
        return start - len(m.group()) if m else start

    def _widen_right(self, end: int, kind: str) -> int:
        # "Community of … States (CELAC)": the acronym in parentheses belongs to the name
        if kind != "organization":
            return end
        m = re.match(r" \([A-Z]{2,10}\)", self.text[end:])
        return end + len(m.group()) if m else end

    # ---- 2. references the register cannot name
    def references(self) -> None:
        text = self.text
        dem_alt = "|".join(sorted((re.escape(d.title()) for d in self.reg.demonyms),
                                  key=len, reverse=True)) or "(?!x)x"
        # "the Cuban government", "The Cuban regime", "Cuban leaders", "Chinese regimes"
        for m in re.finditer(rf"\b(?:[Tt]he )?({dem_alt}) (?:{_GOVERNMENT_NOUNS})\b", text):
            place = self.reg.demonyms.get(fold(m.group(1)))
            gov = self.reg.government_of(place) if place else None
            if gov and not self._taken(m.start(), m.end()):
                self.proposals.append(self._new(
                    "mention", m.start(), m.end(), 0.7, "a demonym and a word for a government",
                    entity=gov, entity_kind="organization"))
        # "the Chinese official", "the Chinese executive representative", "the head of
        # Cuban diplomacy": a person the sentence before has named
        pattern = (rf"\b[Tt]he (?:({dem_alt}) (?:[a-z]+ )?(?:{_PERSON_NOUNS})\b|"
                   rf"head of ({dem_alt}) [a-z]+)")
        for m in re.finditer(pattern, text):
            place = self.reg.demonyms.get(fold(m.group(1) or m.group(2)))
            who = self._recent_person(m.start(), place)
            if who:
                self.proposals.append(self._new(
                    "mention", m.start(), m.end(), 0.5, "a description of someone named before",
                    entity=who, entity_kind="person"))

    def titled_references(self) -> None:
        """"the Foreign Minister": the holder of that office named before."""
        for post in [p for p in self.proposals if p.entity_kind == "post" and p.entity]:
            m = re.search(r"\b[Tt]he $", self.text[max(0, post.start - 4) : post.start])
            if not m or post.quote.endswith("s"):
                continue
            holders = {target(t.get("person")) for ts in self.reg.tenures.values() for t in ts
                       if target(t.get("post")) in post.ids}
            who = next((p.entity for p in reversed(self.mentions(("mention",)))
                        if p.start < post.start and p.entity in holders), None)
            if who:
                self.proposals.append(self._new(
                    "mention", post.start - 4, post.end, 0.6,
                    "a description of someone named before: the holder of the office",
                    entity=who, entity_kind="person"))
        # "For his part, Wang Yi": the pronoun points ahead
        for m in re.finditer(r"\b[Ff]or (his|her) part, ", self.text):
            who = next((p for p in self.mentions(("mention",)) if p.start == m.end()
                        and p.entity_kind == "person"), None)
            if who:
                self.proposals.append(self._new(
                    "mention", m.start(1), m.end(1), 0.6, "a pronoun: the person named next",
                    entity=who.entity, entity_kind="person"))

    def gatherings(self) -> None:
        """Meetings and summits described, not named: "the fourth ministerial
        meeting of the China-CELAC Forum", "the forthcoming China-CELAC ministerial
        forum", and "the event" that points back at the last of them."""
        text = self.text
        orgs = [p for p in self.mentions(("mention",)) if p.entity_kind == "organization"]
        head = r"(?:meeting|summit|forum|conference|session|congress)"
        found: list[Proposal] = []
        for m in re.finditer(rf"\b[Tt]he (?:[a-z]+ ){{0,3}}{head} of (?:the )?", text):
            org = next((o for o in orgs if o.start == m.end()), None)
            if org is None or self.in_quote(m.start()):
                continue
            found.append(self._gathering(m.start(), org.end, org.entity))
        for m in re.finditer(rf"\b[Tt]he (?:forthcoming|upcoming|coming|next|last|recent) "
                             rf"[A-Z][\w]*(?:[-\u2010\u2013][A-Z][\w]*)*(?: [a-z]+)? {head}\b",
                             text):
            if not self.in_quote(m.start()):
                found.append(self._gathering(m.start(), m.end(), None))
        self.proposals += found
        for m in re.finditer(rf"\b[Tt]he (?:event|{head})\b(?! of)(?![-\w])", text):
            before = [p for p in found if p.end <= m.start()]
            if before and not any(p.start <= m.start() < p.end for p in found):
                last = before[-1]
                self.proposals.append(self._new(
                    "mention", m.start(), m.end(), 0.4, "the gathering named before",
                    entity=last.entity, proposed=last.proposed, entity_kind=last.entity_kind))

    def _gathering(self, start: int, end: int, organizer: str | None) -> Proposal:
        held = [r.id for r in self.reg.records.values() if r.kind == "meeting"
                and organizer and target(r.get("organizer")) == organizer]
        quote = self.text[start:end]
        return self._new("mention", start, end, 0.5 if len(held) == 1 else 0.3,
                         "a gathering described by its organiser" if organizer else
                         "a gathering described", entity=held[0] if len(held) == 1 else None,
                         proposed=None if len(held) == 1 else slugify(
                             re.sub(r"^[Tt]he (?:forthcoming|upcoming|coming|next) ", "", quote)),
                         entity_kind="meeting")

    def _taken(self, start: int, end: int) -> bool:
        return any(p.start == start and p.end == end for p in self.proposals)

    def _recent_person(self, pos: int, place: str | None = None,
                       post_words: set[str] | None = None) -> str | None:
        for p in reversed(self.mentions(("mention",))):
            if p.start >= pos or p.entity_kind != "person" or not p.entity:
                continue
            if place or post_words:
                posts = [target(t.get("post")) for t in self.reg.tenures.get(p.entity, [])]
                if place and not any(self.reg.country_of(x) == place for x in posts):
                    continue
                if post_words and not any(
                        post_words <= set(_key(self.reg.name_of(x or ""))) for x in posts):
                    continue
            return p.entity
        return None

    # ---- 3. offices and who holds them
    def offices(self) -> None:
        text = self.text
        posts = [p for p in self.mentions(("mention",)) if p.entity_kind == "post"]
        # titles the register does not know: "Special Representative for Latin American Affairs"
        heads = "|".join(_TITLE_HEADS)
        title = re.compile(rf"\b(?:[A-Z][a-z]+ )*(?:{heads})\b(?: (?:of|for|on) (?:the )?"
                           rf"[A-Z][\w]+(?: (?:and )?[A-Z][\w]+)*)?")
        people_spans = [(p.start, p.end) for p in self.mentions(("mention",))
                        if p.entity_kind == "person"]
        for m in title.finditer(text):
            if self.in_quote(m.start()):
                continue
            start, end = m.start(), m.end()
            # a demonym in front is the country, not the title
            lead = _TOKEN.match(text, start)
            if lead and fold(lead.group()) in self.reg.demonyms:
                start = lead.end() + 1
                if start >= end:
                    continue
            # the name that follows a title is not part of it
            for a, _b in people_spans:
                if start < a < end:
                    end = len(text[:a].rstrip(" ,"))
            if end <= start or any(p.start < end and start < p.end for p in posts):
                continue
            phrase = text[start:end]
            entity, conf = self._match_post(phrase, start)
            prop = self._new("mention", start, end, conf,
                             "a title the register knows by other words" if entity
                             else "a title the register does not know",
                             entity=entity, proposed=None if entity else slugify(phrase),
                             entity_kind="post")
            self.proposals.append(prop)
            posts.append(prop)
        posts.sort(key=lambda p: p.start)
        people = [p for p in self.mentions(("mention",)) if p.entity_kind == "person"
                  and not self._is_reference(p)]
        dem_alt = "|".join(re.escape(d.title()) for d in self.reg.demonyms) or "(?!x)x"
        for post in posts:
            before = text[max(0, post.start - 30) : post.start]
            qual = re.search(rf"(?:\b([A-Z][\w]+)['\u2019]s |\b({dem_alt}) )$", before)
            start = post.start - len(qual.group()) if qual else post.start
            if start > 0 and text[start - 1 : start].isalnum():
                continue
            # a bare "President" or "leader" needs its country to name the office
            if qual and qual.group(2) and len(_TOKEN.findall(post.quote)) == 1:
                post.start, post.quote = start, text[start : post.end]
                post.occurrence = occurrence_of(text, post.quote, start)
            after = text[post.end : post.end + 3]
            # "<title>, <person>" or "<title> <person>"
            for person in people:
                gap = text[post.end : person.start]
                if gap in (" ", ", ") and after[:1] in (" ", ","):
                    self._tenure(start, person.end, person.entity, post)
                    break
                gap_back = text[person.end : start]
                if gap_back == ", ":
                    self._tenure(person.start, post.end, person.entity, post)
                    break
        # the bare "leader": "Cuban leader Miguel Díaz-Canel"
        for m in re.finditer(rf"\b({dem_alt}) (leader|head of state) ", text):
            person = next((p for p in people if p.start == m.end()), None)
            if person:
                place = self.reg.demonyms.get(fold(m.group(1)))
                held = [target(t.get("post")) for t in self.reg.tenures.get(person.entity, [])]
                post_id = next((x for x in held if self.reg.country_of(x) == place), None)
                post = self._new("mention", m.start(), m.end() - 1, 0.5,
                                 "a demonym and 'leader': the office the person holds there",
                                 entity=post_id, proposed=None if post_id else slugify(m.group()),
                                 entity_kind="post")
                self.proposals.append(post)
                self._tenure(m.start(), person.end, person.entity, post)
        # "Foreign ministers of Cuba and China, Bruno Rodríguez Parrilla and Wang Yi"
        for post in posts:
            m = re.match(r" of ([A-Z][\w ]+?) and ([A-Z][\w ]+?), ", text[post.end :])
            if not m or not post.quote.endswith("s"):
                continue
            rest = post.end + m.end()
            first = next((p for p in people if p.start == rest), None)
            second = first and next((p for p in people if p.start == first.end + 5
                                     and text[first.end : p.start] == " and "), None)
            if first and second:
                ids = []
                for person in (first, second):
                    ids += [t.id for t in self.reg.tenures.get(person.entity or "", [])
                            if self._same_office(target(t.get("post")), post)]
                if ids:
                    self.proposals.append(self._new(
                        "tenure", post.start, second.end, 0.6,
                        "a plural title and the people who hold it", entity=ids[0],
                        entity_kind="tenure", details={"ids": ids}))
                    candidates = [e for e in post.details.get("ids", []) or [post.entity]]
                    others = [self.reg.records[i].fields["post"][0] for i in ids]
                    post.details["ids"] = sorted(set(candidates) | set(others))

    def _same_office(self, post_id: str | None, mention: Proposal) -> bool:
        words = {w.rstrip("s") for w in _key(mention.quote)}
        label = {w.rstrip("s") for w in _key(self.reg.name_of(post_id or ""))}
        return bool(words) and words <= label | {"foreign"} and (
            "foreign" not in words or "foreign" in label)

    def _is_reference(self, p: Proposal) -> bool:
        return p.why.startswith("a description")

    def _match_post(self, phrase: str, start: int) -> tuple[str | None, float]:
        """The register's office this title names, judged by shared words."""
        words = set(_key(phrase)) - _STOP
        best, best_score = None, 0.0
        for r in self.reg.records.values():
            if r.kind != "post":
                continue
            label = set(_key(r.fields["label"])) - _STOP
            if not words or not label:
                continue
            score = len(words & label) / len(words)
            if score > best_score:
                best, best_score = r.id, score
        if best and best_score >= 0.99:
            return best, 0.6
        return None, 0.4

    def _tenure(self, start: int, end: int, person: str | None, post: Proposal) -> None:
        if not person or any(p.kind == "tenure" and p.start == start and p.end == end
                             for p in self.proposals):
            return
        held = self.reg.tenures.get(person, [])
        post_ids = post.ids
        tenure = next((t.id for t in held if target(t.get("post")) in post_ids), None)
        if tenure is None and len(held) >= 1 and not post.entity:
            # the person's only office in the register, under other words
            country = self.reg.country_of(post.entity)
            same = [t.id for t in held if country is None
                    or self.reg.country_of(target(t.get("post"))) == country]
            tenure = same[0] if len(same) == 1 else None
        if tenure and not post.entity:
            post.entity = target(self.reg.records[tenure].get("post"))
            post.proposed = None
            post.why = "the office the register says this person holds"
        proposed = None if tenure else f"{person}-{post.entity or post.proposed}"[:80]
        self.proposals.append(self._new(
            "tenure", start, end, 0.8 if tenure else 0.5,
            "a title next to the name of its holder", entity=tenure, proposed=proposed,
            entity_kind="tenure",
            details={"person": person, "post": post.entity or post.proposed}))

    # ---- 4. who "he" is, plural holders, reporting works
    def coreference(self) -> None:
        text = self.text
        for t in self.toks:
            if t.text not in _PRONOUNS or self.in_quote(t.start):
                continue
            s = self.sentence_at(t.start)
            same = [p for p in self.people_in(s) if p.start < t.start]
            who = same[0] if same else None
            back = s - 1
            while who is None and back >= 0 and back >= s - 2:
                found = self.people_in(back)
                who = found[0] if found else None
                back -= 1
            if who and who.entity:
                self.proposals.append(self._new(
                    "mention", t.start, t.end, 0.6,
                    "a pronoun: the first person named in this or the sentence before",
                    entity=who.entity, entity_kind="person"))
        # "the presidents of both countries", "the interior ministers of the Cuban and
        # Chinese regimes": office holders named around the phrase
        dem_alt = "|".join(re.escape(d.title()) for d in self.reg.demonyms) or "(?!x)x"
        plural = re.compile(rf"\bthe (?:[a-z]+ )?(presidents|ministers|leaders|heads) of "
                            rf"(?:both [a-z]+(?: and [a-z]+)?|the (?:{dem_alt}) and "
                            rf"(?:{dem_alt}) [a-z]+)")
        for m in plural.finditer(text):
            s = self.sentence_at(m.start())
            near = [p.entity for k in (s, s + 1) if k < len(self.sents)
                    for p in self.people_in(k)]
            # the holders are named around the phrase, else anywhere in the article
            people = near + [p.entity for p in self.mentions(("mention",))
                             if p.entity_kind == "person" and p.start > m.end()]
            word = m.group(1).rstrip("s")
            ids: list[str] = []
            if word == "leader" and " parties" in m.group():
                # "the leaders of both parties (and nations)": the parties' leaders,
                # whoever the article names, and the parties themselves
                for person in dict.fromkeys(p.entity for p in self.mentions(("mention",))
                                            if p.entity_kind == "person" and p.entity):
                    for t in self.reg.tenures.get(person, []):
                        org = self.reg.records.get(
                            target(self.reg.records[target(t.get("post")) or ""].get(
                                "organization")) or "") if target(t.get("post")) in \
                            self.reg.records else None
                        if org is not None and "party" in fold(org.fields.get("name", "")):
                            ids += [t.id, org.id]
                ids = list(dict.fromkeys(ids))
                if len(ids) >= 2:
                    self.proposals.append(self._new(
                        "mention", m.start(), m.end(), 0.4,
                        "the leaders of parties: the party offices of the people named",
                        entity=ids[0], entity_kind="tenure", details={"ids": ids}))
                    continue
            for person in dict.fromkeys(x for x in people if x):
                if word == "leader" and person not in near:
                    continue
                for t in self.reg.tenures.get(person, []):
                    if word == "leader" or word in fold(self.reg.name_of(target(t.get("post"))
                                                                         or "")):
                        ids.append(t.id)
                        break
            close = [i for i in ids if target(self.reg.records[i].get("person")) in near]
            ids = close if len(close) >= 2 else ids[:2]
            if len(ids) >= 2:
                self.proposals.append(self._new(
                    "mention", m.start(), m.end(), 0.4,
                    "a plural title: the holders named around it", entity=ids[0],
                    entity_kind="tenure", details={"ids": ids}))
        self._reporting()

    def _reporting(self) -> None:
        text = self.text
        orgs = [p for p in self.mentions(("mention",)) if p.entity_kind == "organization"]
        last_report: Proposal | None = None
        for m in re.finditer(r"\baccording to (?:a|an|the) (?:report|statement|dispatch)"
                             r"(?: (?:by|from|of) )?", text):
            end = m.end()
            org = next((o for o in orgs if o.start == end), None) if m.group().endswith(" ") \
                else None
            if m.group().endswith(" ") and org is None:
                end = m.end() - len(re.search(r" (?:by|from|of) $", m.group()).group())
            if org:
                end = org.end
                work = self._work_of(publisher=org.entity)
                prop = self._new("mention", m.start(), end, 0.6, "a report the text cites",
                                 entity=work, proposed=None if work else
                                 f"{org.entity}-report-{self._month()}", entity_kind="work")
                last_report = prop
            elif last_report is not None and "the" in m.group():
                prop = self._new("mention", m.start(), end, 0.5, "the report cited before",
                                 entity=last_report.entity, proposed=last_report.proposed,
                                 entity_kind="work")
            else:
                continue
            self.proposals.append(prop)
        # "stated the Foreign Minister on the social network X": a post by that person
        for m in re.finditer(rf"\b(?:{_REPORT_VERBS}) ", text):
            who = next((p for p in self.mentions(("mention",)) if p.start == m.end()
                        and p.entity_kind == "person"), None)
            if who is None:
                continue
            on = next((o for o in orgs if o.start == who.end + 4
                       and text[who.end : o.start] == " on "), None)
            if on is None:
                continue
            work = self._work_of(publisher=on.entity, author=who.entity)
            self.proposals.append(self._new(
                "mention", m.start(), on.end, 0.6, "a person's post on a platform",
                entity=work, proposed=None if work else f"{who.entity}-{on.entity}-post",
                entity_kind="work"))

    def _month(self) -> str:
        published = self.meta.get("published")
        return f"{published:%Y-%m}" if isinstance(published, dt.date) else "undated"

    def _work_of(self, publisher: str | None, author: str | None = None) -> str | None:
        found = [w.id for w in self.reg.works if target(w.get("publisher")) == publisher
                 and (author is None or target(w.get("author")) == author)]
        return found[0] if len(found) == 1 else None

    # ---- 5. people and organisations the register does not hold
    def new_entities(self) -> None:
        text = self.text
        taken = [(p.start, p.end) for p in self.proposals if p.kind in ("mention", "tenure")]
        name = r"[A-Z][\w\u2019'-]+(?: [A-Z][\w\u2019'-]+){1,3}"
        heads = "|".join(_TITLE_HEADS)
        patterns = [
            (rf"\b(?:{heads}|leader|official|spokesperson) ({name})", "person"),
            (rf"\b({name}), (?:the |who is |{'|'.join(DEMONYMS.values())} )", "person"),
            (r"\b((?:[A-Z][\w]+ )*(?:Ministry|Agency|Party|Council|Association|Union|"
             r"Organization|Organisation|Bank|Institute|Committee|Assembly)(?: of (?:the )?"
             r"[A-Z][\w]+(?: (?:of )?[A-Z][\w]+)*)?)", "organization"),
        ]
        # "in Harbin", "visiting Santiago": a place after a word that leads to one
        patterns.append((r"(?<![.?!] )(?<!^)\b(?:in|to|from|visiting|at|near) "
                         r"([A-Z][a-z]+(?: [A-Z][a-z]+)?)\b(?![-\u2010'\u2019])", "place"))
        for pattern, kind in patterns:
            for m in re.finditer(pattern, text):
                start, end = m.start(1), m.end(1)
                if self.in_quote(start) or any(a <= start < b or a < end <= b
                                               for a, b in taken):
                    continue
                words = _TOKEN.findall(m.group(1))
                if kind == "organization" and len(words) < 2:
                    continue
                if kind in ("person", "place") and (
                        any(w in _TITLE_HEADS for w in words) or len(words) > 4
                        or any(w.lower() in dates.MONTHS + dates.WEEKDAYS
                               or w.lower() in _STOP for w in words)):
                    continue
                if kind == "place" and (fold(m.group(1)) in self.reg.demonyms
                                        or _key(m.group(1)) in self.reg.forms):
                    continue
                pid = slugify(m.group(1))
                if pid in self.reg.records or not iris.is_slug(pid):
                    continue
                found = self._new("mention", start, end, 0.5,
                                  f"a {kind} the register does not hold", proposed=pid,
                                  entity_kind=kind)
                self.proposals.append(found)
                taken.append((start, end))
                # "Governor Zhang Wei": the title next to a new name is a new tenure
                post = next((p for p in self.proposals if p.entity_kind == "post"
                             and p.kind == "mention" and p.end + 1 == start), None)
                if kind == "person" and post is not None:
                    self._tenure(post.start, end, pid, post)

    # ---- 6. quotations, dates, meetings
    def quotations(self) -> None:
        for b, e in self.quoted:
            inner_b, inner_e = b + 1, e - 1
            inner = self.text[inner_b:inner_e].rstrip(".,;:!? ")
            if not inner.strip() or len(_TOKEN.findall(inner)) < 1:
                continue
            s = self.sentence_at(b)
            sb, se = self.sents[s]
            speakers = [p for p in self.mentions(("mention",))
                        if sb <= p.start < se and p.entity_kind in ("person", "organization")
                        and p.entity and not (b <= p.start < e)]
            back = s - 1
            while not [p for p in speakers if p.entity_kind == "person"] and back >= max(0, s - 2):
                speakers += self.people_in(back)
                back -= 1
            people = [p for p in speakers if p.entity_kind == "person"]
            by = None
            if people:
                # the speaker is the one nearest before the quote, else the first after it
                before = [p for p in people if p.start < b and self.sentence_at(p.start) == s]
                by = before[-1] if before else people[0]
            # '…," stated the Foreign Minister': the one the reporting verb names
            verb = re.match(rf"[,.]?[\"\u201d]?,? (?:{_REPORT_VERBS}) ", self.text[e - 1 :])
            if verb:
                after = next((p for p in self.mentions(("mention",))
                              if p.start == e - 1 + verb.end() and p.entity_kind == "person"),
                             None)
                by = after or by
            works = [p for p in self.mentions(("mention",)) if p.entity_kind == "work"
                     and sb <= p.start < se]
            if not works:
                works = [p for p in self.mentions(("mention",)) if p.entity_kind == "work"
                         and p.start < sb]
                works = works[-1:] if works and self._same_paragraph(works[-1].start, sb) \
                    else []
            self.proposals.append(self._new(
                "quotation", sb, se, 0.6 if by else 0.3, "words in quotation marks",
                details={"text": inner, "quote_start": inner_b,
                         "quote_end": inner_b + len(inner),
                         "speaker": by.entity if by else None,
                         "reported_by": (works[0].entity or works[0].proposed) if works
                         else None}))

    def _same_paragraph(self, a: int, b: int) -> bool:
        return "\n" not in self.text[a:b]

    def date_expressions(self) -> None:
        published = self.meta.get("published")
        months = "January|February|March|April|May|June|July|August|September|October|" \
                 "November|December"
        weekdays = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
        pattern = re.compile(
            rf"\b(?:(?:[Ll]ast|[Tt]his past|[Oo]n|[Pp]ast|[Tt]his|[Nn]ext) )?(?:{weekdays})\b"
            rf"|\b(?:(?:[Ii]n|[Ee]arly|[Ll]ate|[Mm]id|[Ii]n early|[Ii]n late|[Ii]n mid|[Oo]n|"
            rf"[Ll]ast|[Tt]his) )?(?:{months})(?: [0-9]{{1,2}})?(?:, [0-9]{{4}})?\b"
            r"|\b(?:[Yy]esterday|[Tt]oday|[Tt]his week|[Ll]ast week|[Tt]his month|"
            r"[Ll]ast month|[Tt]his year|[Ll]ast year)\b")
        for m in pattern.finditer(self.text):
            expr = m.group()
            bounds = None
            if isinstance(published, dt.date):
                try:
                    bounds = dates.resolve(expr, published)
                except Exception:  # noqa: BLE001 - a resolver's fault must not stop a draft
                    bounds = None
                if bounds is None:
                    bounds = _absolute(expr)
            details: dict[str, Any] = {"expression": expr}
            if bounds:
                details.update(first=bounds[0].isoformat(), last=bounds[1].isoformat())
            self.proposals.append(self._new(
                "date", m.start(), m.end(), 0.8 if bounds else 0.3,
                "a date expression, resolved against the publication day" if bounds else
                "a date expression the resolver does not understand", details=details))

    def meetings(self) -> None:
        for s, (sb, se) in enumerate(self.sents):
            sentence = self.text[sb:se]
            cue = next((c for c in _MEETING_CUES.finditer(sentence)
                        if not self.in_quote(sb + c.start())), None)
            if cue is None or sentence.rstrip().endswith("?"):
                continue
            agents: list[str] = []
            capacities: dict[str, str] = {}
            for p in self.mentions():
                if not (sb <= p.start < se):
                    continue
                if p.kind == "tenure" or p.entity_kind == "tenure":
                    for tid in p.ids:
                        rec = self.reg.records.get(tid)
                        person = target(rec.get("person")) if rec else p.details.get("person")
                        if person:
                            agents.append(person)
                            post = target(rec.get("post")) if rec else p.details.get("post")
                            if post:
                                capacities.setdefault(person, post)
                elif p.entity_kind == "person" and (p.entity or p.proposed):
                    agents.append(p.entity or p.proposed or "")
            agents = list(dict.fromkeys(agents))
            places = [p for p in self.mentions(("mention",)) if sb <= p.start < se
                      and p.entity_kind == "place"
                      and re.search(r"\b(?:in|to) $", self.text[max(0, p.start - 4) : p.start])]
            when = [p for p in self.proposals if p.kind == "date" and sb <= p.start < se]
            if not when and s > 0 and self._same_paragraph(self.sents[s - 1][0], sb):
                # "In June, the government … This statement followed a meeting …"
                when = [p for p in self.proposals if p.kind == "date"
                        and self.sents[s - 1][0] <= p.start < sb]
            if len(agents) < 2:
                continue
            roles = ["participant"] * len(agents)
            if cue.group().lower() == "received":
                roles = ["host"] + ["visitor"] * (len(agents) - 1)
            # "…, who was visiting Cuba": that one is the visitor, the other the host
            visit = re.search(r", who (?:was|is) visiting ", sentence)
            if visit and len(agents) == 2:
                guest = next((p for p in reversed(self.mentions()) if p.end <= sb + visit.start()
                              and sb <= p.start and p.entity_kind in ("person", "tenure")),
                             None)
                guest_ids = [guest.entity] + [target(self.reg.records[t].get("person"))
                                              for t in guest.ids if t in self.reg.records
                                              and self.reg.records[t].kind == "tenure"] \
                    if guest else []
                if any(g in agents for g in guest_ids):
                    roles = ["visitor" if a in guest_ids else "host" for a in agents]
                visited = [p for p in self.mentions(("mention",)) if p.entity_kind == "place"
                           and p.start == sb + visit.end()]
                places = visited or places
            first = when[0].details.get("first") if when else None
            last = when[0].details.get("last") if when else None
            # a day, or the month where the expression means no more ("In June")
            date = first if first == last else (
                first[:7] if first and last and first[:7] == last[:7] else None)
            where = (places[0].entity or places[0].proposed) if places else None
            mid = "-".join(a.split("-")[0] for a in agents[:2])
            self.proposals.append(self._new(
                "meeting", sb, se, 0.5, f"a meeting cue: {cue.group()!r}",
                proposed=slugify(f"{mid} {where or ''} {date or ''}"), entity_kind="meeting",
                details={"participants": [{"agent": a, "role": r, "capacity": capacities.get(a)}
                                          for a, r in zip(agents, roles, strict=True)],
                         "location": where, "date": date,
                         "date_expression": when[0].quote if when else None,
                         "name": "Meeting of " + " and ".join(
                             self.reg.name_of(a) for a in agents[:3])
                         + (f" in {self.reg.name_of(where)}" if where else "")}))

    def run(self) -> list[Proposal]:
        self.names()
        self.references()
        self.offices()
        self.titled_references()
        self.gatherings()
        self.coreference()
        self.new_entities()
        self.date_expressions()
        self.quotations()
        self.meetings()
        self._drop_qualifiers()
        out, seen = [], set()
        for p in sorted(self.proposals, key=lambda p: (p.start, -p.end, p.kind, p.ids)):
            key = (p.kind, p.start, p.end, tuple(p.ids))
            if key not in seen:
                seen.add(key)
                out.append(p)
        return out

    _ACTS = re.compile(
        r"(?:['\u2019]s (?:intent|intention|readiness|willingness|desire|wish|position|"
        r"stance|decision|commitment|offer|proposal|call)\b|"
        r" (?:is seeking|seeks|aims|wants|intends|continues|expressed|stated|said|"
        r"announced|agreed|pledged|offered|called|insists|will)\b)")

    def _acting_government(self, entity: str, end: int) -> str | None:
        """"Cuba's intent", "Cuba aims", "Havana continues to seek": a country or
        its capital that wills or acts is its government (the curators' rule)."""
        if not self._ACTS.match(self.text, end):
            return None
        record = self.reg.records.get(entity)
        country = self.reg.country_of(entity) if record is not None else None
        if record is not None and record.get("type") == "city":
            # a capital stands for its country's government; another city does not
            # (the register does not say which city is a capital: a short table does)
            capitals = {c for n in self.reg.place_names.get(country or "", [])
                        for c in _CAPITALS.get(fold(n), ())}
            if fold(self.reg.name_of(entity)) not in capitals:
                return None
        return self.reg.government_of(country) if country else None

    def _place_is_mention(self, start: int, end: int) -> bool:
        """Whether a country's name here names the country.

        Not in "Cuba-China Relations" or "China-CELAC" (a compound adjective), and
        not inside quotation marks, where the words are the speaker's figure of
        speech ("between China and Cuba") rather than the article's reference.
        """
        text = self.text
        if text[end : end + 1] in "-\u2010\u2011" and text[end + 1 : end + 2].isalpha():
            return False
        if start > 1 and text[start - 1] in "-\u2010\u2011" and text[start - 2].isalpha():
            return False
        return not self.in_quote(start)

    def _drop_qualifiers(self) -> None:
        """A country in "China's Minister of …" says whose office: no mention of its own."""
        posts = {p.start for p in self.proposals if p.entity_kind == "post"}
        keep = []
        for p in self.proposals:
            if (p.kind == "mention" and p.entity_kind == "place"
                    and re.match(r"['\u2019]s ", self.text[p.end : p.end + 3])
                    and p.end + 3 in posts):
                continue
            keep.append(p)
        self.proposals = keep


def _absolute(expr: str) -> tuple[dt.date, dt.date] | None:
    """'May 12, 2025' and 'on May 12, 2025' name their day without the publication date."""
    m = re.search(r"([A-Z][a-z]+) ([0-9]{1,2}), ([0-9]{4})$", expr)
    if not m or m.group(1).lower() not in dates.MONTHS:
        return None
    try:
        day = dt.date(int(m.group(3)), dates.MONTHS.index(m.group(1).lower()) + 1,
                      int(m.group(2)))
    except ValueError:
        return None
    return day, day


# --------------------------------------------------------------------------- reading


@dataclass
class Article:
    folder: Path
    text: str
    meta: dict[str, Any]  # converted fields (dates as dates)
    raw_meta: dict[str, str]  # as written, to write back unchanged
    annotations_exist: bool
    only_meta: bool


def read_article(folder: Path) -> Article:
    text_path = folder / ARTICLE_TEXT
    if not text_path.is_file():
        raise DraftError(f"{folder}: no {ARTICLE_TEXT} to draft from")
    try:
        text = read_text(text_path, f"{folder.name}/{ARTICLE_TEXT}")
    except AnnotationError as exc:
        raise DraftError(str(exc.problems[0])) from None
    if unicodedata.normalize("NFC", text) != text:
        raise DraftError(f"{folder.name}/{ARTICLE_TEXT}: the text must be in Unicode NFC")
    ann = folder / ARTICLE_ANNOTATIONS
    raw: dict[str, Any] = {}
    exists = ann.is_file()
    only_meta = True
    if exists:
        try:
            data = read_yaml(ann, f"{folder.name}/{ARTICLE_ANNOTATIONS}")
        except AnnotationError as exc:
            raise DraftError(str(exc.problems[0])) from None
        if data is not None and not isinstance(data, dict):
            raise DraftError(f"{folder.name}/{ARTICLE_ANNOTATIONS}: expected an 'article:' "
                             "block")
        data = data or {}
        only_meta = set(data) <= {"article"}
        raw = data.get("article") or {}
        if not isinstance(raw, dict):
            raise DraftError(f"{folder.name}/{ARTICLE_ANNOTATIONS}: 'article' is a mapping "
                             "of fields")
    meta: dict[str, Any] = {}
    for name, (_required, rule) in ARTICLE_META.items():
        if name in raw:
            try:
                meta[name] = check_fields({name: raw[name]}, {name: (True, rule)})[name]
            except ValueError:
                pass  # the draft writes it back as it is; validate will say what is wrong
    return Article(folder, text, meta, {k: v for k, v in raw.items() if isinstance(v, str)},
                   exists, only_meta)


PLACEHOLDER = "draft-placeholder"


def _first_organization(seeds: Path) -> str | None:
    try:
        register = read_yaml(seeds / ENTITIES_FILE, f"seeds/{ENTITIES_FILE}")
    except AnnotationError:
        return None
    orgs = register.get("organizations") if isinstance(register, dict) else None
    return next(iter(orgs), None) if isinstance(orgs, dict) else None


def load_register(seeds: Path, skip: Path | None) -> tuple[Corpus, list[str]]:
    """The corpus without the article being drafted, read by the build's loader.

    The loader reads whole projects, so it is handed a copy of ``seeds/`` without
    that article, plus one empty article of its own (the loader wants at least
    one, and a publication day after everything, so no date check depends on
    it). Articles whose annotations do not load (another draft still under
    review, say) are left out, each with a note; the register itself must load.
    """
    from newsgraph.pipeline.annotations import load_corpus

    if not (seeds / ENTITIES_FILE).is_file():
        raise DraftError(f"no register: {seeds.name}/{ENTITIES_FILE} is missing")
    publisher = _first_organization(seeds)
    if publisher is None:
        raise DraftError(f"the register {seeds.name}/{ENTITIES_FILE} does not load or holds "
                         "no organisation; run `newsgraph validate`")
    notes: list[str] = []
    left_out: set[str] = set()
    skip_name = skip.resolve() if skip else None
    folders = sorted(p for p in seeds.iterdir() if p.is_dir()
                     and not p.name.startswith((".", "_")) and p.resolve() != skip_name)
    with tempfile.TemporaryDirectory(prefix="newsgraph-draft-") as tmp:
        for attempt in range(len(folders) + 1):
            view = Path(tmp) / f"v{attempt}" / "seeds"
            view.mkdir(parents=True)
            shutil.copy2(seeds / ENTITIES_FILE, view / ENTITIES_FILE)
            for folder in folders:
                if folder.name not in left_out:
                    shutil.copytree(folder, view / folder.name)
            empty = view / PLACEHOLDER
            empty.mkdir(exist_ok=True)
            (empty / ARTICLE_TEXT).write_text("placeholder", encoding="utf-8")
            (empty / ARTICLE_ANNOTATIONS).write_text(
                f"article:\n  url: https://example.org/\n  published: 9999-12-31\n"
                f"  publisher: {publisher}\n  language: en\n", encoding="utf-8")
            try:
                corpus = load_corpus(view)
            except AnnotationError as exc:
                parts = [p.file.split("/") for p in exc.problems]
                bad = {x[1] for x in parts if len(x) >= 3 and x[0] == seeds.name} - {PLACEHOLDER}
                if not bad or any(x[-1] == ENTITIES_FILE for x in parts):
                    more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
                    raise DraftError(f"the register does not load: {exc.problems[0]}{more}; "
                                     "run `newsgraph validate`") from None
                for name in sorted(bad - left_out):
                    notes.append(f"note: {seeds.name}/{name} left out of the register: its "
                                 "annotations do not load (run `newsgraph validate`)")
                left_out |= bad
                continue
            corpus.articles = [a for a in corpus.articles if a.slug != PLACEHOLDER]
            return corpus, notes
    raise DraftError("the register does not load; run `newsgraph validate`")


def draft(folder: Path, seeds: Path) -> tuple[Article, list[Proposal], Register, list[str]]:
    """Every proposal for the article in ``folder``, against the register in ``seeds``."""
    article = read_article(folder)
    corpus, notes = load_register(seeds, folder)
    register = Register(corpus)
    proposals = Drafter(article.text, article.meta, register).run()
    if "published" not in article.meta:
        notes.append("note: the article: block gives no 'published' date, so no date "
                     "expression is resolved")
    return article, proposals, register, notes


# --------------------------------------------------------------------------- writing

MENTION_KINDS = ("mention", "tenure")


def _evidence_lines(p: Proposal) -> list[str]:
    """A record's ``evidence:`` list with the one quote it was proposed from."""
    lines = ["    evidence:", f"      - quote: {_q(p.quote)}"]
    if p.occurrence > 1:
        lines.append(f"        occurrence: {p.occurrence}")
    return lines


def _q(value: str) -> str:
    """A YAML scalar that reads back as exactly this string (JSON is YAML)."""
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", value) or re.fullmatch(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?",
                                                                   value):
        return value
    return json.dumps(value, ensure_ascii=False)


def as_json(proposals: list[Proposal]) -> str:
    return json.dumps([p.record() for p in proposals], ensure_ascii=False, indent=2) + "\n"


def as_yaml(article: Article, proposals: list[Proposal], register: Register) -> str:
    lines = [
        "# Drafted by `newsgraph draft` from article.txt. Every record marked",
        "# `review: proposed` is a guess: `newsgraph validate` refuses the file until",
        "# each mark is gone. Check each against the text, then delete its `review:`",
        "# line to accept it, or delete the record. The format: docs/annotations.md.",
        "",
        "article:",
    ]
    missing = [k for k, (req, _) in ARTICLE_META.items() if req and k not in article.raw_meta]
    if missing:
        lines.append(f"  {REVIEW_KEY}: proposed  # fill in: {', '.join(missing)}")
    for key, value in article.raw_meta.items():
        lines.append(f"  {key}: {_q(value)}")
    for key in missing:
        lines.append(f'  {key}: ""')
    meetings = [p for p in proposals if p.kind == "meeting"]
    if meetings:
        lines += ["", "meetings:"]
        used: set[str] = set()
        for p in meetings:
            d = p.details
            rid = _unique(p.proposed or "meeting", used)
            lines += [f"  {rid}:", f"    {REVIEW_KEY}: proposed  # {p.why}, "
                      f"confidence {p.confidence}", f"    name: {_q(d['name'])}"]
            lines.append(f"    location: {d['location']}" if d["location"] else
                         '    location: ""  # the sentence names no place: give it with a source')
            lines.append(f"    date: {d['date']}" if d["date"] else
                         '    date: ""  # the sentence gives no date: give it with a source')
            if d.get("date_expression"):
                lines.append(f"    date-expression: {_q(d['date_expression'])}")
            lines.append("    participants:")
            for part in d["participants"]:
                lines += [f"      - agent: {part['agent']}", f"        role: {part['role']}"]
                if part.get("capacity"):
                    lines.append(f"        capacity: {part['capacity']}")
            lines += _evidence_lines(p)
    quotes = [p for p in proposals if p.kind == "quotation"]
    if quotes:
        lines += ["", "statements:"]
        used = set()
        for p in quotes:
            d = p.details
            speaker = d["speaker"] or target(article.meta.get("publisher")) or ""
            rid = _unique(slugify(f"{(speaker or 'someone').split('-')[0]} "
                                  f"{' '.join(d['text'].split()[:4])}"), used)
            lines += [f"  {rid}:", f"    {REVIEW_KEY}: proposed  # {p.why}, "
                      f"confidence {p.confidence}", "    kind: direct-quote",
                      f"    text: {_q(d['text'])}"]
            lines.append(f"    by: {speaker}" if speaker else '    by: ""  # who said it?')
            if d.get("reported_by"):
                lines.append(f"    quoted-from: {d['reported_by']}")
            lines += _evidence_lines(p)
    date_notes = [p for p in proposals if p.kind == "date"]
    if date_notes:
        lines += ["", "# Date expressions (for meetings' date and date-expression):"]
        for p in date_notes:
            d = p.details
            meaning = (d["first"] if d.get("first") == d.get("last") else
                       f"{d['first']} to {d['last']}") if d.get("first") else "not resolved"
            lines.append(f"#   {p.quote!r} (occurrence {p.occurrence}): {meaning}")
    by_id: dict[str, list[Proposal]] = {}
    for p in proposals:
        if p.kind in MENTION_KINDS:
            for i in p.ids:
                by_id.setdefault(i, []).append(p)
    if by_id:
        lines += ["", "mentions:"]
        for entity_id in sorted(by_id, key=lambda i: min(p.start for p in by_id[i])):
            known = entity_id in register.records
            lines.append(f"  {entity_id}:" + ("" if known else
                                              "  # not known yet: see new-entities, or "
                                              "use the id of the thing meant"))
            for p in by_id[entity_id]:
                occ = f", occurrence: {p.occurrence}" if len(
                    find_all(article.text, p.quote)) > 1 else ""
                lines.append(f"    - {{quote: {_q(p.quote)}{occ}, {REVIEW_KEY}: proposed}}"
                             f"  # {p.why}, confidence {p.confidence}")
    new = _new_entities(proposals, register)
    if new:
        lines += ["", "# Proposed for the register: move each into seeds/entities.yaml",
                  "# once checked (the loader refuses this section until then).",
                  f"{NEW_ENTITIES}:"]
        for section, records in new.items():
            lines.append(f"  {section}:")
            for rid, fields in records.items():
                todo = _TO_FILL.get(section, "")
                lines += [f"    {rid}:", f"      {REVIEW_KEY}: proposed"
                          + (f"  # fill in: {todo}" if todo else "")]
                lines += [f"      {k}: {_q(v)}" for k, v in fields.items() if v]
    return "\n".join(lines) + "\n"


_TO_FILL = {
    "people": "wikidata, if a source confirms the item",
    "organizations": "type (government, news-media or organization), location, parent",
    "places": "type (city or country), in",
    "posts": "organization",
    "tenures": "start with its source, if known",
    "works": "type, publisher, published, url",
}
# the register's section of each kind a draft may propose (those _TO_FILL knows)
_SECTIONS = {k.name: k.section for k in iris.KIND_TABLE if k.section in _TO_FILL}


def _new_entities(proposals: list[Proposal], register: Register) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for p in proposals:
        if p.kind not in MENTION_KINDS or not p.proposed or p.proposed in register.records:
            continue
        section = _SECTIONS.get(p.entity_kind or "")
        if not section:
            continue
        fields: dict[str, str] = {}
        if p.entity_kind in ("person", "organization", "place"):
            fields["name"] = p.quote
        elif p.entity_kind == "post":
            fields["label"] = p.quote
            fields["organization"] = ""
        elif p.entity_kind == "tenure":
            fields = {"person": p.details.get("person") or "", "post": p.details.get("post") or ""}
        elif p.entity_kind == "work":
            fields = {"type": "news-article", "name": p.quote}
        out.setdefault(section, {}).setdefault(p.proposed, fields)
    return out


def _unique(rid: str, used: set[str]) -> str:
    rid = rid.strip("-") or "x"
    if rid in iris.RESERVED_SLUGS:
        rid = f"{rid}-1"
    base, n = rid, 2
    while rid in used:
        rid, n = f"{base}-{n}", n + 1
    used.add(rid)
    return rid
