"""Pages in both languages through the catalogs; styled error pages with a way back."""

from __future__ import annotations

import re
from html import unescape

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_language_switch_keeps_the_query_string(client, sign_in, field):
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}/submissions?state=approved&source=household"
    html = client.get(url).get_data(as_text=True)
    switch = unescape(re.search(r'<a class="pill" href="([^"]*)" lang="en"', html).group(1))
    assert switch.startswith(f"/evaluations/{field.evaluation_id}/submissions?")
    assert "state=approved" in switch and "source=household" in switch and "lang=en" in switch
    english = client.get(switch).get_data(as_text=True)
    assert '<html lang="en">' in english and "Records" in english
    back = unescape(re.search(r'<a class="pill" href="([^"]*)" lang="zh-CN"', english).group(1))
    assert "state=approved" in back and "lang=zh" in back


def test_the_header_names_the_role_in_the_page_language(client, sign_in, field):
    sign_in("evaluator")
    assert "调查员" in client.get("/?lang=zh").get_data(as_text=True)
    assert "· </span>Evaluator</span>" in client.get("/?lang=en").get_data(as_text=True)


def test_not_found_is_a_styled_page_with_a_way_back(client):
    response = client.get("/no-such-page", headers={"Referer": "http://localhost/"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "页面不存在" in html and 'class="error-page"' in html
    assert 'href="/"' in html  # home
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "Page not found" in english and not CJK.search(english.replace("中文", ""))


def test_forbidden_is_a_styled_page(client, sign_in, field):
    sign_in("evaluator")
    response = client.get(f"/evaluations/{field.evaluation_id}/sample",
                          headers={"Referer": f"http://localhost/evaluations/{field.evaluation_id}"})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "没有权限" in html and f'href="http://localhost/evaluations/{field.evaluation_id}"' in html


def test_a_referrer_from_another_site_is_not_offered_as_the_way_back(client):
    html = client.get("/nowhere", headers={"Referer": "https://evil.example/x"}).get_data(as_text=True)
    assert "evil.example" not in html


def test_server_error_is_a_styled_page_and_writes_nothing(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "出错了" in html and "RuntimeError" not in html  # no traceback


def test_the_api_still_answers_unknown_paths_in_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.is_json and "openapi" in response.get_json()["message"]
