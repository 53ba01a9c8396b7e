"""Answer Wikidata requests from recorded responses in a folder (``link --replay DIR``).

Layout, one JSON file per request:
``search/<words-of-the-search>.json`` for ``wbsearchentities`` (the words folded
to lower-case ASCII joined by hyphens) and ``entity/<QID>.json`` for
``Special:EntityData/<QID>.json``. A file holds the JSON body Wikidata answered
(status 200), or an envelope ``{"status": 404, "headers": {...}, "body": ...}``
for anything else, such as a deleted item or a 429 with ``Retry-After``; a list
of envelopes is answered in turn (the last one repeats). A request with no file
is an error naming the file that was expected: replay never guesses.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

from newsgraph.curation.wikidata.client import HttpResponse, WikidataError
from newsgraph.names import fold

_ENTITY = re.compile(r"/wiki/Special:EntityData/(Q[1-9][0-9]*)\.json$")


def fixture_name(url: str) -> str:
    """The file, relative to the folder, that answers ``url``."""
    parts = urllib.parse.urlsplit(url)
    found = _ENTITY.search(parts.path)
    if found:
        return f"entity/{found.group(1)}.json"
    if parts.path.endswith("/w/api.php"):
        query = urllib.parse.parse_qs(parts.query)
        if query.get("action") == ["wbsearchentities"] and query.get("search"):
            words = fold(query["search"][0]).replace(" ", "-") or "empty"
            return f"search/{words}.json"
    raise WikidataError(f"no recorded response can answer {url}")


class ReplayTransport:
    """A ``Transport`` reading recorded answers; counts what it was asked."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise WikidataError(f"recorded responses folder {folder} does not exist")
        self.folder = folder
        self.asked: list[str] = []
        self._turns: dict[str, int] = {}

    def __call__(self, url: str, headers: dict[str, str], timeout: float) -> HttpResponse:
        name = fixture_name(url)
        self.asked.append(name)
        path = self.folder / name
        if not path.is_file():
            raise WikidataError(f"no recorded response for {url} (expected {name} in "
                                f"{self.folder})")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise WikidataError(f"recorded response {name} is not JSON: {exc}") from None
        if isinstance(data, list):  # answered in turn, the last one repeating
            turn = self._turns.get(name, 0)
            self._turns[name] = turn + 1
            data = data[min(turn, len(data) - 1)]
        if isinstance(data, dict) and isinstance(data.get("status"), int):
            body = data.get("body", "")
            raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers_out = {k.lower(): str(v) for k, v in (data.get("headers") or {}).items()}
            return HttpResponse(data["status"], headers_out, raw, url)
        return HttpResponse(200, {"content-type": "application/json"},
                            json.dumps(data).encode(), url)
