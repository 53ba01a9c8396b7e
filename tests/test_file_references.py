"""Every file the project's own words point a reader at exists: the docs, the
seeds' comments and the scaffold a new project starts from name no file that
is not there (a scaffold file only files of the scaffold, since that is all a
new project has)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsgraph import release

ROOT = Path(__file__).resolve().parents[1]
SCAFFOLD = ROOT / "src" / "newsgraph" / "resources" / "scaffold"

# A path with a file extension, not part of a URL or of another path: what
# precedes it is neither a word character nor '/', ':' or '.'.
MENTION = re.compile(
    r"(?<![\w/:.<>-])((?:\.\./)*(?:[\w.-]+/)*[\w-]+\."
    r"(?:md|ya?ml|txt|toml|ttl|py|json|jsonld|nq|trig|sh))\b")

# Names of files a build writes (into a release, dist/: newsgraph.release owns
# them), and the docs' placeholders for "an article's folder" and "a data file":
# mentioned on purpose, never in the repository.
WRITTEN_BY_A_BUILD = {
    *(name for name in (release.MANIFEST, release.NQUADS, release.TRIG, release.TURTLE,
                        release.JSONLD, release.CONTEXT, release.STATISTICS)),
    f"dist/{release.NQUADS}", f"{release.SHAPES}/1/newsgraph-shapes.ttl",
}
PLACEHOLDERS = {"seeds/x/annotations.yaml", "seeds/outlet-1234/annotations.yaml", "data.ttl"}


def mentions(text: str) -> set[str]:
    return set(MENTION.findall(text))


def _exists(mention: str, where: Path, root: Path, files: list[str]) -> bool:
    if (where.parent / mention).exists() or (root / mention).exists():
        return True
    # a module or file named by its tail ("validation.py", "web/vocabulary.py")
    return not mention.startswith("../") and any(
        f == mention or f.endswith("/" + mention) for f in files)


def dangling(root: Path, sources: list[Path]) -> list[str]:
    """``file: mention`` for every mention in ``sources`` that names no file under
    ``root``."""
    files = [p.relative_to(root).as_posix() for p in root.rglob("*")
             if p.is_file() and ".git" not in p.parts]
    out = []
    for source in sources:
        for mention in sorted(mentions(source.read_text(encoding="utf-8"))):
            if mention in WRITTEN_BY_A_BUILD or mention in PLACEHOLDERS:
                continue
            if not _exists(mention, source, root, files):
                out.append(f"{source.relative_to(root).as_posix()}: {mention}")
    return out


def _texts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and p.suffix in (".md", ".yaml", ".toml", "") and p.name != "article.txt")


def test_docs_and_seeds_name_only_files_of_the_repository():
    sources = _texts(ROOT / "docs") + _texts(ROOT / "seeds")
    assert len(sources) >= 10
    assert dangling(ROOT, sources) == []


def test_the_scaffold_names_only_files_a_new_project_has():
    sources = _texts(SCAFFOLD)
    assert any(p.name == "README.md" for p in sources)
    assert dangling(SCAFFOLD, sources) == []


@pytest.mark.parametrize(("text", "found"), [
    ("see docs/annotations.md for the format", {"docs/annotations.md"}),
    ("[the shapes](shapes.md) and `reference/FACTS.md`", {"shapes.md", "reference/FACTS.md"}),
    ("at https://example.org/docs/x.md and <base>id/person/x.ttl", set()),
])
def test_mentions_are_paths_and_not_addresses(text, found):
    assert mentions(text) == found


def test_a_mention_of_a_missing_file_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text("Read [this](other.md), `docs/page.md` and `reference/FACTS.md`.\n",
                    encoding="utf-8")
    (tmp_path / "docs" / "other.md").write_text("", encoding="utf-8")
    assert dangling(tmp_path, [page]) == ["docs/page.md: reference/FACTS.md"]
