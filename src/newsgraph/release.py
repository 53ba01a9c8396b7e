"""The release: the one contract between the build and the server.

A release is a folder that holds everything the server needs and nothing it
must find elsewhere (docs/release.md)::

    manifest.json          what is here: format version, base IRI, licence, counts, every file
    newsgraph.nq  .trig  .ttl  .jsonld     the dumps
    context.jsonld         the JSON-LD context of the JSON-LD dump
    statistics.json        what the data holds, counted by the build (newsgraph.statistics)
    ontology/*.ttl         the ontology the build used
    shapes/1/*.ttl …       the shapes the build validated with, one numbered
                           folder per folder of shapes, in the build's order
    store/                 the on-disk pyoxigraph (RocksDB) store of the same quads

This module alone knows those names and the manifest's schema: the publisher
writes a release with the helpers here, the server reads and verifies one with
:func:`verify`. A folder is a release only if its manifest is valid and every
file it lists is there with the listed size (and, verified fully, checksum).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from newsgraph import __version__

FORMAT_VERSION = 1

MANIFEST = "manifest.json"
STORE = "store"
ONTOLOGY = "ontology"
SHAPES = "shapes"
NQUADS = "newsgraph.nq"
TRIG = "newsgraph.trig"
TURTLE = "newsgraph.ttl"
JSONLD = "newsgraph.jsonld"
CONTEXT = "context.jsonld"
STATISTICS = "statistics.json"

DUMP_MEDIA_TYPES = {
    NQUADS: "application/n-quads",
    TRIG: "application/trig",
    TURTLE: "text/turtle",
    JSONLD: "application/ld+json",
}
CONTEXT_MEDIA_TYPE = "application/ld+json"
STATISTICS_MEDIA_TYPE = "application/json"
TURTLE_MEDIA_TYPE = "text/turtle"
STORE_MEDIA_TYPE = "application/octet-stream"

# what a listed file is for; the server finds its files by role, never by name
DUMP, CONTEXT_ROLE, ONTOLOGY_ROLE, SHAPES_ROLE, STATISTICS_ROLE, STORE_ROLE = (
    "dump", "context", "ontology", "shapes", "statistics", "store")
ROLES = (DUMP, CONTEXT_ROLE, ONTOLOGY_ROLE, SHAPES_ROLE, STATISTICS_ROLE, STORE_ROLE)
# made from the dumps once they are written, so left out of the release id
DERIVED_ROLES = (STATISTICS_ROLE, STORE_ROLE)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_RELEASE_ID = re.compile(r"[0-9a-f]{16}")
_LICENSE = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
_CHUNK = 1 << 20


class ReleaseError(Exception):
    """The folder is not a complete, intact release; the message names the file."""


# ------------------------------------------------------------------ writing


def write_file(path: Path, body: bytes) -> None:
    """Write and fsync one file (its folder is fsynced by :func:`fsync_dir`)."""
    with open(path, "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record(body: bytes, media_type: str, role: str) -> dict[str, Any]:
    return {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
            "mediaType": media_type, "role": role}


def content_files(dumps: Mapping[str, bytes], context: bytes, ontology_dir: Path,
                  shape_folders: Sequence[Path]) -> dict[str, tuple[str, bytes]]:
    """Every file of a release but the store and the manifest, by its name in the
    release: ``{name: (role, body)}``. Shape folders get a numbered folder each,
    so a project's shapes file never collides with a shipped one of the same name."""
    files: dict[str, tuple[str, bytes]] = {name: (DUMP, body) for name, body in dumps.items()}
    files[CONTEXT] = (CONTEXT_ROLE, context)
    for path in sorted(ontology_dir.glob("*.ttl")):
        files[f"{ONTOLOGY}/{path.name}"] = (ONTOLOGY_ROLE, path.read_bytes())
    for number, folder in enumerate(shape_folders, 1):
        for path in sorted(folder.glob("*.ttl")):
            files[f"{SHAPES}/{number}/{path.name}"] = (SHAPES_ROLE, path.read_bytes())
    return files


def media_type(name: str, role: str) -> str:
    """The media type a file of the release is listed with."""
    if role == DUMP:
        return DUMP_MEDIA_TYPES[name]
    if role == CONTEXT_ROLE:
        return CONTEXT_MEDIA_TYPE
    return TURTLE_MEDIA_TYPE


def release_id(manifest: Mapping[str, Any]) -> str:
    """The id a manifest's content gives: a hash of everything in it but the id
    and the files made from the dumps (the store and the statistics). They add
    nothing the dumps do not fix, and RocksDB writes a random identity and
    timestamps into the store's files, so two builds of the same data differ
    there and nowhere else."""
    content = {k: v for k, v in manifest.items() if k != "release"}
    content["files"] = {name: rec for name, rec in manifest.get("files", {}).items()
                        if not (isinstance(rec, dict) and rec.get("role") in DERIVED_ROLES)}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]


def build_manifest(files: Mapping[str, tuple[str, bytes]], base: str, quads: int,
                   triples: int, graphs: Mapping[str, int],
                   license: str | None = None) -> dict[str, Any]:
    """The manifest of a release holding ``files``, without the store's files yet
    (:func:`with_store` adds them once the store is written)."""
    return manifest_of({name: record(body, media_type(name, role), role)
                        for name, (role, body) in files.items()},
                       base, quads=quads, triples=triples, graphs=graphs, license=license)


def manifest_of(records: Mapping[str, Mapping[str, Any]], base: str, quads: int, triples: int,
                graphs: Mapping[str, int],
                graph_sha256: Mapping[str, str] | None = None,
                license: str | None = None) -> dict[str, Any]:
    """The manifest of a release whose files have the given records (written
    streaming, so known by size and checksum rather than by their bodies),
    without the store's files yet. ``graph_sha256``: the SHA-256 of each graph's
    lines in the N-Quads dump, so a later build can tell which graphs changed.
    ``license`` is the IRI of the licence the data is published under: the
    server announces that one, whatever its own settings say."""
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generator": f"newsgraph {__version__}",
        "base": base,
        **({"license": license} if license is not None else {}),
        "quads": quads,
        "triples": triples,
        "graphs": dict(sorted(graphs.items())),
        "files": {name: dict(rec) for name, rec in sorted(records.items())},
    }
    if graph_sha256 is not None:
        manifest["graph_sha256"] = dict(sorted(graph_sha256.items()))
    manifest["release"] = release_id(manifest)
    return manifest


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


FileIdentity = tuple[str, int, int, int, int]


def file_identity(path: Path) -> FileIdentity:
    """What tells one file from another without reading it: name, device,
    inode, size and modification time (an inode alone may be reused by a new
    file; RocksDB never reuses a file's name)."""
    st = path.stat()
    return (path.name, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def with_store(manifest: Mapping[str, Any], folder: Path,
               known: Mapping[FileIdentity, str] | None = None) -> dict[str, Any]:
    """The manifest with a record for every file of ``folder``'s written store
    and for its statistics. ``known``: SHA-256 by :func:`file_identity` of files
    already hashed as they were written (a store copied and checked), not read again."""
    store = folder / STORE
    known = known or {}
    files = dict(manifest["files"])
    files[STATISTICS] = record((folder / STATISTICS).read_bytes(), STATISTICS_MEDIA_TYPE,
                               STATISTICS_ROLE)
    for path in sorted(p for p in store.rglob("*") if p.is_file()):
        digest = known.get(file_identity(path)) or sha256_of(path)
        files[path.relative_to(folder).as_posix()] = {
            "bytes": path.stat().st_size, "sha256": digest,
            "mediaType": STORE_MEDIA_TYPE, "role": STORE_ROLE}
    return {**manifest, "files": dict(sorted(files.items()))}


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    write_file(folder / MANIFEST, manifest_bytes(manifest))


def folders_to_sync(folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """The release folder and every folder inside it, deepest first (each holds
    the entries of files or folders that must survive a crash)."""
    inner = {folder / parent for name in manifest["files"]
             for parent in PurePosixPath(name).parents if str(parent) != "."}
    return sorted(inner | {folder}, key=lambda p: (len(p.parts), str(p)), reverse=True)


# ------------------------------------------------------------------ reading


def _bad(folder: Path, why: str) -> ReleaseError:
    return ReleaseError(f"{folder / MANIFEST}: {why}; rebuild the release (newsgraph build)")


def _check_name(folder: Path, name: object, rec: object) -> None:
    if not isinstance(name, str) or not isinstance(rec, dict):
        raise _bad(folder, f"file entry {name!r} is not a name with a record")
    parts = PurePosixPath(name).parts
    if (not parts or name.startswith("/") or "\\" in name
            or any(p in ("", ".", "..") or p.startswith(".") for p in parts)):
        raise _bad(folder, f"file name {name!r} does not stay inside the release")
    role = rec.get("role")
    if role not in ROLES:
        raise _bad(folder, f"{name}: unknown role {role!r}")
    places = {DUMP: len(parts) == 1 and name in DUMP_MEDIA_TYPES,
              CONTEXT_ROLE: name == CONTEXT,
              STATISTICS_ROLE: name == STATISTICS,
              ONTOLOGY_ROLE: len(parts) == 2 and parts[0] == ONTOLOGY,
              SHAPES_ROLE: len(parts) == 3 and parts[0] == SHAPES and parts[1].isdigit(),
              STORE_ROLE: len(parts) >= 2 and parts[0] == STORE}
    if not places[role]:
        raise _bad(folder, f"{name}: not where a {role} file belongs")
    if not (isinstance(rec.get("bytes"), int) and rec["bytes"] >= 0
            and isinstance(rec.get("sha256"), str) and _HEX64.fullmatch(rec["sha256"])
            and isinstance(rec.get("mediaType"), str)):
        raise _bad(folder, f"{name}: its record needs bytes, sha256 and mediaType")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest, checked against the schema of :data:`FORMAT_VERSION`."""
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReleaseError(f"{path}: missing, so this is not a complete release; "
                           "build one (newsgraph build)") from None
    except OSError as exc:
        raise ReleaseError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _bad(folder, "not valid JSON") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise _bad(folder, "not a newsgraph release manifest (no format_version)")
    version = manifest["format_version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ReleaseError(
            f"{path}: release format version {version!r}, but this newsgraph reads version "
            f"{FORMAT_VERSION}; rebuild the release with this newsgraph (newsgraph build)")
    for key, kind in (("release", str), ("base", str), ("generator", str), ("quads", int),
                      ("triples", int), ("graphs", dict), ("files", dict)):
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            raise _bad(folder, f"{key!r} is missing or not a {kind.__name__}")
    if not _RELEASE_ID.fullmatch(manifest["release"]):
        raise _bad(folder, f"release id {manifest['release']!r} is not 16 hex digits")
    if not manifest["base"].endswith("/") or "://" not in manifest["base"]:
        raise _bad(folder, f"base {manifest['base']!r} is not an absolute IRI ending in /")
    licence = manifest.get("license")
    if licence is not None and not (isinstance(licence, str) and _LICENSE.fullmatch(licence)):
        raise _bad(folder, f"license {licence!r} is not an http(s) IRI")
    if not all(isinstance(k, str) and isinstance(v, int) for k, v in manifest["graphs"].items()):
        raise _bad(folder, "'graphs' must map graph IRIs to quad counts")
    for name, rec in manifest["files"].items():
        _check_name(folder, name, rec)
    digests = manifest.get("graph_sha256", {})
    if not (isinstance(digests, dict) and set(digests) <= set(manifest["graphs"])
            and all(isinstance(v, str) and _HEX64.fullmatch(v) for v in digests.values())):
        raise _bad(folder, "'graph_sha256' must map graphs to SHA-256 digests")
    if not files_of(manifest, STORE_ROLE):
        raise _bad(folder, "it lists no store files")
    if STATISTICS not in manifest["files"]:
        raise _bad(folder, f"it lists no {STATISTICS}")
    if release_id(manifest) != manifest["release"]:
        raise _bad(folder, "its content does not match its release id (was it edited?)")
    return manifest


def verify(folder: Path, full: bool = True) -> dict[str, Any]:
    """The manifest of an intact release in ``folder``; raises :class:`ReleaseError`
    naming the first file that is missing, of the wrong size or (``full``) of the
    wrong SHA-256. Without ``full`` only sizes are compared: cheap at any size."""
    manifest = read_manifest(folder)
    for name, rec in manifest["files"].items():
        path = folder / name
        try:
            st = path.lstat()
        except FileNotFoundError:
            raise ReleaseError(f"{path}: missing, so the release is incomplete; "
                               "rebuild it (newsgraph build)") from None
        if not path.is_file() or path.is_symlink():
            raise ReleaseError(f"{path}: not a regular file; rebuild the release "
                               "(newsgraph build)")
        if st.st_size != rec["bytes"]:
            raise ReleaseError(f"{path}: {st.st_size} bytes where the manifest says "
                               f"{rec['bytes']}, so the release is damaged; "
                               "rebuild it (newsgraph build)")
    if full:
        for name, rec in manifest["files"].items():
            if sha256_of(folder / name) != rec["sha256"]:
                raise ReleaseError(f"{folder / name}: its SHA-256 differs from the manifest's, "
                                   "so the release is damaged; rebuild it (newsgraph build)")
    return manifest


def license_of(manifest: Mapping[str, Any]) -> str | None:
    """The licence the release's data is published under, as the build wrote it
    (None in a release built before the manifest carried it)."""
    found = manifest.get("license")
    return found if isinstance(found, str) else None


def files_of(manifest: Mapping[str, Any], role: str) -> dict[str, dict[str, Any]]:
    """The manifest's records of one role, by name, in name order."""
    return {name: rec for name, rec in sorted(manifest["files"].items())
            if rec.get("role") == role}


def paths_of(folder: Path, manifest: Mapping[str, Any], role: str) -> list[Path]:
    return [folder / name for name in files_of(manifest, role)]


def store_dir(folder: Path) -> Path:
    return folder / STORE


def looks_like_release(folder: Path) -> bool:
    """Whether ``folder`` claims to be a release (it may still fail :func:`verify`)."""
    return (folder / MANIFEST).is_file()

