"""Write one ``wikidata: Q…`` into ``seeds/entities.yaml`` and change nothing else.

The register is curated by hand: its comments, order, quoting and blank lines
are the curator's. So the file is edited as text at the place the YAML parser
reports, then read back and compared with what was meant before it replaces the
file (atomically: a temp file, fsync, ``os.replace``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from newsgraph import iris
from newsgraph.pipeline import annotations as ann


class EditError(Exception):
    """The link could not be written; the file is unchanged."""


def _find_record(root: yaml.Node, section: str, entity_id: str) -> yaml.MappingNode:
    if not isinstance(root, yaml.MappingNode):
        raise EditError("the register is not a mapping of sections")
    for key, value in root.value:
        if key.value != section:
            continue
        if not isinstance(value, yaml.MappingNode):
            raise EditError(f"section {section!r} is not a mapping of ids")
        for rkey, record in value.value:
            if rkey.value == entity_id:
                if not isinstance(record, yaml.MappingNode):
                    raise EditError(f"{section}.{entity_id} is not a mapping of fields")
                return record
    raise EditError(f"no record {section}.{entity_id} in the register")


def set_wikidata(text: str, section: str, entity_id: str, qid: str) -> str:
    """``text`` with ``wikidata: qid`` set on ``section.entity_id``; EditError if it cannot."""
    if not iris.is_qid(qid):
        raise EditError(f"malformed Wikidata id {qid!r}")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise EditError(f"the register does not parse: {exc}") from None
    record = _find_record(root, section, entity_id)
    if record.flow_style:
        raise EditError(f"{section}.{entity_id} is written inline ({{…}}); add "
                        f"'wikidata: {qid}' by hand")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if text.endswith("\r\n") or "\r\n" in text[:200] else "\n"
    for key, value in record.value:
        if key.value == "wikidata":
            if not isinstance(value, yaml.ScalarNode) or value.start_mark.line != \
                    value.end_mark.line:
                raise EditError(f"{section}.{entity_id}.wikidata is not a one-line value")
            line = lines[value.start_mark.line]
            start, end = value.start_mark.column, value.end_mark.column
            lines[value.start_mark.line] = line[:start] + qid + line[end:]
            return "".join(lines)
    # Put the new field under the name (or the first one-line field), at its indent.
    anchors = sorted(record.value, key=lambda kv: kv[0].value not in ("name", "label"))
    for key, value in anchors:
        one_line = (isinstance(value, yaml.ScalarNode) and value.style in (None, "'", '"')
                    and value.start_mark.line == value.end_mark.line)
        if not one_line:
            continue
        at = value.end_mark.line + 1
        field_line = f"{' ' * key.start_mark.column}wikidata: {qid}"
        if at < len(lines):
            lines.insert(at, field_line + newline)
        elif lines[-1].endswith("\n"):
            lines.append(field_line + newline)
        else:  # the file ends without a newline: so does the edited one
            lines[-1] += newline
            lines.append(field_line)
        return "".join(lines)
    raise EditError(f"{section}.{entity_id} has no one-line field to put 'wikidata' under; "
                    "add it by hand")


def _read(path: Path, label: str) -> Any:
    """The register as the build's strict reader sees it (duplicate keys refused)."""
    try:
        return ann.read_yaml(path, label)
    except ann.AnnotationError as exc:
        raise EditError(str(exc)) from None


def write_link(path: Path, section: str, entity_id: str, qid: str) -> None:
    """Set the link in the file at ``path``, verified and atomically; EditError if not."""
    label = path.name
    before = _read(path, label)
    # bytes decoded as they are: reading as text would turn CRLF line ends into LF
    new_text = set_wikidata(path.read_bytes().decode("utf-8"), section, entity_id, qid)
    before[section][entity_id]["wikidata"] = qid
    mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(new_text)
            fh.flush()
            os.fsync(fh.fileno())
        if _read(Path(tmp), label) != before:
            raise EditError(f"editing {label} would change more than {section}.{entity_id}; "
                            f"add 'wikidata: {qid}' by hand")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
