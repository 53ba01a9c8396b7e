#!/usr/bin/env bash
# SPARQL endpoint: the W3C conformance runner (npm rdf-test-suite), installed into a
# folder ignored by git; without it the W3C tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/conformance/install.sh
