"""Read and check the curated annotation files.

``seeds/entities.yaml`` is the register of things shared between articles;
``seeds/<slug>/annotations.yaml`` holds what one article says, next to its text
in ``seeds/<slug>/article.txt``. The format is documented in
``docs/annotations.md``.

Everything a curator can get wrong is reported here, all at once, each problem
as one line naming the file, the line, the record and the rule broken. The
reader is strict on purpose: YAML silently keeps the last of two equal keys, so
duplicates are refused; every value is read as a string (no YAML 1.1 surprises
such as ``no`` becoming false) and converted by the field's own rule.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from newsgraph import iris
from newsgraph.pipeline.dates import DateExpressionError, check_expression, read
from newsgraph.pipeline.grounding import (
    GroundingError,
    Span,
    find_all,
    find_span,
    normalise,
    suggest,
)
from newsgraph.pipeline.messages import QUOTE_LIMIT, one_line, shorten

ENTITIES_FILE = "entities.yaml"
ARTICLE_TEXT = "article.txt"
ARTICLE_ANNOTATIONS = "annotations.yaml"


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the annotations."""

    file: str
    line: int | None
    record: str
    rule: str
    message: str

    def __post_init__(self) -> None:
        # Records are named after keys and messages echo values, both as long as
        # the curator made them: a problem stays one line of a readable length.
        object.__setattr__(self, "file", one_line(self.file, 200))
        object.__setattr__(self, "record", one_line(self.record, 160))
        object.__setattr__(self, "message", one_line(self.message))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.record}: {self.message} [rule: {self.rule}]"


class AnnotationError(Exception):
    """Raised with every problem found, so a curator can fix them in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.record, p.rule))
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- strict YAML


class _Map(dict):
    line: int = 0


class _Seq(list):
    line: int = 0


# Annotation files nest six levels at most (meetings > id > participants > item >
# field > value); deeper is a mistake, and unbounded depth would exhaust Python's
# stack while the nodes are composed.
MAX_DEPTH = 20


class _Refused(yaml.MarkedYAMLError):
    """YAML that parses but is refused in annotation files, under its own rule."""

    def __init__(self, rule: str, problem: str, mark: yaml.Mark):
        super().__init__(problem=problem, problem_mark=mark)
        self.rule = rule


class _StrictLoader(yaml.BaseLoader):
    """Every scalar a string; duplicate keys are an error; nodes remember their line.

    Refused while the nodes are composed, before any Python object is built:
    nesting deeper than MAX_DEPTH, anchors and aliases (an alias bomb expands
    eleven lines into gigabytes; annotations never need to repeat a value by
    reference), and tags (``!!python/…``, ``!!int``: every value is text here).
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("yaml-alias", f"alias *{shorten(event.anchor)[1:-1]}: annotation "
                           "files use no anchors or aliases; write the value out",
                           event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _Refused("yaml-alias", f"anchor &{shorten(event.anchor)[1:-1]}: annotation "
                           "files use no anchors or aliases; write the value out",
                           event.start_mark)
        if getattr(event, "tag", None) is not None:
            raise _Refused("yaml-tag", f"tag {shorten(event.tag)}: annotation files use no "
                           "tags (every value is read as text); remove it, or quote the "
                           "value", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise _Refused("yaml-depth", f"nested more than {MAX_DEPTH} levels deep: "
                           "annotations nest a few levels; check the indentation and "
                           "brackets", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> _Map:
    out = _Map()
    out.line = node.start_mark.line + 1
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                f"duplicate key {shorten(key)} (first at line {seen[key]})",
                key_node.start_mark,
                "keys must be unique: YAML would silently keep only the last",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _construct_sequence(loader: _StrictLoader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    return out


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_text(path: Path, label: str) -> str:
    """UTF-8 without BOM, else an AnnotationError naming the byte and line."""
    return _decode(path.read_bytes(), label)


def _decode(raw: bytes, label: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raise AnnotationError(
            [Problem(label, 1, "file", "utf-8", "starts with a byte order mark (BOM); "
                     "save the file as UTF-8 without BOM")]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AnnotationError(
            [Problem(label, line, "file", "utf-8",
                     f"invalid UTF-8 at byte {exc.start} ({raw[exc.start:exc.start + 1]!r}); "
                     "save the file as UTF-8")]
        ) from None


def _code_point(character: int | str | bytes) -> int:
    """PyYAML's reader gives the offending character as a code point, or as a str
    or bytes of one character, depending on the input."""
    return character if isinstance(character, int) else ord(character[:1] or "\0")


class ParsedCache(Protocol):
    """Keeps what a file's bytes parsed to (see newsgraph.pipeline.cache.ParsedYaml)."""

    def parsed(self, label: str, raw: bytes, parse: Callable[[], Any]) -> Any: ...


def read_yaml(path: Path, label: str, cache: ParsedCache | None = None) -> Any:
    """The file's YAML; with a ``cache``, the same bytes are parsed only once."""
    if cache is None:
        return _parse_yaml(read_text(path, label), label)
    raw = path.read_bytes()
    return cache.parsed(label, raw, lambda: _parse_yaml(_decode(raw, label), label))


def _parse_yaml(text: str, label: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - our loader only builds str/dict/list
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        rule = getattr(exc, "rule", "yaml")
        raise AnnotationError([Problem(label, line, "file", rule, what)]) from None
    except yaml.reader.ReaderError as exc:
        # a character YAML does not allow (a control character): its line, not
        # the reader's offset into the whole file
        line = text.count("\n", 0, exc.position) + 1
        raise AnnotationError([Problem(
            label, line, "file", "yaml",
            f"character U+{_code_point(exc.character):04X} is not allowed in YAML "
            f"({exc.reason}): delete it")]) from None
    except yaml.YAMLError as exc:
        raise AnnotationError([Problem(label, None, "file", "yaml", str(exc))]) from None


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Evidence:
    quote: str
    occurrence: int | None
    line: int | None


@dataclass
class Record:
    """One curated thing: its id (slug), kind, fields and where it was written."""

    id: str
    kind: str
    fields: dict[str, Any]
    file: str
    line: int | None
    section: str
    # set when a field could not be read: the id still resolves, nothing else is checked
    broken: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


@dataclass
class ArticleAnnotations:
    slug: str
    text: str
    file: str
    meta: dict[str, Any]
    records: dict[str, Record]  # meetings and statements defined by this article
    mentions: dict[str, list[Evidence]]
    corrections: list[dict[str, Any]]
    spans: dict[Evidence, Span] = field(default_factory=dict)
    # meeting id -> the words of its date-expression, as evidence (a key of spans)
    date_evidence: dict[str, Evidence] = field(default_factory=dict)


@dataclass
class Corpus:
    entities: dict[str, Record]  # every id: register entries plus article records
    articles: list[ArticleAnnotations]


# --------------------------------------------------------------------------- field rules

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
# Characters that cannot stand in an IRI written as Turtle or N-Triples.
IRI_FORBIDDEN = re.compile(r"[\x00-\x20<>\"{}|\\^`]")


class FieldError(ValueError):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


def text_value(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError("type", "expected text")
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        raise FieldError("required", "is empty")
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n" for ch in value):
        raise FieldError("text", "contains control characters")
    return value


def name_value(value: Any) -> str:
    value = text_value(value)
    if "\n" in value:
        raise FieldError("text", "a name is one line")
    return value


def date_value(value: Any) -> dt.date:
    if not isinstance(value, str) or not DATE.fullmatch(value):
        raise FieldError("date", f"expected a date as YYYY-MM-DD, got {shorten(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        # year 0 and 10000 on are outside datetime's calendar, as are 31 June and 29 Feb 2025
        raise FieldError("date", f"no such day: {value!r}") from None


@dataclass(frozen=True, order=True)
class PartialDate:
    """A day, or only a month where the sources say no more."""

    year: int
    month: int
    day: int | None

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, self.day or 1)

    @property
    def last(self) -> dt.date:
        if self.day:
            return self.first
        # not "the first of next month minus a day", which overflows in 9999-12
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def precision(self) -> str:
        return "day" if self.day else "month"

    def __str__(self) -> str:
        return self.first.isoformat() if self.day else f"{self.year:04d}-{self.month:02d}"


def partial_date_value(value: Any) -> PartialDate:
    if isinstance(value, str) and MONTH.fullmatch(value):
        year, month = (int(x) for x in value.split("-"))
        if not 1 <= month <= 12:
            raise FieldError("date", f"no such month: {value!r}")
        if year < 1:
            # datetime's calendar starts in year 1: 0000-06 has no first or last day
            raise FieldError("date", f"no such month: {value!r} (the calendar starts in "
                             "year 0001)")
        return PartialDate(year, month, None)
    day = date_value(value)
    return PartialDate(day.year, day.month, day.day)


def qid_value(value: Any) -> str:
    if not iris.is_qid(value):
        raise FieldError(
            "wikidata-id",
            f"malformed Wikidata id {shorten(value)}: write Q followed by digits without a leading "
            "zero (e.g. Q956), and only confirmed items",
        )
    return value


def url_value(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^/\s]+(/.*)?", value):
        raise FieldError("url", f"expected an absolute http(s) URL, got {shorten(value)}")
    if IRI_FORBIDDEN.search(value) or not value.isascii():
        raise FieldError("url", "URL holds spaces, quotes, brackets or non-ASCII: "
                         "percent-encode them")
    return value


def slug_value(value: Any) -> str:
    if not isinstance(value, str) or not iris.is_slug(value):
        raise FieldError("id", f"expected an id (lower-case letters, digits, hyphens), "
                         f"got {shorten(value)}")
    return value


def ref(*kinds: str) -> Callable[[Any], tuple[str, tuple[str, ...]]]:
    """A reference to another record, checked once everything is read."""

    def convert(value: Any) -> tuple[str, tuple[str, ...]]:
        return slug_value(value), kinds

    return convert


def list_of(rule: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    def convert(value: Any) -> list[Any]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise FieldError("type", "expected a list")
        out = [rule(v) for v in value]
        if not out:
            raise FieldError("required", "is an empty list")
        return out

    return convert


def one_of(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            hint = (difflib.get_close_matches(value, choices, n=1)
                    if isinstance(value, str) and len(value) < 100 else [])
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise FieldError("choice", f"{shorten(value)} is not one of {', '.join(choices)}"
                             f"{extra}")
        return value

    return convert


def occurrence_value(value: Any) -> int:
    # six digits at most: no text repeats a quote a million times, and int() of
    # thousands of digits is refused by Python itself
    if not isinstance(value, str) or not re.fullmatch(r"[1-9][0-9]{0,5}", value):
        raise FieldError("occurrence", "occurrence must be a whole number from 1 to 999999, "
                         f"got {shorten(value)}")
    return int(value)


def evidence_value(value: Any) -> Evidence:
    if isinstance(value, str):
        if not value.strip():
            raise FieldError("evidence", "empty quote: evidence must quote the text")
        return Evidence(unicodedata.normalize("NFC", value), None, None)
    if isinstance(value, dict):
        unknown = set(value) - {"quote", "occurrence"}
        if unknown:
            raise FieldError("known-fields", f"evidence has unknown field(s) {sorted(unknown)}")
        if "quote" not in value:
            raise FieldError("required", "evidence needs a 'quote'")
        quote = value["quote"]
        if not isinstance(quote, str) or not quote.strip():
            raise FieldError("evidence", "empty quote: evidence must quote the text")
        occ = occurrence_value(value["occurrence"]) if "occurrence" in value else None
        return Evidence(unicodedata.normalize("NFC", quote), occ, getattr(value, "line", None))
    raise FieldError("evidence", "evidence is a quote, or {quote: …, occurrence: N}")


def participant_value(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError("type", "a participant is {agent: …, role: …, capacity: …}")
    return check_fields(value, PARTICIPANT)


def correction_value(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError("type", "a correction is {text: …, source: …, evidence: […]}")
    return check_fields(value, CORRECTION)


AGENT = ("person", "organization")
PARTICIPANT = {
    "agent": (True, ref(*AGENT)),
    "role": (True, one_of("host", "visitor", "participant")),
    # the posts they acted in: one, or a list when they met in several
    "capacity": (False, list_of(ref("post"))),
}
CORRECTION = {
    "text": (True, text_value),
    "source": (True, ref("work")),
    "evidence": (True, list_of(evidence_value)),
}

# kind -> {field: (required, rule)}: the fields of each kind the register holds
REGISTER_FIELDS: dict[str, dict[str, tuple[bool, Callable[[Any], Any]]]] = {
    "person": {
        "name": (True, name_value),
        "wikidata": (False, qid_value),
    },
    "organization": {
        "name": (True, name_value),
        "type": (False, one_of("government", "news-media", "organization")),
        "location": (False, ref("place")),
        "parent": (False, ref("organization")),
        "wikidata": (False, qid_value),
    },
    "place": {
        "name": (True, name_value),
        "type": (True, one_of("city", "country")),
        "in": (False, ref("place")),
        "wikidata": (False, qid_value),
    },
    "post": {
        "label": (True, name_value),
        "organization": (True, ref("organization")),
        "wikidata": (False, qid_value),
    },
    "tenure": {
        "person": (True, ref("person")),
        "post": (True, ref("post")),
        "start": (False, date_value),
        "end": (False, date_value),
        "source": (False, list_of(ref("work"))),
        "note": (False, text_value),
    },
    "concept": {
        "label": (True, name_value),
        "definition": (False, text_value),
    },
    "event": {
        "name": (True, name_value),
        "location": (False, ref("place")),
        "date": (False, partial_date_value),
        "source": (False, list_of(ref("work"))),
    },
    "work": {
        "type": (True, one_of("news-article", "social-media-posting", "web-page", "creative-work")),
        "name": (True, name_value),
        "publisher": (False, ref("organization")),
        "author": (False, ref(*AGENT)),
        "published": (False, partial_date_value),
        "url": (False, url_value),
        "language": (False, one_of("en", "es", "zh", "pt", "ru", "fr")),
        "identifier": (False, name_value),
    },
}


def _section(kind: str) -> str:
    section = iris.KIND_BY_NAME[kind].section
    if section is None:
        raise ValueError(f"kind {kind!r} has register fields but no section in iris.KIND_TABLE")
    return section


# section of entities.yaml -> (kind, fields); the section's name is the kind's
# row of the registry of kinds (newsgraph.iris.KIND_TABLE)
REGISTER: dict[str, tuple[str, dict[str, tuple[bool, Callable[[Any], Any]]]]] = {
    _section(kind): (kind, spec) for kind, spec in REGISTER_FIELDS.items()
}


ARTICLE_META = {
    "url": (True, url_value),
    "published": (True, date_value),
    "published-source": (False, ref("work")),
    "publisher": (True, ref("organization")),
    "language": (True, one_of("en", "es", "zh", "pt", "ru", "fr")),
    "based-on": (False, ref("work")),
    "headline": (False, name_value),
}

ARTICLE_SECTIONS: dict[str, tuple[str, dict[str, tuple[bool, Callable[[Any], Any]]]]] = {
    "meetings": ("meeting", {
        "name": (True, name_value),
        "location": (True, ref("place")),
        "date": (True, partial_date_value),
        "date-expression": (False, name_value),
        "between": (False, list_of(date_value)),
        "participants": (True, list_of(participant_value)),
        "organizer": (False, ref("organization")),
        "part-of": (False, ref("event")),
        "source": (False, list_of(ref("work"))),
        "evidence": (True, list_of(evidence_value)),
    }),
    "statements": ("statement", {
        "kind": (True, one_of("direct-quote", "indirect-quote", "editorial-claim")),
        "text": (True, text_value),
        "by": (True, ref(*AGENT)),
        "made-at": (False, ref("meeting")),
        "about": (False, list_of(ref(*iris.KINDS))),
        "quoted-from": (False, ref("work")),
        "evidence": (True, list_of(evidence_value)),
    }),
}


Spec = dict[str, tuple[bool, Callable[[Any], Any]]]


def _close_match(word: str, choices: list[str]) -> str | None:
    """The choice ``word`` is probably a misspelling of. A long word is no
    misspelt field name, and comparing it with each choice would take its time."""
    if len(word) > 100:
        return None
    found = difflib.get_close_matches(word, choices, n=1)
    return found[0] if found else None


def convert_fields(raw: dict[str, Any], spec: Spec) -> tuple[dict[str, Any], list[FieldError]]:
    """Convert a mapping by its spec: the fields that could be read, and every problem."""
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in raw:
        if name not in spec:
            hint = _close_match(name, list(spec))
            extra = f" (did you mean {hint!r}?)" if hint else ""
            errors.append(FieldError("known-fields", f"unknown field {shorten(name)}{extra}"))
    misspelt = {hint for name in raw if name not in spec
                for hint in [_close_match(name, list(spec))] if hint}
    for name, (required, rule) in spec.items():
        if name not in raw:
            if required and name not in misspelt:  # already said: "did you mean"
                errors.append(FieldError("required", f"missing field {name!r}"))
            continue
        try:
            out[name] = rule(raw[name])
        except FieldError as exc:
            errors.append(FieldError(exc.rule, f"field {name!r}: {exc}"))
    return out, errors


def check_fields(raw: dict[str, Any], spec: Spec) -> dict[str, Any]:
    """Convert a mapping by its spec; raises the first problem (for nested values)."""
    out, errors = convert_fields(raw, spec)
    if errors:
        raise errors[0]
    return out


# --------------------------------------------------------------------------- loading


def _records(data: Any, sections: dict, label: str, problems: list[Problem],
             top_level_extra: set[str]) -> list[Record]:
    if data is None:
        return []
    if not isinstance(data, dict):
        problems.append(Problem(label, 1, "file", "structure", "expected sections of records"))
        return []
    for section in data:
        if section not in sections and section not in top_level_extra:
            hint = _close_match(section, [*sections, *top_level_extra])
            extra = f" (did you mean {hint!r}?)" if hint else ""
            # a key of no name (`? ` alone) still names a record in the message
            where = section if isinstance(section, str) and section.strip() else "(top level)"
            problems.append(Problem(label, getattr(data, "line", None), where, "known-sections",
                                    f"unknown section {shorten(section)}{extra}"))
    out: list[Record] = []
    for section, (kind, spec) in sections.items():
        block = data.get(section)
        if block is None:
            continue
        if not isinstance(block, dict):
            problems.append(Problem(label, getattr(data, "line", None), section, "structure",
                                    "a section maps ids to records"))
            continue
        for rid, raw in block.items():
            line = getattr(raw, "line", None) or getattr(block, "line", None)
            record = f"{section}.{rid}"
            if not iris.is_slug(rid) or rid in iris.RESERVED_SLUGS:
                problems.append(Problem(label, line, record, "id",
                                        f"id {shorten(rid)} must be lower-case letters, digits and "
                                        "single hyphens"))
                continue
            if raw is None or raw == "":
                raw = _Map()
            if not isinstance(raw, dict):
                problems.append(Problem(label, line, record, "structure",
                                        "a record is a mapping of fields"))
                continue
            fields_, errors = convert_fields(raw, spec)
            for exc in errors:
                problems.append(Problem(label, line, record, exc.rule, str(exc)))
            out.append(Record(rid, kind, fields_, label, line, section, broken=bool(errors)))
    return out


def _ref_problem(records: dict[str, Record], target: str,
                 kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """(rule, message) when ``target`` is no id, or the id of the wrong kind."""
    found = records.get(target)
    if found is None:
        hint = _close_match(target, list(records))
        extra = f" (did you mean {hint!r}?)" if hint else ""
        return "reference", f"unknown id {shorten(target)}{extra}"
    if found.kind not in kinds:
        return "reference-kind", (f"{shorten(target)} is a {found.kind}, expected "
                                  f"{' or '.join(kinds)}")
    return None


def _check_fields_refs(file: str, line: int | None, record: str, fields_: dict[str, Any],
                       records: dict[str, Record], problems: list[Problem]) -> None:
    """Every reference among converted fields (nested ones too) points to the right kind."""

    def check(where: str, value: Any) -> None:
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], tuple):
            found = _ref_problem(records, *value)
            if found:
                problems.append(Problem(file, line, record, found[0], f"{where}: {found[1]}"))
        elif isinstance(value, list):
            for item in value:
                check(where, item)
        elif isinstance(value, dict):
            for k, v in value.items():
                check(f"{where}.{k}", v)

    for name, value in fields_.items():
        check(name, value)


def _check_refs(records: dict[str, Record], problems: list[Problem]) -> None:
    for r in records.values():
        _check_fields_refs(r.file, r.line, f"{r.section}.{r.id}", r.fields, records, problems)


def target(value: tuple[str, tuple[str, ...]] | None) -> str | None:
    """The id a checked reference points to."""
    return value[0] if value else None


def targets(values: list[tuple[str, tuple[str, ...]]] | None) -> list[str]:
    return [v[0] for v in values or []]


def _ground(article: ArticleAnnotations, evidence: Evidence, record: str, line: int | None,
            problems: list[Problem]) -> None:
    if evidence in article.spans:
        return
    try:
        article.spans[evidence] = find_span(article.text, evidence.quote, evidence.occurrence)
    except GroundingError as exc:
        problems.append(Problem(article.file, evidence.line or line, record, "evidence", str(exc)))


def _ground_date_expression(article: ArticleAnnotations, record: Record, rname: str,
                            problems: list[Problem]) -> None:
    """The words of ``date-expression`` are the article's: find them, preferring the
    occurrence inside the meeting's evidence, and keep them as evidence."""
    expr: str = record.fields["date-expression"]
    try:
        starts = find_all(article.text, expr)
    except GroundingError as exc:
        problems.append(Problem(article.file, record.line, rname, "date-expression", str(exc)))
        return
    if not starts:
        hint = suggest(article.text, expr)
        extra = f" (did you mean {shorten(hint, QUOTE_LIMIT)}?)" if hint else ""
        problems.append(Problem(article.file, record.line, rname, "date-expression",
                                f"date-expression {shorten(expr)} is not in the article text: copy "
                                f"the article's own words{extra}"))
        return
    length = len(normalise(expr))
    spans = [article.spans[ev] for ev in record.fields["evidence"] if ev in article.spans]
    inside = [i for i, at in enumerate(starts)
              if any(s.begin <= at and at + length <= s.end for s in spans)]
    if inside:
        chosen = inside[0]
    elif len(starts) == 1:
        chosen = 0
    else:
        problems.append(Problem(article.file, record.line, rname, "date-expression",
                                f"date-expression {shorten(expr)} occurs {len(starts)} times "
                                "and none is inside the meeting's evidence: quote the words "
                                "that date it in 'evidence'"))
        return
    ev = Evidence(expr, chosen + 1, None)
    begin = starts[chosen]
    article.spans[ev] = Span(begin, begin + length, article.text[begin:begin + length])
    article.date_evidence[record.id] = ev


def _check_date_expression(article: ArticleAnnotations, record: Record, rname: str,
                           published: dt.date, problems: list[Problem]) -> None:
    """The date fits the article's words; words the build cannot read need a source."""
    _ground_date_expression(article, record, rname, problems)
    expr: str = record.fields["date-expression"]
    try:
        reading = read(expr, published)
    except DateExpressionError as exc:
        problems.append(Problem(article.file, record.line, rname, "date-expression", str(exc)))
        return
    if reading is None:
        if not record.get("source"):
            problems.append(Problem(
                article.file, record.line, rname, "date-expression",
                f"{shorten(expr)} is not a date expression the build understands (the forms are "
                "listed under 'Dates in words' in the annotation guide): give the works the "
                "date comes from in 'source', or reword it as a listed form"))
        return
    between = record.get("between")
    bounds = (between[0], between[1]) if between and len(between) == 2 else None
    message = check_expression(expr, published, record.fields["date"], bounds)
    if message:
        problems.append(Problem(article.file, record.line, rname, "date-expression", message))


def _check_article(article: ArticleAnnotations, records: dict[str, Record],
                   problems: list[Problem]) -> None:
    published: dt.date = article.meta["published"]
    for record in article.records.values():
        if record.broken:
            continue
        rname = f"{record.section}.{record.id}"
        for ev in record.get("evidence", []):
            _ground(article, ev, rname, record.line, problems)
        if record.kind == "meeting":
            date: PartialDate = record.fields["date"]
            if date.first > published:
                problems.append(Problem(article.file, record.line, rname, "date-after-publication",
                                        f"date {date} is after the article's publication "
                                        f"{published.isoformat()}"))
            between = record.get("between")
            if between is not None:
                if len(between) != 2 or between[0] > between[1]:
                    problems.append(Problem(article.file, record.line, rname, "between",
                                            "'between' is [first day, last day] in order"))
                elif between[1] > published:
                    problems.append(Problem(article.file, record.line, rname,
                                            "date-after-publication",
                                            f"'between' ends after the publication {published}"))
            agents = [target(p["agent"]) for p in record.fields["participants"]]
            if len(set(agents)) != len(agents):
                problems.append(Problem(article.file, record.line, rname, "participants",
                                        "a participant is listed twice"))
            if len(set(agents)) < 2:
                problems.append(Problem(article.file, record.line, rname, "participants",
                                        "a meeting needs at least two distinct participants"))
            expr = record.get("date-expression")
            if expr:
                _check_date_expression(article, record, rname, published, problems)
        if record.kind == "statement":
            kind = record.fields["kind"]
            if kind == "direct-quote":
                text = record.fields["text"]
                anchors = [article.spans[ev].anchor for ev in record.fields["evidence"]
                           if ev in article.spans]
                if anchors and not any(normalise(text) in normalise(a) for a in anchors):
                    problems.append(Problem(article.file, record.line, rname, "direct-quote",
                                            "a direct quote's text must occur verbatim in its "
                                            "evidence"))
            made_at = target(record.get("made-at"))
            if made_at and made_at in targets(record.get("about")):
                problems.append(Problem(article.file, record.line, rname, "made-at",
                                        "a statement made at a meeting is not also 'about' it"))
    for entity_id, evidence in article.mentions.items():
        found = _ref_problem(records, entity_id, iris.KINDS)
        if found:
            problems.append(Problem(article.file, getattr(evidence, "line", None),
                                    f"mentions.{entity_id}", *found))
            continue
        for ev in evidence:
            _ground(article, ev, f"mentions.{entity_id}", getattr(evidence, "line", None),
                    problems)
    for i, corr in enumerate(article.corrections, 1):
        for ev in corr["evidence"]:
            _ground(article, ev, f"corrections[{i}]", None, problems)


# --------------------------------------------------------------------------- review marks

REVIEW_KEY = "review"
# where `newsgraph draft` puts its guesses at new register entries: they belong in
# seeds/entities.yaml, so the section is refused here whether marked or not
NEW_ENTITIES = "new-entities"
_UNREVIEWED = ("proposed by `newsgraph draft`, not yet reviewed: accept it by deleting "
               "the `review:` line, or delete the record")


def take_out_unreviewed(data: dict[str, Any], label: str) -> list[Problem]:
    """One problem per record still marked ``review:`` (a draft's proposal), and the
    marked records taken out of ``data`` so that nothing unreviewed is checked or
    published; the curator sees one line per mark, not the guesses' own faults."""
    problems: list[Problem] = []

    def refuse(line: int | None, record: str, message: str = _UNREVIEWED) -> None:
        problems.append(Problem(label, line, record, "reviewed", message))

    meta = data.get("article")
    if isinstance(meta, dict) and REVIEW_KEY in meta:
        refuse(getattr(meta, "line", None), "article",
               "proposed by `newsgraph draft`, not yet reviewed: fill in the fields, "
               "then delete the `review:` line")
        del meta[REVIEW_KEY]
    for section in ARTICLE_SECTIONS:
        block = data.get(section)
        if not isinstance(block, dict):
            continue
        for rid in [r for r, raw in block.items() if isinstance(raw, dict) and REVIEW_KEY in raw]:
            refuse(getattr(block[rid], "line", None), f"{section}.{rid}")
            del block[rid]
    mentions = data.get("mentions")
    if isinstance(mentions, dict):
        for entity_id in list(mentions):
            quotes = mentions[entity_id]
            if not isinstance(quotes, list):
                continue
            kept = _Seq(q for q in quotes if not (isinstance(q, dict) and REVIEW_KEY in q))
            for q in quotes:
                if isinstance(q, dict) and REVIEW_KEY in q:
                    refuse(getattr(q, "line", None), f"mentions.{entity_id}",
                           f"{shorten(q.get('quote'), QUOTE_LIMIT)}: "
                           f"{_UNREVIEWED.replace('record', 'quote')}")
            if len(kept) != len(quotes):
                if kept:
                    kept.line = getattr(quotes, "line", 0)
                    mentions[entity_id] = kept
                else:
                    del mentions[entity_id]
    proposed = data.pop(NEW_ENTITIES, None)
    if isinstance(proposed, dict):
        for section, block in proposed.items():
            for rid, raw in (block.items() if isinstance(block, dict) else []):
                refuse(getattr(raw, "line", None), f"{NEW_ENTITIES}.{section}.{rid}",
                       "proposed by `newsgraph draft` for the register: check it, then move "
                       f"it into {section}: in seeds/{ENTITIES_FILE} (without its `review:` "
                       "line), or delete it")
    elif proposed is not None:
        refuse(getattr(data, "line", None), NEW_ENTITIES,
               f"move the register entries into seeds/{ENTITIES_FILE}, or delete the section")
    return problems


def _load_article(folder: Path, root: Path, problems: list[Problem],
                  cache: ParsedCache | None = None) -> ArticleAnnotations | None:
    slug = folder.name
    rel = folder.relative_to(root).as_posix()
    label = f"{rel}/{ARTICLE_ANNOTATIONS}"
    if not iris.is_slug(slug) or slug in iris.RESERVED_SLUGS:
        problems.append(Problem(rel, None, "folder", "id",
                                f"article folder {shorten(slug)} must be a slug "
                                "(lower-case, hyphens)"))
        return None
    text_path = folder / ARTICLE_TEXT
    ann_path = folder / ARTICLE_ANNOTATIONS
    for path in (text_path, ann_path):
        if not path.is_file():
            problems.append(Problem(f"{rel}/{path.name}", None, "file", "required",
                                    "missing file"))
    if problems and any(p.file.startswith(rel) for p in problems):
        return None
    try:
        text = read_text(text_path, f"{rel}/{ARTICLE_TEXT}")
        if unicodedata.normalize("NFC", text) != text:
            problems.append(Problem(f"{rel}/{ARTICLE_TEXT}", None, "file", "nfc",
                                    "the article text must be in Unicode NFC"))
            return None
        data = read_yaml(ann_path, label, cache)
    except AnnotationError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(data, dict) or "article" not in data:
        problems.append(Problem(label, 1, "article", "required", "missing section 'article'"))
        return None
    problems.extend(take_out_unreviewed(data, label))
    try:
        meta = check_fields(data["article"], ARTICLE_META) if isinstance(
            data["article"], dict) else None
        if meta is None:
            raise FieldError("structure", "'article' is a mapping of fields")
    except FieldError as exc:
        problems.append(Problem(label, getattr(data["article"], "line", None), "article",
                                exc.rule, str(exc)))
        return None
    records = _records(data, ARTICLE_SECTIONS, label, problems,
                       {"article", "mentions", "corrections"})
    mentions: dict[str, list[Evidence]] = {}
    raw_mentions = data.get("mentions") or {}
    if not isinstance(raw_mentions, dict):
        problems.append(Problem(label, None, "mentions", "structure",
                                "'mentions' maps ids to lists of quotes"))
        raw_mentions = {}
    for entity_id, quotes in raw_mentions.items():
        try:
            evs = list_of(evidence_value)(quotes)
        except FieldError as exc:
            problems.append(Problem(label, getattr(quotes, "line", None),
                                    f"mentions.{entity_id}", exc.rule, str(exc)))
            continue
        ev_list = _Seq(evs)
        ev_list.line = getattr(quotes, "line", None) or getattr(raw_mentions, "line", 0)
        mentions[entity_id] = ev_list
    corrections: list[dict[str, Any]] = []
    if "corrections" in data:
        try:
            corrections = list_of(correction_value)(data["corrections"])
        except FieldError as exc:
            problems.append(Problem(label, getattr(data["corrections"], "line", None),
                                    "corrections", exc.rule, str(exc)))
    return ArticleAnnotations(slug, text, label, meta, {r.id: r for r in records}, mentions,
                              corrections)


def load_corpus(seeds: Path, cache: ParsedCache | None = None) -> Corpus:
    """Read ``seeds/`` whole and check it; raises AnnotationError with every problem.
    ``cache``: where YAML already parsed is kept (the build's cache)."""
    problems: list[Problem] = []
    root = seeds.parent
    entities_path = seeds / ENTITIES_FILE
    label = entities_path.relative_to(root).as_posix()
    register: list[Record] = []
    if not entities_path.is_file():
        problems.append(Problem(label, None, "file", "required", "missing entity register"))
    else:
        try:
            register = _records(read_yaml(entities_path, label, cache), REGISTER, label,
                                problems, set())
        except AnnotationError as exc:
            problems.extend(exc.problems)
    if problems and not register:
        # without the register no reference can be resolved: say only what stops reading
        raise AnnotationError(problems)
    articles: list[ArticleAnnotations] = []
    unreadable = False
    for folder in sorted(p for p in seeds.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "_")):
            continue
        article = _load_article(folder, root, problems, cache)
        if article is not None:
            articles.append(article)
        else:
            unreadable = True
    if not articles and not problems:
        problems.append(Problem(seeds.name, None, "seeds", "required",
                                "no article folders (seeds/<slug>/article.txt + annotations.yaml)"))
    records: dict[str, Record] = {}
    for record in [*register, *(r for a in articles for r in a.records.values())]:
        first = records.get(record.id)
        if first is not None:
            problems.append(Problem(record.file, record.line, f"{record.section}.{record.id}",
                                    "unique-id",
                                    f"id {shorten(record.id)} already used at "
                                    f"{first.file}:{first.line}"))
            continue
        records[record.id] = record
    checked: list[Problem] = []
    _check_refs(records, checked)
    for article in articles:
        _check_fields_refs(article.file, None, "article", article.meta, records, checked)
        _check_article(article, records, checked)
    if unreadable:
        # An article that could not be read defines none of its meetings and
        # statements, which other articles may refer to: an unknown id says nothing
        # until it is read, so only what stops the reading is reported.
        checked = [p for p in checked if p.rule != "reference"]
    problems.extend(checked)
    latest = max((a.meta["published"] for a in articles), default=None)
    for record in register:
        if record.broken:
            continue
        if record.kind == "tenure" and not record.get("source"):
            for bound in ("start", "end"):
                if record.get(bound):
                    problems.append(Problem(record.file, record.line, f"tenures.{record.id}",
                                            "source", f"a tenure {bound} needs its 'source'"))
        if (record.kind == "tenure" and record.get("start") and record.get("end")
                and record.fields["end"] < record.fields["start"]):
            problems.append(Problem(record.file, record.line, f"tenures.{record.id}",
                                    "tenure-dates",
                                    f"the tenure ends ({record.fields['end']}) before it starts "
                                    f"({record.fields['start']})"))
        if record.kind == "tenure" and record.get("start"):
            if latest and record.fields["start"] > latest:
                problems.append(Problem(record.file, record.line, f"tenures.{record.id}",
                                        "date-after-publication",
                                        "tenure starts after every article's publication"))
    if problems:
        raise AnnotationError(problems)
    return Corpus(records, articles)
