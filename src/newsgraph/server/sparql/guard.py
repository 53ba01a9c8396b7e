"""Check a SPARQL query before it runs: what it is, and whether we run it.

A lexer for the SPARQL 1.1 terminals (strings, IRIs, prefixed names,
comments) finds the query form, its dataset clauses (``FROM``), its ``SERVICE``
calls and how deeply it nests, without parsing with rdflib (not thread-safe)
and without evaluating anything. It refuses, with a message for the person
who wrote the query:

- updates (``INSERT``, ``LOAD``, ``DROP``, ...): the endpoint is read-only;
- ``SERVICE`` unless the endpoint is on the allow-list;
- ``FROM`` / ``FROM NAMED`` naming a graph the dataset does not hold;
- nesting deeper than the limit;
- chains of operators and clauses longer than the limit (``!!!…true``,
  ``1+1+…``, ``{} UNION {} UNION …``, thousands of ``BIND``): the engine builds
  one tree node per link and walks the tree recursively, and a chain of a few
  thousand overflows its stack (a killed query process), while brackets alone
  never show it.

Two habits of the engine (pyoxigraph 0.5, seen by test) shape the checks: it
matches keywords without a word boundary (``SERVICEex:s`` is ``SERVICE ex:s``),
and it decodes ``\\uXXXX`` escapes inside IRIs. Anything the lexer cannot
classify is refused rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin


class QueryRefused(Exception):
    """The query is not run; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)

# Character classes of the SPARQL 1.1 grammar (section 19.8).
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
    "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
    "\U00010000-\U000effff"
)
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<ws>[ \t\r\n]+)",
            r"(?P<comment>#[^\r\n]*)",
            rf"(?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)",
            r"(?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
            r'|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
            r"|'(?:[^'\\\r\n]|\\.)*'"
            r'|"(?:[^"\\\r\n]|\\.)*")',
            rf"(?P<var>[?$][{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
            rf"(?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
            rf"(?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)",
            r"(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
            r"(?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.[eE][+-]?[0-9]+)",
            r"(?P<word>[A-Za-z][A-Za-z0-9_]*)",
            r"(?P<punct>\^\^|&&|\|\||!=|<=|>=|<<\(|\)>>|<<|>>|\{\||\|\}|[{}()\[\].,;*+\-/|^!=<>?~])",
        ]
    )
)
_UNESCAPE_UCHAR = re.compile(_UCHAR)
_LOCAL_ESCAPE = re.compile(r"\\(.)")

_OPEN = {"{", "(", "[", "<<", "<<(", "{|"}
_CLOSE = {"}", ")", "]", ">>", ")>>", "|}"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass
class QueryInfo:
    """What the guard learnt about an accepted query."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    from_graphs: list[str] = field(default_factory=list)
    from_named_graphs: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    max_depth: int = 0
    max_chain: int = 0

    @property
    def has_dataset_clause(self) -> bool:
        return bool(self.from_graphs or self.from_named_graphs)


def _where(query: str, pos: int) -> str:
    line = query.count("\n", 0, pos) + 1
    col = pos - (query.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def tokenize(query: str) -> list[Token]:
    """The significant tokens of ``query`` (no whitespace or comments).

    Raises ``QueryRefused`` at the first character that starts no SPARQL token.
    """
    tokens: list[Token] = []
    pos, end = 0, len(query)
    while pos < end:
        match = _TOKEN.match(query, pos)
        if match is None or match.end() == pos:
            char = query[pos]
            raise QueryRefused(
                f"Syntax error at {_where(query, pos)}: unexpected character "
                f"U+{ord(char):04X}"
            )
        kind = match.lastgroup or ""
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


def _decode_iri(token_text: str) -> str:
    inner = token_text[1:-1]
    return _UNESCAPE_UCHAR.sub(lambda m: chr(int(m.group()[2:], 16)), inner)


class _Resolver:
    """PREFIX and BASE declarations of the prologue, applied as the engine does."""

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.prefixes: dict[str, str] = {}

    def iri(self, token: Token) -> str | None:
        """The absolute IRI a token names, or None if it cannot be known."""
        if token.kind == "iri":
            value = _decode_iri(token.text)
            if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", value):
                return value
            return urljoin(self.base, value) if self.base else None
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix not in self.prefixes:
                return None
            return self.prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
        return None


def _split_glued(token: Token, keyword: str) -> list[Token] | None:
    """If ``token`` starts with ``keyword`` (any case), the keyword and the rest.

    The engine reads ``SERVICEex:s`` as ``SERVICE ex:s``; so do we.
    """
    if token.kind not in ("word", "pname"):
        return None
    if not token.text.upper().startswith(keyword):
        return None
    rest = token.text[len(keyword) :]
    parts = [Token("word", keyword, token.pos)]
    if rest:
        try:
            parts.extend(
                Token(t.kind, t.text, token.pos + len(keyword) + t.pos) for t in tokenize(rest)
            )
        except QueryRefused:
            return None
    return parts


def _check_nesting(query: str, tokens: list[Token], max_nesting: int) -> int:
    depth = deepest = 0
    for token in tokens:
        if token.kind != "punct":
            continue
        if token.text in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > max_nesting:
                    raise QueryRefused(
                        f"The query nests deeper than {max_nesting} levels "
                        f"(at {_where(query, token.pos)}); simplify it."
                    )
        elif token.text in _CLOSE:
            depth -= 1
    return deepest


# Tokens that add one level to the engine's expression or algebra tree: every
# operator, and the clauses that wrap everything before them in the group
# (pyoxigraph 0.5 overflowed its 8 MiB stack at ~3,000 BINDs, ~7,000 UNIONs,
# OPTIONALs or ``+``, ~10,000 ``!``).
_CHAIN_PUNCT = frozenset({"!", "+", "-", "*", "/", "|", "^", "||", "&&", "=", "!=", "<", ">",
                          "<=", ">="})
_CHAIN_WORDS = ("UNION", "OPTIONAL", "MINUS", "FILTER", "BIND")


def _links(token: Token) -> tuple[int, int]:
    """(operators, clauses) the token adds to the chain it is in."""
    if token.kind == "punct":
        return (1, 0) if token.text in _CHAIN_PUNCT else (0, 0)
    if token.kind in ("word", "pname"):
        # the engine reads keywords glued to what follows (``trueUNION{}``)
        upper = token.text.upper()
        return 0, sum(upper.count(word) for word in _CHAIN_WORDS)
    return 0, 0


def _check_chains(query: str, tokens: list[Token], max_chain: int) -> int:
    """The longest chain of operators and clauses from the top of the query down
    to any token: the links at each enclosing bracket level, summed (what is
    inside brackets that have closed no longer counts). Refuses beyond ``max_chain``.

    Operators chain within one expression or path: ``,`` ``;`` ``.`` end it
    (arguments, property lists and triples are siblings, not one inside the
    other). Clauses chain through their whole group. Inside a ``VALUES`` data
    block a sign belongs to a number (``-1``): not counted.
    """
    ops = [0]  # operators of the expression under way, at each open bracket level
    clauses = [0]  # clauses so far in the group, at each level
    data = [False]  # whether that level is a VALUES data block
    total = longest = 0
    values_next = False
    for token in tokens:
        if token.kind == "punct":
            if token.text in _OPEN:
                data.append(data[-1] or (values_next and token.text == "{"))
                if token.text == "{":
                    values_next = False
                ops.append(0)
                clauses.append(0)
                continue
            if token.text in _CLOSE:
                if len(ops) > 1:
                    total -= ops.pop() + clauses.pop()
                    data.pop()
                continue
            if token.text in (",", ";", "."):
                total -= ops[-1]
                ops[-1] = 0
                continue
        if token.kind == "word" and token.text.upper() == "VALUES":
            values_next = True
        if data[-1]:
            continue
        operators, words = _links(token)
        if not (operators or words):
            continue
        ops[-1] += operators
        clauses[-1] += words
        total += operators + words
        if total > longest:
            longest = total
            if longest > max_chain:
                raise QueryRefused(
                    f"The query chains more than {max_chain} operators and clauses "
                    f"(UNION, OPTIONAL, MINUS, FILTER, BIND) inside one another (at "
                    f"{_where(query, token.pos)}), the most this endpoint evaluates; "
                    "use IN (...) or VALUES for long lists of alternatives, or split the query."
                )
    return longest


def _prologue(tokens: list[Token], resolver: _Resolver) -> int:
    """Read BASE/PREFIX declarations; return the index of the first other token."""
    i = 0
    while i < len(tokens):
        word = tokens[i].text.upper() if tokens[i].kind == "word" else ""
        if word == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            resolver.base = resolver.iri(tokens[i + 1]) or resolver.base
            i += 2
        elif (
            word == "PREFIX"
            and i + 2 < len(tokens)
            and tokens[i + 1].kind == "pname"
            and tokens[i + 1].text.endswith(":")
            and tokens[i + 2].kind == "iri"
        ):
            target = resolver.iri(tokens[i + 2])
            if target is not None:
                resolver.prefixes[tokens[i + 1].text[:-1]] = target
            i += 3
        else:
            return i
    return i


def _query_form(query: str, tokens: list[Token], start: int) -> str:
    if start >= len(tokens):
        raise QueryRefused("The query is empty: expected SELECT, ASK, CONSTRUCT or DESCRIBE.")
    first = tokens[start]
    for form in FORMS:
        if first.kind == "word" and first.text.upper() == form:
            return form
    for form in FORMS:  # the engine also accepts a keyword glued to what follows
        if first.kind in ("word", "pname") and first.text.upper().startswith(form):
            return form
    word = first.text.upper()
    if any(word.startswith(u) for u in UPDATE_WORDS) or word in ("USING",):
        raise QueryRefused(
            "This endpoint is read-only: SPARQL Update operations (INSERT, DELETE, LOAD, "
            "CLEAR, DROP, CREATE, ADD, MOVE, COPY) are not accepted."
        )
    raise QueryRefused(
        f"Syntax error at {_where(query, first.pos)}: expected SELECT, ASK, CONSTRUCT or "
        f"DESCRIBE, found {first.text[:40]!r}"
    )


def _service_calls(
    query: str, tokens: list[Token], resolver: _Resolver
) -> Iterable[tuple[int, str | None]]:
    """(position, endpoint IRI or None when unknowable) of every SERVICE clause.

    The engine matches keywords without a word boundary, so ``SERVICE`` is
    looked for inside every name, prefixed name and language tag, not only as
    a whole word (``?s ?p trueSERVICE <x> {}`` is a triple and a SERVICE call).
    """
    for i, token in enumerate(tokens):
        if token.kind not in ("word", "pname", "lang"):
            continue
        upper = token.text.upper()
        k = upper.find("SERVICE")
        while k >= 0:
            rest = token.text[k + len("SERVICE") :]
            try:
                following = tokenize(rest) + tokens[i + 1 : i + 4]
            except QueryRefused:
                following = []
            if following:
                silent = _split_glued(following[0], "SILENT")
                if silent is not None:
                    following = silent[1:] + following[1:]
            shaped = (
                len(following) >= 2
                and following[0].kind in ("iri", "pname", "var")
                and following[1].kind == "punct"
                and following[1].text == "{"
            )
            if shaped:
                target = following[0]
                yield token.pos + k, None if target.kind == "var" else resolver.iri(target)
            elif upper == "SERVICE":
                # A bare SERVICE keyword without an endpoint and a group: the
                # engine would reject it; refuse rather than guess.
                yield token.pos, None
            k = upper.find("SERVICE", k + 1)


def _dataset_clauses(
    query: str, tokens: list[Token], start: int, resolver: _Resolver
) -> tuple[list[str], list[str]]:
    """IRIs named by FROM and FROM NAMED (which only occur outside any braces)."""
    default: list[str] = []
    named: list[str] = []
    depth = 0
    i = start
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "punct" and token.text in _OPEN:
            depth += 1
        elif token.kind == "punct" and token.text in _CLOSE:
            depth -= 1
        elif depth == 0:
            parts = _split_glued(token, "FROM")
            if parts is not None:
                rest = parts[1:] + tokens[i + 1 : i + 3]
                target_list = default
                if rest:
                    named_parts = _split_glued(rest[0], "NAMED")
                    if named_parts is not None:
                        target_list = named
                        rest = named_parts[1:] + rest[1:]
                if not rest or rest[0].kind not in ("iri", "pname"):
                    raise QueryRefused(
                        f"Syntax error at {_where(query, token.pos)}: FROM must name a graph IRI"
                    )
                iri = resolver.iri(rest[0])
                if iri is None:
                    raise QueryRefused(
                        f"FROM at {_where(query, token.pos)} names {rest[0].text!r}, which "
                        "is not an absolute IRI (undeclared prefix or relative IRI)"
                    )
                target_list.append(iri)
        i += 1
    return default, named


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: what ``query`` asks for (a remote
    store is asked for the matching media type); ``QueryRefused`` if none."""
    tokens = tokenize(query)
    return _query_form(query, tokens, _prologue(tokens, _Resolver(None)))


def graphs_named(query: str, base: str | None = None) -> tuple[list[str], bool]:
    """The graphs ``query`` names by IRI after ``GRAPH``, and whether a ``GRAPH``
    takes a variable (a remote dialect may need to know: see Virtuoso's).
    A graph whose IRI cannot be resolved is left out."""
    tokens = tokenize(query)
    resolver = _Resolver(base)
    start = _prologue(tokens, resolver)
    named: list[str] = []
    variable = False
    for i in range(start, len(tokens) - 1):
        if tokens[i].kind == "word" and tokens[i].text.upper() == "GRAPH":
            following = tokens[i + 1]
            if following.kind == "var":
                variable = True
            else:
                iri = resolver.iri(following)
                if iri is not None and iri not in named:
                    named.append(iri)
    return named, variable


def inspect_query(
    query: str,
    *,
    graphs: Collection[str],
    service_allow_list: Collection[str] = (),
    max_nesting: int = 64,
    max_chain: int = 500,
    base: str | None = None,
) -> QueryInfo:
    """Classify ``query`` and refuse it if it may not run here.

    ``graphs`` are the named graphs the dataset holds; ``base`` is the base IRI
    the engine resolves relative IRIs against.
    """
    tokens = tokenize(query)
    depth = _check_nesting(query, tokens, max_nesting)
    chain = _check_chains(query, tokens, max_chain)
    resolver = _Resolver(base)
    start = _prologue(tokens, resolver)
    form = _query_form(query, tokens, start)

    allowed = set(service_allow_list)
    services: list[str] = []
    for pos, endpoint in _service_calls(query, tokens, resolver):
        if endpoint is None:
            raise QueryRefused(
                f"SERVICE at {_where(query, pos)} is refused: federated queries may only name "
                "an endpoint on this server's allow-list by its full IRI"
                + (" (none is allowed here)." if not allowed else ".")
            )
        if endpoint not in allowed:
            raise QueryRefused(
                f"SERVICE <{endpoint}> at {_where(query, pos)} is refused: this endpoint makes "
                "no outbound requests"
                + (
                    " (no SERVICE endpoint is allowed here)."
                    if not allowed
                    else "; allowed: " + ", ".join(sorted(allowed)) + "."
                )
            )
        services.append(endpoint)

    from_graphs, from_named = _dataset_clauses(query, tokens, start, resolver)
    known = set(graphs)
    for iri in from_graphs + from_named:
        if iri not in known:
            raise QueryRefused(
                f"FROM <{iri}> is refused: it is not a graph of this dataset, and this "
                "endpoint never fetches data from elsewhere. The graphs are listed in the "
                "service description (GET /sparql with Accept: text/turtle)."
            )
    return QueryInfo(
        form=form,
        from_graphs=from_graphs,
        from_named_graphs=from_named,
        services=services,
        max_depth=depth,
        max_chain=chain,
    )


def classify_update(text: str) -> str:
    """Message for a request that carries an update (always refused here)."""
    return (
        "This endpoint is read-only: SPARQL Update is not accepted "
        f"({len(text)} characters received, nothing was changed)."
    )
