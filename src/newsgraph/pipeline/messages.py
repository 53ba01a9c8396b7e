"""Values as the loader's messages echo them: short, and always on one line.

A curator needs to recognise a wrong value, not to read all of it; and a value
can be as long as its file (a pasted article, a mistyped block). Every message
that echoes something a curator wrote goes through :func:`shorten`, and every
problem line through :func:`one_line`, so that one problem is one line of a
readable length whatever the input.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# How much of a value a message shows: ids, dates and field values, which are
# short when right, and quotes of the article, which are a sentence or two.
VALUE_LIMIT = 80
QUOTE_LIMIT = 200
# The most one problem line may hold, after its values are cut: a last guard
# for text that was not cut where it was written (a YAML parser's message).
LINE_LIMIT = 600


def _repr_upto(value: Any, budget: int) -> str:
    """``repr(value)``, or at least its first ``budget`` characters, without
    building the whole of a large value's repr."""
    if isinstance(value, str):
        return repr(value[:budget])
    if isinstance(value, (list, tuple, dict)):
        opening, closing = ("{", "}") if isinstance(value, dict) else \
            ("(", ")") if isinstance(value, tuple) else ("[", "]")
        items = value.items() if isinstance(value, dict) else value
        parts: list[str] = []
        used = 1
        for item in items:
            if used >= budget:
                parts.append("…")
                break
            if isinstance(value, dict):
                key = _repr_upto(item[0], budget - used)
                part = f"{key}: {_repr_upto(item[1], budget - used - len(key) - 2)}"
            else:
                part = _repr_upto(item, budget - used)
            parts.append(part)
            used += len(part) + 2
        return opening + ", ".join(parts) + closing
    return repr(value)[:budget]


def shorten(value: Any, limit: int = VALUE_LIMIT) -> str:
    """``repr(value)`` when it is short, else its beginning and how long it was.

    ``'xxxxxxxxxx…' (1000000 characters)``: the repr keeps it on one line (line
    breaks, control characters and lone surrogates are escaped)."""
    text = _repr_upto(value, limit + 1)
    if len(text) <= limit:
        return text
    cut = text[:limit] + "…"
    if isinstance(value, str):
        return f"{cut} ({len(value)} characters)"
    if isinstance(value, (list, tuple, dict)):
        return f"{cut} ({len(value)} items)"
    return cut


# Characters that end a line for str.splitlines(), or that a terminal would act
# on: written as escapes where text that was not repr'd reaches a message.
def _escape(ch: str) -> str:
    if ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" or \
            unicodedata.category(ch) in ("Cc", "Cs"):
        return ascii(ch)[1:-1]
    return ch


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """``text`` on one line and at most about ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters)"
    if text.isprintable():
        return text
    return "".join(_escape(ch) for ch in text)
