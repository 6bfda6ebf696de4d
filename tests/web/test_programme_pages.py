"""The programme pages: a lead creates a programme and adds units from a sheet (all or
nothing, problems by row and column, shown on the page), the dashboard shows every unit's
progress, score, tier and flags; scoring runs as a job and its JSON is byte for byte what
``evaluator programme score`` prints for the programme's downloaded bundles; nobody but the
programme's lead and administrators sees any of it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from evaluator.auth.models import User
from evaluator.fieldwork.models import Evaluation, Submission
from evaluator.programmes import operations as programmes
from evaluator.programmes.models import EvaluationScore, Programme
from evaluator.programmes.seed import seed_unit, unit_files, unit_location
from evaluator.rubrics.models import RubricVersion

ROSTER = (Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "roster.csv").read_bytes()


def sign_in(client, username, password="secret-pass"):
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 302, username


def make_programme(app, field, *, key="ah-2026", start=date(2026, 1, 1), end=date(2026, 10, 31)):
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        made = programmes.create_programme(
            db, db.get(User, field.users["lead"]), key=key, title_zh="安徽省2026年评估（模拟）",
            title_en="Anhui 2026 (synthetic)", commissioning_body="省总工会",
            period_start=start, period_end=end, rubric=db.scalar(select(RubricVersion)),
            stratum_column="stratum", sample_rule={"seed": 3, "size": 4, "min_per_stratum": 2,
                                                   "reserve": 1}, synthetic=True)
        return made.id


def test_a_lead_creates_a_programme_and_adds_units_from_a_sheet(app, client, field):
    sign_in(client, "f-lead")
    with app.extensions["evaluator.sessionmaker"]() as db:
        rubric_id = db.scalar(select(RubricVersion.id))
    page = client.get("/programmes/new")
    assert page.status_code == 200 and "新建评估项目总体" in page.text
    response = client.post("/programmes/new", data={
        "key": "ah-2026", "title_zh": "安徽省2026年评估", "title_en": "", "commissioning_body": "省总工会",
        "period_start": "2026-01-01", "period_end": "2026-10-31", "rubric": rubric_id,
        "stratum_column": "stratum", "sample_size": 4, "min_per_stratum": 2, "reserve": 1,
        "seed": 5})
    assert response.status_code == 302, response.text
    dashboard = response.headers["Location"]
    assert client.get("/programmes").text.count("安徽省2026年评估") == 1

    bad = "unit,region,roster,lead\n东区工会,合肥市,east.csv,nobody\n,芜湖市,west.csv,\n"
    response = client.post(dashboard + "/units", data={
        "sheet": (io.BytesIO(bad.encode()), "units.csv"),
        "rosters": [(io.BytesIO(ROSTER), "east.csv")]}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "第 2 行，lead 列" in response.text and "第 3 行，unit 列" in response.text
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(func.count(Evaluation.id)).where(
            Evaluation.programme_id.is_not(None))) == 0

    good = "unit,region,roster,lead,evaluators\n东区工会,合肥市,east.csv,f-lead,f-evaluator\n西区工会,芜湖市,west.csv,,\n"
    response = client.post(dashboard + "/units", data={
        "sheet": (io.BytesIO(good.encode()), "units.csv"),
        "rosters": [(io.BytesIO(ROSTER), "east.csv"), (io.BytesIO(ROSTER), "west.csv")]},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    page = client.get(dashboard)
    assert page.status_code == 200
    assert "东区工会" in page.text and "西区工会" in page.text and "合肥市" in page.text
    # every unit drew its sample of 4 on the way in: 8 sampled over the programme
    assert '<li><b>8</b> 样本户</li>' in page.text


def test_only_the_programmes_lead_and_administrators_see_it(app, client, field, make_user):
    programme_id = make_programme(app, field)
    make_user("other-lead", "lead", "secret-pass")
    make_user("a-unit", "unit", "secret-pass")
    for username, status in (("f-admin", 200), ("f-lead", 200), ("other-lead", 404),
                             ("f-evaluator", 404), ("f-viewer", 404), ("a-unit", 404)):
        sign_in(client, username)
        for path in ("", "/result.json", "/programme.zip"):
            if path == "/result.json" and status == 200:
                continue  # would start scoring; tested below
            got = client.get(f"/programmes/{programme_id}{path}").status_code
            assert got == status, (username, path, got)
        assert client.post(f"/programmes/{programme_id}/score").status_code in (
            (302,) if status == 200 else (404,))
    sign_in(client, "f-evaluator")
    assert client.get("/programmes/new").status_code == 403
    client.post("/auth/logout")
    assert client.get(f"/programmes/{programme_id}").status_code in (302, 401)


@pytest.fixture
def scored_programme(app, field):
    """Two synthetic units with data (the demo bundle, two seeds), in a programme."""
    from evaluator.bundle.demo import PERIOD_END, PERIOD_START

    programme_id = make_programme(app, field, key="sim", start=PERIOD_START, end=PERIOD_END)
    storage = app.extensions["evaluator.storage"]
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        programme = db.get(Programme, programme_id)
        people = {role: db.get(User, field.users[role]) for role in ("lead", "evaluator", "viewer")}
        for number, (size, seed) in enumerate(((150, 41), (220, 42)), 1):
            seed_unit(db, programme, number, households=size, seed=seed, lead=people["lead"],
                      evaluator=people["evaluator"], viewer=people["viewer"], storage=storage)
    return programme_id


def test_scoring_runs_as_a_job_and_its_json_is_the_command_lines(app, client, field,
                                                                 scored_programme, tmp_path):
    from evaluator.cli import main

    sign_in(client, "f-lead")
    base = f"/programmes/{scored_programme}"
    assert "尚未计算" in client.get(base).text
    response = client.get(base + "/result.json")
    assert response.status_code == 200, response.text
    result = json.loads(response.text)
    assert [u["key"] for u in result["ranking"]["units"]] != []
    assert sorted(result["pooled"]["unit_keys"]) == ["sim-001", "sim-002"]
    assert result["programme"]["synthetic"] is True

    archive = zipfile.ZipFile(io.BytesIO(client.get(base + "/programme.zip").data))
    archive.extractall(tmp_path)
    cli = CliRunner().invoke(main, ["programme", "score", str(tmp_path / "sim")])
    assert cli.exit_code == 0, cli.output
    assert cli.output == response.text  # the same bytes

    scoring = client.post(base + "/score")  # the same data: the job is found done at once
    assert scoring.status_code == 302 and "job=" in scoring.headers["Location"]
    page = client.get(scoring.headers["Location"])
    assert page.status_code == 200 and "各单位得分与排名已更新" in page.text
    assert "梯队" in page.text and 'id="pooled"' in page.text and "数据已有变化" not in page.text
    with app.extensions["evaluator.sessionmaker"]() as db:
        kept = db.scalars(select(EvaluationScore)).all()
        assert len(kept) == 2 and all(k.total is not None and k.sheet for k in kept)
        by_total = {k.evaluation_id: k.total for k in kept}
    for unit in result["ranking"]["units"]:
        with app.extensions["evaluator.sessionmaker"]() as db:
            evaluation_id = db.scalar(select(Evaluation.id).where(Evaluation.key == unit["key"]))
        assert by_total[evaluation_id] == unit["total"]

    # the programme report: rendered by a job, the same bytes as the command line's
    web_pdf = client.get(base + "/report.pdf")
    assert web_pdf.status_code == 200 and web_pdf.data.startswith(b"%PDF")
    out = tmp_path / "programme.pdf"
    cli = CliRunner().invoke(main, ["report", "--programme", str(tmp_path / "sim"), "--out",
                                    str(out)])
    assert cli.exit_code == 0, cli.output
    assert out.read_bytes() == web_pdf.data
    html = tmp_path / "programme.html"
    assert CliRunner().invoke(main, ["report", "--programme", str(tmp_path / "sim"), "--out",
                                     str(html), "--html"]).exit_code == 0
    text = html.read_text(encoding="utf-8")
    for expected in ("评估项目总体报告", "排名与梯队", "全省（项目总体）指标估计", "跨单位问题",
                     "各单位概况", 'id="unit-sim-001"', 'id="unit-sim-002"', "模拟数据"):
        assert expected in text, expected


def map_points(html: str) -> list[dict]:
    return json.loads(html.split('id="map-points">', 1)[1].split("</script>", 1)[0])


def test_the_dashboard_maps_the_units_coloured_by_grade_then_tier(app, client, field,
                                                                  scored_programme):
    """Unit 1 where the sheet put it (the seed's made-up spot), unit 2 without one: at the
    centre of its household visits' geopoints, recomputed here from its bundle's household.csv.
    Grey before scoring; once ranked, coloured by tier, with its ranks in the popup."""
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        second = db.scalar(select(Evaluation).where(Evaluation.key == "sim-002"))
        second.latitude = second.longitude = None
        programme = db.get(Programme, scored_programme)
        household = unit_files(programme, 2, 220, 42)["household.csv"].decode("utf-8-sig")
        visited = set(db.scalars(select(Submission.household_id).where(  # one stratum is left
            Submission.evaluation_id == second.id, Submission.source == "household")))
    located = [row["location"].split()[:2] for row in csv.DictReader(io.StringIO(household))
               if row.get("location") and row["household_id"] in visited]
    centre = (sum(float(a) for a, _ in located) / len(located),
              sum(float(b) for _, b in located) / len(located))
    sign_in(client, "f-lead")
    base = f"/programmes/{scored_programme}"
    html = client.get(base).text
    points = {p["key"]: p for p in map_points(html)}
    assert (points["sim-001"]["lat"], points["sim-001"]["lon"]) == unit_location(1)
    assert points["sim-002"]["lat"] == pytest.approx(centre[0], abs=1e-6)
    assert points["sim-002"]["lon"] == pytest.approx(centre[1], abs=1e-6)
    assert "位置为其有定位的入户记录的中心" in points["sim-002"]["lines"]
    assert {p["kind"] for p in points.values()} == {"level-none"} and "未评分" in html
    assert points["sim-001"]["url"].endswith(f"/evaluations/{points['sim-001']['url'].split('/')[-1]}")
    assert "vendor/leaflet/leaflet.js" in html and "js/map.js" in html
    assert "://" not in html.split('id="map"', 1)[1].split("</script>", 1)[0]  # no tiles: ours only

    assert client.post(base + "/score").status_code == 302  # the job runs (in a thread here)
    result = json.loads(client.get(base + "/result.json").text)
    tiers = {u["key"]: u["tier"] for u in result["ranking"]["units"]}
    en = client.get(base + "?lang=en").text
    points = {p["key"]: p for p in map_points(en)}
    for key, tier in tiers.items():
        assert points[key]["kind"] == f"level-{min(tier, 6)}"
        assert any(line.startswith(f"Tier {tier}, possible ranks ") for line in points[key]["lines"])
    assert "Map of units" in en and f'class="dot level-{min(tiers.values())}"' in en


def test_the_dashboard_map_takes_the_configured_tiles(app, client, field, scored_programme):
    app.config["MAP_TILES"] = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
    sign_in(client, "f-lead")
    page = client.get(f"/programmes/{scored_programme}")
    assert 'data-tiles="https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&amp;x={x}' in page.text
    policy = dict(d.strip().split(" ", 1) for d in page.headers["Content-Security-Policy"].split(";"))
    assert policy["img-src"] == "'self' data: blob: https://*.tianditu.gov.cn"


def test_the_units_centres_are_kept_until_the_data_change(app, field, scored_programme):
    """Centres cost a read of every visit's geopoint: kept per change stamp, recomputed on a
    new one (a new or edited record always moves the stamp: service.change_stamp)."""
    from evaluator.programmes.service import change_stamp
    from evaluator.programmes.unit_map import unit_locations

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        programme = db.get(Programme, scored_programme)
        for unit in db.scalars(select(Evaluation).where(Evaluation.programme_id == programme.id)):
            unit.latitude = unit.longitude = None
        stamp = change_stamp(db, programme)
        before = unit_locations(db, programme, stamp)
        moved = db.scalars(select(Submission).where(Submission.source == "household")).first()
        moved.gps_lat, moved.gps_lon = 89.0, 179.0  # far away: the unit's centre would move
        db.flush()
        assert unit_locations(db, programme, stamp) == before  # the same stamp: kept
        after = unit_locations(db, programme, stamp + "-next")
        assert after[moved.evaluation_id] != before[moved.evaluation_id]
        assert unit_locations(db, programme) == after  # no stamp: always computed
