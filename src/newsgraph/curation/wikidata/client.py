"""A small, polite client for Wikidata's search API and entity data.

Polite as Wikimedia asks: a descriptive User-Agent naming the project, one
request at a time with a minimum interval between them, and on 429 (or 503) the
wait that ``Retry-After`` names, within a bound. Every failure becomes a
``WikidataError`` whose message a curator can act on; the network is reached
through a ``Transport`` so tests and ``--replay`` answer from recorded files.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from newsgraph import __version__, iris

USER_AGENT = (
    f"newsgraph/{__version__} (https://w3id.org/newsgraph/; entity linking run by a curator) "
    "python-urllib"
)
MAX_BODY_BYTES = 64 * 1024 * 1024  # the largest items (countries) are a few MB


class WikidataError(Exception):
    """Wikidata answered, but not with what we can use."""


class WikidataUnavailable(WikidataError):
    """Wikidata could not be reached (offline, DNS, timeout, refused)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    url: str = ""


# A transport fetches one URL with the given headers and timeout.
Transport = Callable[[str, dict[str, str], float], HttpResponse]


def urllib_transport(url: str, headers: dict[str, str], timeout: float) -> HttpResponse:
    """The real network, through urllib (redirects followed, as a browser would)."""
    req = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            body = resp.read(MAX_BODY_BYTES + 1)
            return HttpResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()},
                                body, resp.geturl())
    except urllib.error.HTTPError as exc:
        body = exc.read(MAX_BODY_BYTES + 1) if exc.fp else b""
        return HttpResponse(exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()},
                            body, url)
    except urllib.error.URLError as exc:
        raise WikidataUnavailable(f"cannot reach {_host(url)}: {exc.reason}") from None
    except TimeoutError:
        raise WikidataUnavailable(f"{_host(url)} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise WikidataUnavailable(f"cannot reach {_host(url)}: {exc}") from None


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


@dataclass
class Item:
    """The parts of a Wikidata item we score and check by."""

    requested: str
    id: str
    label: str
    description: str
    aliases: list[str]
    claims: dict[str, list[str]]  # property -> item values (QIDs), best rank first
    position_starts: dict[str, list[str]] = field(default_factory=dict)  # P39 value -> P580 dates

    @property
    def redirected(self) -> bool:
        return self.id != self.requested

    @property
    def names(self) -> list[str]:
        return [n for n in [self.label, *self.aliases] if n]


def _text(values: dict[str, Any], languages: tuple[str, ...]) -> str:
    for lang in languages:
        entry = values.get(lang)
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            return entry["value"]
    return ""


def parse_item(requested: str, data: Any,
               languages: tuple[str, ...] = ("en", "mul")) -> Item | None:
    """An ``Item`` from a Special:EntityData JSON answer; None if it says "missing"."""
    entities = data.get("entities") if isinstance(data, dict) else None
    if not isinstance(entities, dict) or not entities:
        raise WikidataError(f"entity data for {requested} holds no entity")
    # A redirected item answers under the id it now redirects to.
    key = requested if requested in entities else next(iter(entities))
    raw = entities[key]
    if not isinstance(raw, dict):
        raise WikidataError(f"entity data for {requested} is not an object")
    if "missing" in raw:
        return None
    ident = raw.get("id", key)
    aliases = []
    for lang in languages:
        for alias in raw.get("aliases", {}).get(lang, []) or []:
            if isinstance(alias, dict) and isinstance(alias.get("value"), str):
                aliases.append(alias["value"])
    claims: dict[str, list[str]] = {}
    starts: dict[str, list[str]] = {}
    for pid, statements in (raw.get("claims") or {}).items():
        ranked = sorted(statements or [], key=lambda s: {"preferred": 0, "normal": 1}.get(
            s.get("rank"), 2))
        for statement in ranked:
            if statement.get("rank") == "deprecated":
                continue
            value = ((statement.get("mainsnak") or {}).get("datavalue") or {}).get("value")
            if not isinstance(value, dict) or not isinstance(value.get("id"), str):
                continue
            claims.setdefault(pid, []).append(value["id"])
            if pid == "P39":
                for q in (statement.get("qualifiers") or {}).get("P580", []):
                    t = ((q.get("datavalue") or {}).get("value") or {}).get("time")
                    if isinstance(t, str):
                        starts.setdefault(value["id"], []).append(t.lstrip("+")[:10])
    return Item(requested, ident, _text(raw.get("labels") or {}, languages),
                _text(raw.get("descriptions") or {}, languages), aliases, claims, starts)


class WikidataClient:
    """Search and entity data, one request at a time, retrying 429/503 as told."""

    def __init__(self, base_url: str = "https://www.wikidata.org", *,
                 transport: Transport | None = None, timeout: float = 15.0,
                 min_interval: float = 1.0, max_retries: int = 3, max_wait: float = 120.0,
                 user_agent: str = USER_AGENT,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise WikidataError(f"Wikidata URL must be http(s), got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.transport = transport or urllib_transport
        self.timeout = timeout
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.user_agent = user_agent
        self.sleep = sleep
        self.clock = clock
        self._last: float | None = None
        self.requests = 0

    def _pace(self) -> None:
        if self._last is not None and self.min_interval > 0:
            wait = self._last + self.min_interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def get_json(self, url: str, *, allow_404: bool = False) -> Any:
        """GET a JSON document; None for a 404 when ``allow_404``."""
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        for attempt in range(self.max_retries + 1):
            self._pace()
            self.requests += 1
            resp = self.transport(url, headers, self.timeout)
            if resp.status in (429, 503):
                wait = retry_after_seconds(resp.headers.get("retry-after"))
                if wait is None:
                    wait = 5.0 * 2**attempt
                if attempt == self.max_retries:
                    raise WikidataError(f"{_host(url)} is still refusing ({resp.status}, too many "
                                        f"requests) after {self.max_retries} retries; try later")
                if wait > self.max_wait:
                    raise WikidataError(f"{_host(url)} asks to wait {wait:.0f} s (Retry-After); "
                                        "try again later")
                self.sleep(wait)
                continue
            if resp.status == 404 and allow_404:
                return None
            if resp.status != 200:
                raise WikidataError(f"{_host(url)} answered HTTP {resp.status} for {url}")
            if len(resp.body) > MAX_BODY_BYTES:
                raise WikidataError(f"answer from {_host(url)} is larger than "
                                    f"{MAX_BODY_BYTES // 2**20} MB")
            try:
                return json.loads(resp.body)
            except ValueError:
                raise WikidataError(f"{_host(url)} answered with something that is not JSON "
                                    f"for {url}") from None
        raise AssertionError("unreachable")

    def search(self, text: str, *, language: str = "en", limit: int = 7) -> list[dict[str, Any]]:
        """Candidates from ``wbsearchentities``: dicts with id, label, description."""
        params = {"action": "wbsearchentities", "search": text, "language": language,
                  "uselang": language, "type": "item", "limit": str(limit), "format": "json"}
        data = self.get_json(f"{self.base_url}/w/api.php?{urllib.parse.urlencode(params)}")
        if not isinstance(data, dict):
            raise WikidataError("search answered with something other than a JSON object")
        if "error" in data:
            info = data["error"].get("info", data["error"]) if isinstance(
                data["error"], dict) else data["error"]
            raise WikidataError(f"search failed: {info}")
        hits = data.get("search") or []
        return [h for h in hits if isinstance(h, dict) and iris.is_qid(h.get("id", ""))]

    def item(self, qid: str) -> Item | None:
        """The item (following a redirect), or None when it is deleted or never existed."""
        if not iris.is_qid(qid):
            raise WikidataError(f"malformed Wikidata id {qid!r}")
        data = self.get_json(f"{self.base_url}/wiki/Special:EntityData/{qid}.json",
                             allow_404=True)
        if data is None:
            return None
        return parse_item(qid, data)
