"""The register editor changes exactly one field and refuses what it cannot do safely."""

from __future__ import annotations

import pytest

from newsgraph.curation.wikidata.yamledit import EditError, set_wikidata, write_link

REGISTER = """\
# curated by hand
people:
  wang-xiaohong:   # the minister
    name: Wang Xiaohong  # b. 1957
    note: x
  qiu-xiaoqi:
    name: "Qiu Xiaoqi"
    wikidata: Q1   # to be replaced
places:
  beijing: {name: Beijing, type: city}
  havana:
    type: city
    name: Havana"""


def test_a_new_link_goes_under_the_name_at_its_indent():
    out = set_wikidata(REGISTER, "people", "wang-xiaohong", "Q18109475")
    assert out == REGISTER.replace("# b. 1957\n", "# b. 1957\n    wikidata: Q18109475\n")


def test_an_existing_link_is_replaced_in_place_keeping_its_comment():
    out = set_wikidata(REGISTER, "people", "qiu-xiaoqi", "Q42")
    assert out == REGISTER.replace("wikidata: Q1   #", "wikidata: Q42   #")


def test_the_last_record_of_a_file_without_final_newline():
    out = set_wikidata(REGISTER, "places", "havana", "Q1563")
    assert out == REGISTER + "\n    wikidata: Q1563"


def test_windows_line_ends_are_kept():
    text = REGISTER.replace("\n", "\r\n") + "\r\n"
    out = set_wikidata(text, "places", "havana", "Q1563")
    assert out == text + "    wikidata: Q1563\r\n"


@pytest.mark.parametrize(("section", "entity", "qid", "message"), [
    ("places", "beijing", "Q956", "inline"),
    ("people", "nobody", "Q5", "no record people.nobody"),
    ("posts", "wang-xiaohong", "Q5", "no record"),
    ("people", "wang-xiaohong", "Q0", "malformed"),
])
def test_what_cannot_be_done_safely_is_refused(section, entity, qid, message):
    with pytest.raises(EditError, match=message):
        set_wikidata(REGISTER, section, entity, qid)


def test_write_link_is_atomic_and_refuses_duplicate_keys(tmp_path):
    path = tmp_path / "entities.yaml"
    path.write_text(REGISTER, encoding="utf-8")
    write_link(path, "people", "wang-xiaohong", "Q18109475")
    assert "wikidata: Q18109475" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["entities.yaml"]  # no temp file left
    broken = REGISTER + "\npeople:\n  x:\n    name: X\n"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(EditError, match="duplicate key"):
        write_link(path, "people", "wang-xiaohong", "Q18109475")
    assert path.read_text(encoding="utf-8") == broken


def test_write_link_keeps_every_other_byte(tmp_path):
    path = tmp_path / "entities.yaml"
    text = REGISTER.replace("\n", "\r\n") + "\r\n"
    path.write_bytes(text.encode("utf-8"))
    write_link(path, "places", "havana", "Q1563")
    assert path.read_bytes() == (text + "    wikidata: Q1563\r\n").encode("utf-8")
