"""Curation tools around the pipeline: Wikidata links, QuickStatements export,
sentence-by-sentence coverage. They may read the seeds and a release."""
