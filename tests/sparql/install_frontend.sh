#!/usr/bin/env bash
# Install the query page's editor (CodeMirror 5, MIT) from the npm registry into
# src/newsgraph/static/sparql/vendor/ (ignored by git); `newsgraph serve` does the
# same on its first start. Without it the page still works, as a plain textarea.
# Usage: bash tests/sparql/install_frontend.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python3 -m newsgraph install-editor
