"""The server: reads a published release and answers HTTP (store, web, SPARQL).
It never imports the pipeline; the release is the only thing the two share."""
