"""A mutation engine over the real seed files, for the loader's fuzz tests.

A *plan* is a short list of :class:`Op`; :func:`apply` turns the seed files into
mutated copies by it. Plans are drawn by hypothesis (:func:`plans`), so a failure
shrinks to the fewest, smallest operations that still break the loader, and a
plan prints as something a person can replay by hand.

Each operation takes a file and a place in it as plain integers, reduced modulo
the file's length when applied: the engine follows the seeds as they change,
with no offsets written down here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from newsgraph.pipeline.dates import FORMS

# The files of a project's seeds/ that the loader reads, relative to the project.
SEED_NAMES = ("entities.yaml", "annotations.yaml", "article.txt")


def seed_files(seeds: Path) -> dict[str, bytes]:
    """Every file the loader reads, as bytes, by its path relative to the project."""
    out: dict[str, bytes] = {}
    for path in sorted(seeds.rglob("*")):
        if path.is_file() and path.name in SEED_NAMES:
            out[path.relative_to(seeds.parent).as_posix()] = path.read_bytes()
    return out


@dataclass(frozen=True)
class Op:
    """One mutation: ``kind``, which file (an index into the sorted names), where
    (``at``, ``to``: line or byte numbers, reduced modulo the length), and what."""

    kind: str
    file: int
    at: int = 0
    to: int = 0
    payload: str | bytes | int = ""


# --------------------------------------------------------------------------- payloads

# Characters YAML, Unicode or our own checks treat specially.
SPECIAL_TEXT = (
    "\ufeff", "\u2028", "\u2029", "\x00", "\x85", "\x1c", "\u202e", "\U0001f600", "e\u0301",
    "\t", "\r", "\r\n", "\n", '"', "'", ": ", " #", "- ", "{", "}", "[", "]", "&a ", "*a",
    "!", "%", "@", "`", "|", ">", "\\", "? ", ",", "\u00a0", "\u2019", "\ud7ff", "\uffff",
    "---\n", "...\n", "<<: ", "\u0130", "\u212a",
)
# What a value may be replaced with: YAML's own syntax and types.
SPECIAL_VALUES = (
    "", "~", "null", "[]", "{}", '""', "''", "|", ">-", "|\n", "*undefined", "&a", "? x",
    "yes", "no", "0x1F", "1e400", ".inf", "-.nan", "12:30:00", "2025-08-22T10:00:00Z",
    "[a, [b, {c: d}]]", "{a: 1, a: 2}", "{[a]: b}", "{? {a: b} : c}", "!!binary aGk=",
    "'unterminated", '"\\x00 \\ud800 escape"', '"\\U0010ffff"', "- a\n- b", "a: b: c",
    "%YAML 1.1", "--- x", "@reserved", "`reserved", "1_000", "+1", "0o17", "=",
)
TAGS = (
    "!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!!str", "!!int",
    "!!float", "!!bool", "!!null", "!!map", "!!seq", "!!set", "!!omap", "!!pairs",
    "!!binary", "!!timestamp", "!!merge", "!custom", "!", "!<tag:yaml.org,2002:str>",
    "!e!local",
)
DATES = (
    "0001-01-01", "0001-01-07", "0001-03-01", "9999-12-31", "9999-12-25", "0000-06",
    "9999-12", "0000-01-01", "0001-01", "0000-12-31", "2025-02-29", "2024-02-29",
    "2025-00-10", "2025-13", "2025-06-31", "2025-00", "10000-01-01",
    "\u0662\u0660\u0662\u0665-06-01", "2025-6-1", "2025-06-01T00:00", "2025-06-01 ",
    "+2025-06-01", "-0001-01-01", "99999999-01-01",
)
EXPRESSIONS = (
    *(example for example, _ in FORMS),
    "Last Friday", "In June", "In December", "999 days ago", "100 days ago", "February 29",
    "February 30", "in 0000", "in 9999", "in 0001", "May 20, 0000", "December 31, 9999",
    "Thursday, Aug. 22", "the 31st of February", "in late December 9999",
    "in early January 0001", "last December", "this December", "last January",
    "Just days earlier", "Sunday, January 1, 0001", "the 99th of May",
)
# Fields whose values are dates, numbers or date words: where extremes matter.
FIELDS = ("published", "date", "start", "end", "date-expression", "occurrence", "between",
          "language", "wikidata", "url", "type", "role", "kind", "agent", "quote")


def huge(size: int, style: str) -> str:
    """A value of about ``size`` characters in one of a few shapes."""
    if style == "plain":
        return "x" * size
    if style == "quoted":
        return '"' + "\\u00e9" * (size // 6) + '"'
    if style == "words":
        return " ".join(["Wang"] * (size // 5))
    if style == "list":
        return "[" + ", ".join(["a"] * (size // 3)) + "]"
    if style == "map":
        return "{" + ", ".join(f"k{i}: v" for i in range(size // 8)) + "}"
    if style == "digits":
        return "9" * size
    if style == "key":
        return "k" * size + ": v"
    raise ValueError(style)


HUGE_STYLES = ("plain", "quoted", "words", "list", "map", "digits", "key")


def nested(depth: int, style: str, indent: str) -> str:
    """A value nested ``depth`` levels: flow or block, sequences or mappings."""
    if style == "flow-seq":
        return "[" * depth + "x" + "]" * depth
    if style == "flow-map":
        return "{a: " * depth + "x" + "}" * depth
    if style == "flow-mixed":
        return "[{a: " * (depth // 2) + "x" + "}]" * (depth // 2)
    if style == "unclosed":
        return "[" * depth
    # a block level is indented one more step: its size grows as depth squared
    depth = min(depth, 1_000) if style.startswith("block") else depth
    if style == "block-map":
        return "".join(f"\n{indent}{'  ' * (i + 1)}k:" for i in range(depth)) + " x"
    if style == "block-seq":
        return "".join(f"\n{indent}{'  ' * (i + 1)}-" for i in range(depth)) + " x"
    raise ValueError(style)


NEST_STYLES = ("flow-seq", "flow-map", "flow-mixed", "unclosed", "block-map", "block-seq")


def alias_bomb(depth: int, width: int) -> str:
    """The billion laughs in one flow value: each level repeats the one before
    ``width`` times, so the expanded value has width**depth leaves."""
    levels = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, depth):
        levels.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "[" + ", ".join(levels) + f", *a{depth - 1}]"


# --------------------------------------------------------------------------- applying

def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _value_split(line: bytes) -> tuple[bytes, bytes]:
    """(the line up to and with its key or dash, the value): where to put a value."""
    for sep in (b": ", b"- "):
        at = line.find(sep)
        if at != -1:
            return line[: at + len(sep)], line[at + len(sep):]
    if line.rstrip().endswith(b":"):
        return line.rstrip() + b" ", b""
    return line, b""


def _indent_of(line: bytes) -> str:
    return " " * (len(line) - len(line.lstrip(b" ")))


def _field_lines(lines: list[bytes], name: str) -> list[int]:
    key = name.encode() + b":"
    return [i for i, line in enumerate(lines)
            if line.lstrip(b" -").startswith(key)]


def _set_value(lines: list[bytes], i: int, value: str) -> None:
    head, _ = _value_split(lines[i])
    lines[i] = head + value.encode("utf-8", "surrogatepass")


def apply_op(op: Op, files: dict[str, bytes]) -> None:
    """Mutate ``files`` in place by one operation."""
    names = sorted(files)
    name = names[op.file % len(names)]
    data = files[name]
    lines = _lines(data)
    n = len(lines)
    i, j = op.at % n, op.to % n
    payload = op.payload
    kind = op.kind
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "indent":
        assert isinstance(payload, int)
        line = lines[i]
        if payload == 0:
            lines[i] = b"\t" + line.lstrip(b" ")
        elif payload > 0:
            lines[i] = b" " * payload + line
        else:
            lines[i] = line[min(-payload, len(line) - len(line.lstrip(b" "))):]
    elif kind == "swap-lines":
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "swap-values":
        (hi, vi), (hj, vj) = _value_split(lines[i]), _value_split(lines[j])
        lines[i], lines[j] = hi + vj, hj + vi
    elif kind in ("unicode", "bytes"):
        raw = payload if isinstance(payload, bytes) else str(payload).encode("utf-8",
                                                                              "surrogatepass")
        at = op.at % (len(data) + 1)
        files[name] = data[:at] + raw + data[at:]
        return
    elif kind == "truncate":
        files[name] = data[: op.at % (len(data) + 1)]
        return
    elif kind == "value":
        _set_value(lines, i, str(payload))
    elif kind == "tag":
        head, value = _value_split(lines[i])
        lines[i] = head + str(payload).encode() + b" " + value
    elif kind == "huge":
        assert isinstance(payload, str)
        style, size = payload.split(":")
        _set_value(lines, i, huge(int(size), style))
    elif kind == "nest":
        assert isinstance(payload, str)
        style, depth = payload.split(":")
        _set_value(lines, i, nested(int(depth), style, _indent_of(lines[i])))
    elif kind == "alias":
        # an anchor on one value and an alias of it as another
        hi, vi = _value_split(lines[i])
        lines[i] = hi + b"&fz " + vi
        _set_value(lines, j, "*fz")
    elif kind == "bomb":
        assert isinstance(payload, str)
        depth, width = (int(x) for x in payload.split(":"))
        _set_value(lines, i, alias_bomb(depth, width))
    elif kind == "field":
        # the value of one field (by name), wherever it occurs in the file
        assert isinstance(payload, str)
        field, value = payload.split("=", 1)
        where = _field_lines(lines, field)
        if where:
            _set_value(lines, where[op.at % len(where)], value)
    elif kind == "calendar":
        # an article published at an edge of the calendar, its meetings dated by
        # date words and perhaps a day at the other edge
        assert isinstance(payload, str)
        published, expression, date = payload.split("|")
        for k in _field_lines(lines, "published")[:1]:
            _set_value(lines, k, published)
        for k in _field_lines(lines, "date-expression"):
            _set_value(lines, k, expression)
        if date:
            for k in _field_lines(lines, "date"):
                _set_value(lines, k, date)
    else:
        raise ValueError(kind)
    files[name] = b"\n".join(lines)


def apply(plan: list[Op], originals: dict[str, bytes]) -> dict[str, bytes]:
    """The files after every operation of ``plan``; ``originals`` is left as it was."""
    files = dict(originals)
    for op in plan:
        apply_op(op, files)
    return files


# --------------------------------------------------------------------------- strategies

_file = st.integers(0, 63)
_place = st.integers(0, 1 << 20)


def _op(kind: str, payload: st.SearchStrategy) -> st.SearchStrategy[Op]:
    return st.builds(Op, st.just(kind), _file, _place, _place, payload)


def ops() -> st.SearchStrategy[Op]:
    text = st.one_of(st.sampled_from(SPECIAL_TEXT), st.text(max_size=6),
                     st.text(st.characters(codec="utf-8"), min_size=1, max_size=3))
    return st.one_of(
        _op("delete", st.just("")),
        _op("duplicate", st.just("")),
        _op("indent", st.sampled_from([-4, -2, -1, 0, 1, 2, 3, 4])),
        _op("swap-lines", st.just("")),
        _op("swap-values", st.just("")),
        _op("unicode", text),
        _op("bytes", st.binary(min_size=1, max_size=6)),
        _op("truncate", st.just("")),
        _op("value", st.one_of(st.sampled_from(SPECIAL_VALUES), st.sampled_from(DATES),
                               st.sampled_from(EXPRESSIONS), text)),
        _op("tag", st.sampled_from(TAGS)),
        _op("huge", st.builds(lambda s, n: f"{s}:{n}", st.sampled_from(HUGE_STYLES),
                              st.sampled_from([100, 5_000, 50_000, 300_000]))),
        _op("nest", st.builds(lambda s, n: f"{s}:{n}", st.sampled_from(NEST_STYLES),
                              st.sampled_from([2, 30, 64, 65, 300, 1_000, 20_000]))),
        _op("alias", st.just("")),
        _op("bomb", st.builds(lambda d, w: f"{d}:{w}", st.integers(1, 9), st.integers(2, 10))),
        _op("field", st.builds(lambda f, v: f"{f}={v}", st.sampled_from(FIELDS),
                               st.one_of(st.sampled_from(DATES), st.sampled_from(EXPRESSIONS),
                                         st.sampled_from(SPECIAL_VALUES),
                                         st.sampled_from(["9" * 5000, "0", "-1", "1" * 19]),
                                         text))),
        _op("calendar", st.builds(lambda p, e, d: f"{p}|{e}|{d}",
                                  st.sampled_from(DATES[:5] + ("2025-08-23",)),
                                  st.sampled_from(EXPRESSIONS),
                                  st.sampled_from(("",) + DATES[:8]))),
    )


def plans(max_ops: int = 4) -> st.SearchStrategy[list[Op]]:
    return st.lists(ops(), min_size=1, max_size=max_ops)
