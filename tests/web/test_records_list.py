"""The records list at scale: paging, search, filters and sort in the database; bulk review with
one review event and one audit entry per record; answers by their labels on the review page."""

import re
import uuid
from datetime import datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from evaluator.auth.models import User
from evaluator.fieldwork.models import (
    AuditEntry,
    EvaluationSurvey,
    Household,
    ReviewEvent,
    Submission,
)
from evaluator.fieldwork.review.records import PAGE_SIZE

#: 2026-11-02 16:30 UTC is 2026-11-03 00:30 in Shanghai: the first record of the 3rd, locally.
START = datetime(2026, 11, 2, 16, 30)
STATES = ("received", "approved", "hasIssues")


@pytest.fixture
def many(app, field):
    """130 household records, one current record per household as the database allows (the
    roster's 8 households, then 122 more added to it, "CG001-009" in CG001's stratum, township
    and head name pattern), 3 states, one submitter, received an hour apart from START; plus 2
    file checks of the first household."""
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        survey = {s.source: s.survey_version_id for s in db.scalars(select(EvaluationSurvey))}
        evaluator_id = db.scalar(select(User.id).where(User.username == field.username("evaluator")))
        households = sorted(h for hs in field.strata.values() for h in hs)
        rows = {h.household_id: h for h in db.scalars(select(Household).where(
            Household.evaluation_id == field.evaluation_id))}
        for k in range(130):
            base = households[k % len(households)]
            code = household_of(k, households)
            if code != base:
                db.add(Household(evaluation_id=field.evaluation_id, household_id=code,
                                 stratum=rows[base].stratum, row_number=1000 + k,
                                 data={**rows[base].data, "household_id": code,
                                       "head_name": f"演示户{code}"},
                                 head_name=f"演示户{code}"))
            db.add(Submission(
                instance_id=str(uuid.uuid4()), evaluation_id=field.evaluation_id,
                source="household", survey_version_id=survey["household"],
                household_id=code, submitter_id=evaluator_id,
                data={"household_id": code}, body_hash="0" * 64,
                review_state=STATES[k % 3], received_at=START + timedelta(hours=k)))
        for k in range(2):
            db.add(Submission(
                instance_id=str(uuid.uuid4()), evaluation_id=field.evaluation_id,
                source="file_check", survey_version_id=survey["file_check"],
                household_id=households[k], submitter_id=evaluator_id, data={},
                body_hash="0" * 64, received_at=START + timedelta(days=30, hours=k)))
    return field


def household_of(k: int, households: list[str]) -> str:
    """The household of the k-th record: the roster's own for the first 8, then new ones."""
    base = households[k % len(households)]
    return base if k < len(households) else f"{base}-{k:03d}"


def listing(client, field, **args):
    html = client.get(f"/evaluations/{field.evaluation_id}/submissions",
                      query_string=args).get_data(as_text=True)
    total = int(re.search(r"<h1>.*?<small class=\"muted\">([\d,]+)</small>", html).group(1)
                .replace(",", ""))
    ids = re.findall(r'name="ids" value="([0-9a-f-]{36})"', html)
    return total, ids, html


def test_pages_of_fifty(client, sign_in, many):
    sign_in("lead")
    total, first, html = listing(client, many)
    assert total == 132 and len(first) == PAGE_SIZE
    assert "第 1–50 条，共 132 条" in html and "第 1 页，共 3 页" in html
    _, third, _ = listing(client, many, page=3)
    assert len(third) == 132 - 2 * PAGE_SIZE
    assert not set(first) & set(third)
    _, beyond, _ = listing(client, many, page=9)
    assert beyond == []


def test_filters_and_search(client, sign_in, many):
    sign_in("lead")
    assert listing(client, many, state="approved")[0] == 130 // 3 + (130 % 3 > 1)
    assert listing(client, many, state="open")[0] == 132 - (130 // 3 + (130 % 3 > 1))
    assert listing(client, many, source="file_check")[0] == 2
    everyone = sorted(h for hs in many.strata.values() for h in hs)
    stratum, households = next(iter(many.strata.items()))
    in_stratum = sum(1 for k in range(130) if everyone[k % len(everyone)] in households)
    assert listing(client, many, stratum=stratum, source="household")[0] == in_stratum
    first = everyone[0]
    assert listing(client, many, q=first)[0] == sum(  # household codes start with the query
        1 for k in range(130) if everyone[k % len(everyone)] == first) + 1  # + its file check
    town = sum(1 for k in range(130) if everyone[k % len(everyone)].startswith("CG"))
    assert listing(client, many, q="演示户CG")[0] == town + 2  # head names (file checks too)
    assert listing(client, many, q="f-eval")[0] == 132  # the evaluator's username
    assert listing(client, many, q="nobody-here")[0] == 0


def test_the_date_range_is_in_the_evaluations_time_zone(client, sign_in, many):
    sign_in("lead")
    # Shanghai 2026-11-03 holds the records received 2026-11-02 16:00 UTC .. 2026-11-03 15:59 UTC:
    # k = 0 (16:30 UTC, 00:30 local) .. k = 23 (15:30 UTC next day, 23:30 local): 24 records.
    assert listing(client, many, **{"from": "2026-11-03", "to": "2026-11-03"})[0] == 24
    assert listing(client, many, **{"to": "2026-11-02"})[0] == 0


def test_flags_and_sort(client, sign_in, many):
    sign_in("lead")
    total, _, html = listing(client, many, flag="no_gps")
    assert total == 130  # every household visit, none with a location; file checks have none
    assert "缺少定位" in html
    # no "duplicate household" flag (one current record per household and source): an unknown
    # flag filters nothing
    assert listing(client, many, flag="duplicate")[0] == listing(client, many)[0]
    _, ids, html = listing(client, many, sort="household", order="asc", source="household")
    households = re.findall(r'<td><a href="[^"]+">(CG\d+)</a>', html)
    assert households == sorted(households)


def test_a_bad_query_string_never_fails(client, sign_in, many):
    sign_in("lead")
    response = client.get(f"/evaluations/{many.evaluation_id}/submissions?page=x&from=2026-13-45"
                          "&submitter=abc&sort=drop&state=nonsense&flag=%27")
    assert response.status_code == 200


def test_the_language_switch_keeps_the_filters(client, sign_in, many):
    sign_in("lead")
    _, _, html = listing(client, many, state="approved", page=2)
    switch = unescape(re.search(r'<a class="pill" href="([^"]*)" lang="en"', html).group(1))
    assert "state=approved" in switch and "page=2" in switch


def test_bulk_approval_writes_one_review_and_one_audit_entry_per_record(app, client, sign_in,
                                                                         many):
    sign_in("lead")
    _, ids, _ = listing(client, many, state="received")
    ticked = ids[:7]
    response = client.post(f"/evaluations/{many.evaluation_id}/submissions/bulk",
                           data={"decision": "approved", "scope": "selected", "ids": ticked,
                                 "comment": "核对无误"})
    assert response.status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        audits = db.scalars(select(AuditEntry).where(AuditEntry.action == "submission.review")).all()
        events = db.scalar(select(func.count(ReviewEvent.id)))
        states = set(db.scalars(select(Submission.review_state)
                                .where(Submission.instance_id.in_(ticked))))
    assert sorted(a.object_id for a in audits) == sorted(ticked) and events == 7
    assert states == {"approved"} and {a.new_value["comment"] for a in audits} == {"核对无误"}


def test_bulk_review_of_everything_the_filters_match(app, client, sign_in, many):
    sign_in("lead")
    url = f"/evaluations/{many.evaluation_id}/submissions/bulk"
    total = listing(client, many, state="received")[0]
    stale = client.post(url, data={"decision": "approved", "scope": "filtered",
                                   "state": "received", "expected": total + 1})
    assert stale.status_code == 409  # the lead saw another number than what matches now
    missing_comment = client.post(url, data={"decision": "hasIssues", "scope": "filtered",
                                             "expected": 132})
    assert missing_comment.status_code == 400
    done = client.post(url + "?", data={"decision": "hasIssues", "scope": "filtered",
                                        "expected": 132, "comment": "缺少签字"})
    assert done.status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        audits = db.scalar(select(func.count(AuditEntry.id))
                           .where(AuditEntry.action == "submission.review"))
        already = db.scalar(select(func.count(Submission.id))
                            .where(Submission.review_state == "hasIssues"))
    assert already == 132 and audits == 132 - (130 // 3)  # those already hasIssues unchanged


def test_only_the_lead_reviews_in_bulk(client, sign_in, many):
    sign_in("evaluator")
    assert client.post(f"/evaluations/{many.evaluation_id}/submissions/bulk",
                       data={"decision": "approved", "scope": "filtered",
                             "expected": 132}).status_code in (403, 404)


def test_answers_show_their_labels_and_codes_on_request(client, sign_in, field, api_post,
                                                        household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    assert api_post(record).status_code == 201
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}/submissions/{record['instance_id']}"
    html = client.get(url).get_data(as_text=True)
    assert "<td>本人</td>" in html  # respondent_relation = self
    assert "因病、" in html or "因病" in html  # hardship_cause = "illness" (select_multiple)
    assert "<code>self</code>" not in html
    with_codes = client.get(url + "?codes=1").get_data(as_text=True)
    assert "本人 <code>self</code>" in with_codes
    english = client.get(url + "?lang=en").get_data(as_text=True)
    assert "<td>The worker</td>" in english
    assert re.search(r"202\d年\d+月\d+日", html)  # times by Babel, in the page's locale


def map_points_of(html: str) -> list[dict]:
    import json

    return json.loads(unescape(re.search(r'<script type="application/json" id="map-points">(.*?)'
                                         r'</script>', html, re.S).group(1)))


def test_the_map_draws_located_visits_and_highlights_flagged_ones(app, client, sign_in, many):
    with app.extensions["evaluator.sessionmaker"]() as db:
        rows = db.scalars(select(Submission).where(Submission.source == "household")
                          .order_by(Submission.id)).all()
        short = set()
        for k, s in enumerate(rows):
            if k % 3 == 0:  # a 5-minute interview: flagged "short"
                s.started_at, s.ended_at = s.received_at - timedelta(minutes=5), s.received_at
                short.add(s.household_id)
            if k % 10 == 0:
                continue  # no location at all
            if k % 2:
                s.gps_lat, s.gps_lon = 36.0 + k / 1000, 103.8 + k / 1000  # the tablet's GPS
            else:
                s.data = {**s.data, "location": f"{35.9 + k / 1000:.6f} 103.7 1560 20"}  # answer
        db.commit()
    sign_in("lead")
    html = client.get(f"/evaluations/{many.evaluation_id}/map").get_data(as_text=True)
    points = map_points_of(html)
    assert len(points) == 130 - 13 and "13 条记录没有定位" in html
    assert {round(p["lat"], 3) for p in points} >= {36.001, 35.902}
    located = {p["household"] for p in points}
    assert {p["household"] for p in points if p["flags"]} == short & located
    assert all(p["township"] in ("城关镇", "清水河镇") for p in points)
    assert "vendor/leaflet/leaflet.js" in html and "://" not in html.split("<main>")[1].split(
        'id="map-points"')[0]  # no outside address: Leaflet is ours, tiles are not configured
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    only = map_points_of(client.get(f"/evaluations/{many.evaluation_id}/map?state=approved")
                         .get_data(as_text=True))
    assert 0 < len(only) < len(points) and {p["state"] for p in only} == {"approved"}


def test_the_map_uses_configured_tiles(app, client, sign_in, many):
    app.config["MAP_TILES"] = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
    sign_in("lead")
    page = client.get(f"/evaluations/{many.evaluation_id}/map")
    assert 'data-tiles="https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&amp;x={x}' in \
        page.get_data(as_text=True)
    # the tile server's images, and nothing more, are allowed on this page only
    policy = dict(d.strip().split(" ", 1) for d in page.headers["Content-Security-Policy"].split(";"))
    assert policy["img-src"] == "'self' data: blob: https://*.tianditu.gov.cn"
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert "tianditu" not in client.get(f"/evaluations/{many.evaluation_id}/submissions") \
        .headers["Content-Security-Policy"]


def test_map_tiles_the_policy_cannot_allow_are_left_out(app, client, sign_in, many):
    app.config["MAP_TILES"] = "javascript:alert(1)//{z}/{x}/{y}"
    sign_in("lead")
    page = client.get(f"/evaluations/{many.evaluation_id}/map")
    assert page.status_code == 200 and 'data-tiles=""' in page.get_data(as_text=True)
    assert "javascript" not in page.headers["Content-Security-Policy"]
