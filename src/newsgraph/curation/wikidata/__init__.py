"""Linking our entities with Wikidata: a polite client, candidate scoring, the
``link`` and ``link --check`` flows, and a minimal editor of ``seeds/entities.yaml``.

Nothing here runs during a build: the build publishes only the QIDs a curator
accepted into the annotations.
"""

# Identifiers seen in circulation for our people that are wrong (docs/wikidata.md):
# never proposed, never accepted, always reported by the check.
KNOWN_WRONG: dict[str, str] = {
    "Q1058356": "is not Miguel Díaz-Canel",
    "Q1014127": "is not Bruno Rodríguez Parrilla",
}
