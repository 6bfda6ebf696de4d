"""The map of units on the programme dashboard in Chromium, under the real Content-Security-
Policy: the vendored Leaflet and the sample map's code (static/js/map.js) draw one marker per
unit on a blank base (no tiles), the regions named, and a marker's popup links to its unit.
Screenshots (EVALUATOR_SHOTS) at 1024x768 and 768x1024 in Chinese and English."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tablet_steps import sign_in_browser, watch

from evaluator.auth.models import User
from evaluator.programmes import operations as programmes
from evaluator.programmes.models import Programme
from evaluator.programmes.seed import REGIONS, seed_unit
from evaluator.rubrics.models import RubricVersion
from tests.browser.test_offline_fieldwork import shot

pytestmark = pytest.mark.browser

UNITS = 10


@pytest.fixture
def province(app, field):
    """Ten small synthetic units over the eight synthetic regions (two regions hold two),
    scored and ranked."""
    from evaluator.bundle.demo import PERIOD_END, PERIOD_START

    storage = app.extensions["evaluator.storage"]
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        people = {role: db.get(User, field.users[role]) for role in ("lead", "evaluator", "viewer")}
        programme = programmes.create_programme(
            db, people["lead"], key="map", title_zh="模拟省2026年评估（模拟）",
            title_en="Synthetic province 2026 (synthetic)", commissioning_body="省总工会（模拟）",
            period_start=PERIOD_START, period_end=PERIOD_END,
            rubric=db.scalar(select(RubricVersion)), stratum_column="stratum", synthetic=True)
        for number in range(1, UNITS + 1):
            seed_unit(db, programme, number, households=60, seed=100 + number,
                      lead=people["lead"], evaluator=people["evaluator"],
                      viewer=people["viewer"], storage=storage)
        programme_id = programme.id
    client = app.test_client()  # scored and ranked: the markers take their tiers' colours
    client.post("/auth/login", data={"username": "f-lead", "password": field.password})
    assert client.post(f"/programmes/{programme_id}/score").status_code == 302
    assert client.get(f"/programmes/{programme_id}/result.json").status_code == 200
    return programme_id


def test_the_units_are_on_the_map_and_a_marker_opens_its_unit(app, field, live_server, tablet,
                                                               shots, province):
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(Programme, province) is not None
    for width, height in ((1024, 768), (768, 1024)):
        for lang in ("zh", "en"):
            page = tablet(width=width, height=height, enforce_csp=True).new_page()
            problems = watch(page)
            sign_in_browser(page, live_server, "f-lead", field.password)
            response = page.goto(f"{live_server}/programmes/{province}?lang={lang}#map")
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_selector("#sample-map.leaflet-container canvas")
            labels = page.locator("#sample-map .town-label").all_inner_texts()
            assert sorted(labels) == sorted(REGIONS)  # every region named at its units' centre
            # every marker inside the visible map, none off the box
            spots = page.evaluate("""() => {
                const box = document.getElementById('sample-map'), map = box.leafletMap;
                const points = JSON.parse(document.getElementById('map-points').textContent);
                return points.map(p => { const at = map.latLngToContainerPoint([p.lat, p.lon]);
                    return {x: at.x, y: at.y, w: box.clientWidth, h: box.clientHeight,
                            key: p.key, url: p.url}; }); }""")
            assert len(spots) == UNITS
            assert all(0 <= s["x"] <= s["w"] and 0 <= s["y"] <= s["h"] for s in spots), spots
            box = page.locator("#sample-map").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width  # the map fits the screen
            page.locator("#map").scroll_into_view_if_needed()
            shot(page, shots, f"unit-map-{width}x{height}-{lang}.png")
            # a marker's popup names its unit and links to it
            target = spots[0]
            page.locator("#sample-map").click(position={"x": target["x"], "y": target["y"]})
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for()
            page.wait_for_timeout(400)  # Leaflet fades the popup in
            assert popup.locator("a").get_attribute("href") == target["url"]
            assert ("样本" if lang == "zh" else "sampled households visited") in popup.inner_text()
            shot(page, shots, f"unit-map-popup-{width}x{height}-{lang}.png")
            with page.expect_navigation():
                popup.locator("a").click()
            assert page.url.endswith(target["url"])
            assert problems == []
            page.context.close()


def test_the_sample_map_draws_with_the_same_code(app, field, live_server, tablet, shots,
                                                 province):
    """One unit's sample map (static/js/map.js, as before the units' map shared it): every
    located visit a marker, the townships named, a popup naming the household."""
    from evaluator.fieldwork.models import Evaluation

    with app.extensions["evaluator.sessionmaker"]() as db:
        unit = db.scalar(select(Evaluation.id).where(Evaluation.key == "map-001"))
    page = tablet(enforce_csp=True).new_page()
    problems = watch(page)
    sign_in_browser(page, live_server, "f-lead", field.password)
    page.goto(f"{live_server}/evaluations/{unit}/map")
    page.wait_for_selector("#sample-map.leaflet-container canvas")
    drawn = page.evaluate("""() => {
        const box = document.getElementById('sample-map'), map = box.leafletMap;
        const points = JSON.parse(document.getElementById('map-points').textContent);
        let markers = 0;
        map.eachLayer(layer => { if (layer instanceof L.CircleMarker) markers += 1; });
        const first = map.latLngToContainerPoint([points[0].lat, points[0].lon]);
        return {markers, points: points.length, x: first.x, y: first.y,
                household: points[0].household}; }""")
    assert drawn["markers"] == drawn["points"] >= 5
    assert page.locator("#sample-map .town-label").count() >= 2
    shot(page, shots, "sample-map-1024x768-zh.png")
    page.locator("#sample-map").click(position={"x": drawn["x"], "y": drawn["y"]})
    page.locator(".leaflet-popup-content").wait_for()
    assert page.locator(".leaflet-popup-content a").count() == 1
    assert problems == []
