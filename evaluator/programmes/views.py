"""The programme pages: the list, a new programme, the dashboard (progress, scores, tiers and
pooled indicators of every unit), adding units from a sheet, scoring (a job), the result JSON
and the programme's folder of bundles. Thin: the work is in operations and service."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from evaluator.definitions.problems import DefinitionError
from evaluator.extensions import db_session, login_manager
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.views_common import problem_lines
from evaluator.jobs import current_queue
from evaluator.programmes import operations, service
from evaluator.programmes.forms import ProgrammeForm, ScoreForm, UnitsForm
from evaluator.programmes.models import Programme
from evaluator.programmes.result import result_json
from evaluator.programmes.unit_map import unit_locations, unit_points
from evaluator.rubrics.models import RubricVersion
from evaluator.storage import current_storage
from evaluator.web.headers import map_tiles, with_sources

bp = Blueprint("programmes", __name__)


def _signed_in() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())


def load_programme(programme_id: int) -> Programme:
    """The programme, for its lead or an administrator; 404 for everyone else (no hint)."""
    _signed_in()
    db = db_session()
    programme = db.get(Programme, programme_id)
    if programme is None or not operations.can_manage(db, current_user, programme):
        abort(404)
    return programme


def info(programme: Programme) -> dict[str, Any]:
    lang = g.get("lang", "zh")
    return {"id": programme.id, "key": programme.key,
            "title": programme.title_en if lang == "en" and programme.title_en
            else programme.title_zh,
            "body": programme.commissioning_body,
            "period": f"{programme.period_start} – {programme.period_end}",
            "synthetic": programme.synthetic, "sample_rule": programme.sample_rule or {},
            "stratum_column": programme.stratum_column}


@bp.get("/programmes")
def programmes() -> Any:
    _signed_in()
    db = db_session()
    query = select(Programme).order_by(Programme.id.desc())
    if current_user.role != "admin":
        query = query.where(Programme.created_by_id == current_user.id)
    rows = [info(p) for p in db.scalars(query)] if operations.can_create(current_user) else []
    return render_template("programmes/list.html", programmes=rows,
                           can_create=operations.can_create(current_user))


@bp.route("/programmes/new", methods=["GET", "POST"])
def programme_new() -> Any:
    _signed_in()
    if not operations.can_create(current_user):
        abort(403)
    db = db_session()
    form = ProgrammeForm()
    form.rubric.choices = [(r.id, f"{r.key} {r.version} · {r.title_zh}") for r in db.scalars(
        select(RubricVersion).where(RubricVersion.status == "published")
        .order_by(RubricVersion.key, RubricVersion.id.desc()))]
    problems: list[str] = []
    if form.validate_on_submit():
        rule = None
        if form.sample_size.data:
            rule = {"seed": form.seed.data, "size": form.sample_size.data,
                    "min_per_stratum": form.min_per_stratum.data or 0,
                    "reserve": form.reserve.data or 0}
        rubric = db.get(RubricVersion, form.rubric.data)
        try:
            if rubric is None:
                raise OperationError(gettext("rubric: no such rubric version"))
            made = operations.create_programme(
                db, current_user, key=form.key.data.strip(), title_zh=form.title_zh.data.strip(),
                title_en=(form.title_en.data or "").strip(),
                commissioning_body=form.commissioning_body.data.strip(),
                period_start=form.period_start.data, period_end=form.period_end.data,
                rubric=rubric,
                stratum_column=form.stratum_column.data.strip(), sample_rule=rule,
                synthetic=form.synthetic.data)
        except OperationError as error:
            problems = problem_lines(error)
        else:
            flash(gettext("Programme created: now add its units"))
            return redirect(url_for("programmes.dashboard", programme_id=made.id))
    status = 400 if problems or (request.method == "POST" and form.errors) else 200
    return render_template("programmes/new.html", form=form, problems=problems), status


@bp.get("/programmes/<int:programme_id>")
def dashboard(programme_id: int) -> Any:
    programme = load_programme(programme_id)
    return _dashboard(programme)


def _dashboard(programme: Programme, problems: list[str] | None = None,
               units_form: UnitsForm | None = None, status: int = 200) -> Any:
    db = db_session()
    rows = service.unit_progress(db, programme, date.today())
    found = service.latest_result(current_storage(), programme)
    stamp = service.change_stamp(db, programme)
    result = _result_view(found[1]) if found else None
    if result:
        by_key = {u["key"]: u for u in result["ranking"]}
        for row in rows:
            row["rank"] = by_key.get(row["key"])
    job = request.args.get("job", "")
    state = current_queue().status(job) if job else None
    running = None
    if state is not None and state.params.get("programme_id") == programme.id:
        running = {"state": state.state, "percent": round(100 * state.progress),
                   "message": state.message, "error": state.error or ""}
    points, legend = _unit_map(db, programme, rows, stamp)
    tiles, origins = map_tiles()
    page = render_template(
        "programmes/dashboard.html", programme=info(programme), units=rows, running=running,
        regions=service.region_table(rows), result=result, points=points, legend=legend,
        tiles=tiles, unplaced=len(rows) - len(points),
        current=bool(found and found[0] == stamp), units_form=units_form or UnitsForm(),
        score_form=ScoreForm(), problems=problems or [],
        totals={k: sum(r[k] for r in rows) for k in ("sampled", "visited", "records",
                                                      "reviewed", "findings", "overdue",
                                                      "appeals_pending")})
    response = with_sources(make_response(page, status), "img-src", origins)
    if running and running["state"] in ("queued", "running"):
        response.headers["Refresh"] = "5"
    return response


#: The map's words (evaluator.programmes.unit_map), from the catalog.
MAP_WORDS = {
    "tier": lambda **v: gettext("Tier %(tier)s", **v),
    "tier_on": lambda **v: gettext("Tier %(tier)s or lower", **v),
    "tier_ranks": lambda **v: gettext("Tier %(tier)s, possible ranks %(ranks)s", **v),
    "total": lambda **v: gettext("Total %(total)s (%(grade)s)", **v),
    "progress": lambda **v: gettext("%(visited)s of %(sampled)s sampled households visited", **v),
    "centre": lambda **v: gettext("Placed at the centre of its located visits"),
    "unscored": lambda **v: gettext("Not scored"),
    "overdue": lambda **v: gettext("%(n)s rectification items overdue", **v),
}


def _unit_map(db, programme: Programme, rows: list[dict[str, Any]], stamp: str
              ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The map of units: markers at the units' locations, coloured by tier or grade."""
    rubric = db.get(RubricVersion, programme.rubric_version_id)
    english = g.get("lang") == "en"
    bands = [(str(b.get("grade", "")), str(b.get("en") or b.get("grade", "")) if english
              else str(b.get("grade", ""))) for b in (rubric.content.get("bands") or [])
             ] if rubric else []
    return unit_points(rows, unit_locations(db, programme, stamp), bands,
                       lambda unit: url_for("fieldwork.evaluation", evaluation_id=unit),
                       lambda key, **values: MAP_WORDS[key](**values))


def _fmt(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def _result_view(result: dict[str, Any]) -> dict[str, Any]:
    """Rounded, language-picked plain values of a programme result for the dashboard."""
    lang = g.get("lang", "zh")
    if "ranking" not in result:
        return {"ranking": [], "pooled": [], "unscored": result.get("unscored", {}),
                "pairs": 0, "distinguished": 0, "units": 0, "frame": 0, "sampled": 0}
    ranking = [{"key": u["key"], "name": u["name"], "region": u["region"],
                "total": _fmt(u["total"]), "interval": f"[{_fmt(u['ci_low'])}, {_fmt(u['ci_high'])}]",
                "grade": u["grade"], "tier": u["tier"],
                "ranks": f"{u['best_rank']}–{u['worst_rank']}", "order": u["order"]}
               for u in result["ranking"]["units"]]
    share = ("rate", "checklist", "consistency", "completeness")
    pooled = []
    for i in result["pooled"]["indicators"]:
        scale, unit = (100, "%") if i["method"] in share else (1, "")

        def shown(value: float | None, scale: float = scale, unit: str = unit) -> str:
            return "–" if value is None else f"{value * scale:.1f}{unit}"

        pooled.append({"code": i["code"], "name": i["name"].get(lang) or i["name"].get("zh", ""),
                       "pooling": i["pooling"], "estimate": shown(i["estimate"]),
                       "interval": f"[{shown(i['ci_low'])}, {shown(i['ci_high'])}]"
                       if i["ci_low"] is not None else "", "n": i["n"], "units": i["units"],
                       "verdict": i["verdict"],
                       "unit_verdicts": i["unit_verdicts"], "findings": i["findings"]})
    return {"ranking": ranking, "pooled": pooled, "unscored": result.get("unscored", {}),
            "pairs": result["ranking"]["pairs"], "distinguished": result["ranking"]["distinguished"],
            "units": result["pooled"]["units"], "frame": result["pooled"]["frame"],
            "sampled": result["pooled"]["sampled"]}


@bp.post("/programmes/<int:programme_id>/units")
def units(programme_id: int) -> Any:
    """Units from a sheet and the roster files it names: all or nothing."""
    programme = load_programme(programme_id)
    db = db_session()
    form = UnitsForm()
    if not form.validate_on_submit():
        return _dashboard(programme, [f"{k}: {', '.join(v)}" for k, v in form.errors.items()],
                          form, 400)
    rosters: dict[str, bytes] = {}
    for upload in form.rosters.data or []:
        if upload and upload.filename:
            rosters[upload.filename.rsplit("/", 1)[-1]] = upload.read()
    sheet = form.sheet.data
    try:
        rows = operations.read_units(db, programme, sheet.filename or "units.csv",
                                     sheet.read(), rosters)
        made = operations.import_units(db, current_user, programme, rows)
    except (DefinitionError, OperationError) as error:
        db.rollback()
        return _dashboard(programme, problem_lines(error), form, 400)
    flash(gettext("%(count)s units added", count=len(made)))
    return redirect(url_for("programmes.dashboard", programme_id=programme.id))


def _job(programme: Programme) -> tuple[str, str]:
    stamp = service.change_stamp(db_session(), programme)
    job = current_queue().enqueue("programme.score", {"programme": programme.id, "stamp": stamp},
                                  {"programme_id": programme.id, "stamp": stamp,
                                   "lang": g.get("lang", "zh")})
    return stamp, job


@bp.post("/programmes/<int:programme_id>/score")
def score(programme_id: int) -> Any:
    programme = load_programme(programme_id)
    if not ScoreForm().validate_on_submit():
        abort(400)
    _, job = _job(programme)
    flash(gettext("Scoring every unit; the results appear here when done"))
    return redirect(url_for("programmes.dashboard", programme_id=programme.id, job=job))


@bp.get("/programmes/<int:programme_id>/result.json")
def result(programme_id: int) -> Any:
    """The pooled estimates and ranking of the data as it is now: the file the scoring job
    wrote, the bytes ``evaluator programme score`` prints for the programme's bundles. Not
    scored yet: 202 with the job (``/jobs/<id>``) and a Refresh header."""
    programme = load_programme(programme_id)
    stamp, job = _job(programme)
    state = current_queue().wait(job, current_app.config["REPORT_WAIT"])
    if state is not None and state.state == "done" and state.result:
        data = current_storage().get_or_none(state.result)
        if data is not None:
            body = result_json(service.public_result(json.loads(data)))
            return Response(body, mimetype="application/json",
                            headers={"Cache-Control": "private, no-store"})
    if state is not None and state.state == "failed":
        return jsonify({"error": state.error or "failed"}), 500
    response = jsonify({"job": job, "status": url_for("jobs.status", job=job),
                        "state": state.state if state else "queued",
                        "progress": state.progress if state else 0.0})
    response.headers["Refresh"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response, 202


@bp.get("/programmes/<int:programme_id>/report.pdf")
def report_pdf(programme_id: int) -> Any:
    """The programme report (评估项目总体报告) of the data as it is now, rendered by a job
    (every unit scored first when needed): the PDF ``evaluator report --programme`` makes of the
    programme's downloaded bundles. Not ready within ``REPORT_WAIT`` s: 202 and a Refresh."""
    programme = load_programme(programme_id)
    lang = g.get("lang", "zh") if g.get("lang") in ("zh", "en") else "zh"
    stamp = service.change_stamp(db_session(), programme)
    storage = current_storage()
    key = service.report_key(programme, stamp, lang)
    pdf = storage.get_or_none(key)
    if pdf is None:
        queue = current_queue()
        job = queue.enqueue("programme.report", {"programme": programme.id, "stamp": stamp,
                                                 "lang": lang},
                            {"programme_id": programme.id, "stamp": stamp, "lang": lang})
        state = queue.wait(job, current_app.config["REPORT_WAIT"])
        if state is not None and state.state == "failed":
            return _dashboard(programme, [gettext("The report could not be made:") + " "
                                          + (state.error or "")], status=409)
        if state is None or state.state != "done" or not state.result:
            return redirect(url_for("programmes.dashboard", programme_id=programme.id, job=job))
        pdf = storage.get(state.result)
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{programme.key}-programme-report-{lang}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/programmes/<int:programme_id>/programme.zip")
def programme_zip(programme_id: int) -> Any:
    """programme.yaml and every unit's bundle: ``evaluator programme score`` reads it."""
    programme = load_programme(programme_id)
    data = service.programme_zip(db_session(), programme)
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{programme.key}-programme.zip", max_age=0)
