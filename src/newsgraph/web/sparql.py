"""The ``/sparql`` endpoint: SPARQL 1.1 Protocol, Service Description, query page.

Registered by the app factory as ``newsgraph.web.sparql.bp``.
"""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("sparql", __name__)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    # Filled in by the SPARQL work (issue 4); the blueprint exists so the app
    # factory can register it now.
    return Response("The SPARQL endpoint is being set up.\n", status=503,
                    mimetype="text/plain", headers={"Retry-After": "60"})
