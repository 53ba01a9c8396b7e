#!/usr/bin/env bash
# SPARQL endpoint (issue 4): the query page's editor (CodeMirror 5 from npm, served by
# us) and the W3C conformance runner (npm rdf-test-suite). Both go to folders ignored
# by git; without them the page falls back to a text area and the W3C tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/sparql/install_frontend.sh
bash tests/conformance/install.sh
