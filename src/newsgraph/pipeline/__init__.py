"""The pipeline: seeds in, a checked release out (annotations -> grounding -> mapping
-> validation -> publishing). It never imports the server."""
