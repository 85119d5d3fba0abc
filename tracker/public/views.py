"""GET /public/units/<id> and /public/programs/<id>: a program's progress for anyone, without an account.

Only programs marked public and not archived show; an unknown, private or archived one is the same 404, and so is
a unit without a public program (its registries show only beside one). The pages read no signed-in user: everyone
gets the same page for a language, which shared caches may keep five minutes (`Cache-Control: public`), with an
ETag of the body so a reload is a 304. The language comes from ?lang= (in the URL) or the `lang` cookie, hence
`Vary: Cookie`: an English page is never served for a Vietnamese request, nor the other way round.
"""

import hashlib

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import get_locale

from tracker.auth.access import public
from tracker.db import local_today
from tracker.public import queries
from tracker.units.services import unit_graph

bp = Blueprint("public", __name__, url_prefix="/public")

MAX_AGE = 300  # seconds: a figure on the public page may be five minutes old


def _cached(html: str):
    """The page with its caching headers, or a 304 when the client's copy (If-None-Match) is this one."""
    locale = str(get_locale())
    response = make_response(html)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Content-Language"] = locale
    response.vary.add("Cookie")  # the `lang` cookie picks the language
    response.set_etag(hashlib.sha256(f"{locale}\n{html}".encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.route("/units/<int:unit_id>")
@public
def unit(unit_id: int):
    graph = unit_graph()
    row = graph.units.get(unit_id)
    if row is None:
        abort(404)
    today = local_today()
    programs = queries.unit_programs(graph, unit_id, today)
    if not programs:
        abort(404)
    return _cached(
        render_template(
            "public/unit.html",
            unit=row,
            programs=programs,
            registries=queries.unit_registries(graph, unit_id, today),
            today=today,
        )
    )


@bp.route("/programs/<int:program_id>")
@public
def program(program_id: int):
    graph = unit_graph()
    today = local_today()
    page = queries.program_page(program_id, graph, today)
    if page is None:
        abort(404)
    unit_row = graph.units[page.program.unit_id]
    return _cached(
        render_template(
            "public/program.html",
            page=page,
            unit=unit_row,
            registries=queries.unit_registries(graph, unit_row.id, today),
        )
    )
