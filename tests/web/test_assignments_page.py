"""My assignments at the size of a real team member's workload: the task cards are paged on the
server (50 a page), the search and the status filter work across all pages, the counts per
status are shown, and page links keep the query string. The offline side (every kept household
on one page when the page is a stand-in) is tests/browser/test_assignments_offline.py."""

import gzip
import json
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.fieldwork.collect.views import TASKS_PER_PAGE
from evaluator.fieldwork.manage.scale import add_assigned_households
from evaluator.fieldwork.models import Assignment, Evaluation, Household


@pytest.fixture
def busy(app, field):
    """The fixture's 12 tasks (6 households x household + file check) and 120 more households;
    the first 7 added are submitted. 132 tasks: 3 pages of 50, 50 and 32."""
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        evaluation = db.get(Evaluation, field.evaluation_id)
        evaluator = db.get(User, field.users["evaluator"])
        added = add_assigned_households(db, evaluation, evaluator, 120)
        for a in db.scalars(select(Assignment).join(Household).where(
                Household.household_id.in_(added[:7]))):
            a.status = "submitted"
    return added


def cards(html: str) -> list[str]:
    return re.findall(r'<span class="hh">([^<]+)</span>', html)


def page_links(html: str) -> dict[str, dict[str, list[str]]]:
    nav = html.split('<nav class="pager"')[1].split("</nav>")[0]
    return {text: parse_qs(urlsplit(href.replace("&amp;", "&")).query)
            for href, text in re.findall(r'href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


def test_task_cards_come_fifty_a_page_with_counts_and_page_links(client, sign_in, field, busy):
    assert TASKS_PER_PAGE == 50
    sign_in("evaluator")
    first = client.get("/assignments").get_data(as_text=True)
    assert len(cards(first)) == 50
    assert "第 1–50 条，共 132 条" in first
    assert "全部 (132)" in first and "待调查 (125)" in first and "已提交 (7)" in first
    assert "7/132 已提交" in first  # the evaluation's progress: all my tasks, not this page's
    assert "第 1 页，共 3 页" in first
    links = page_links(first)
    assert links["2"] == {"page": ["2"]} and links["3"] == {"page": ["3"]}
    seen = cards(first)
    for n, size in ((2, 50), (3, 32)):
        html = client.get("/assignments", query_string={"page": n}).get_data(as_text=True)
        assert len(cards(html)) == size, n
        seen += cards(html)
    # The three pages together: every task exactly once (a fixture household has two tasks).
    assert Counter(seen) == Counter([*busy, *(2 * (field.sample + field.reserve))])
    # Past the last page, or not a number: the last page, the first page.
    assert "第 3 页，共 3 页" in client.get("/assignments?page=99").get_data(as_text=True)
    assert "第 1 页，共 3 页" in client.get("/assignments?page=x").get_data(as_text=True)


def test_search_and_status_filter_work_across_pages_and_links_keep_them(
        app, client, sign_in, field, busy):
    sign_in("evaluator")
    last = busy[-1]  # on page 3 of the whole list
    assert last not in client.get("/assignments").get_data(as_text=True)
    found = client.get("/assignments", query_string={"q": last}).get_data(as_text=True)
    assert cards(found) == [last] and "共 1 条" in found
    with app.extensions["evaluator.sessionmaker"]() as db:
        head = db.scalar(select(Household.head_name).where(
            Household.household_id == field.sample[0]))
    by_name = client.get("/assignments", query_string={"q": head[1:]}).get_data(as_text=True)
    assert cards(by_name) == [field.sample[0]] * 2  # household and file check
    done = client.get("/assignments", query_string={"status": "submitted"}).get_data(as_text=True)
    assert sorted(cards(done)) == sorted(busy[:7]) and '<nav class="pager"' not in done
    todo = client.get("/assignments", query_string={"status": "assigned", "q": "LD"}).get_data(
        as_text=True)
    assert "共 113 条" in todo and "待调查 (113)" in todo and "已提交 (7)" in todo
    links = page_links(todo)
    assert links["下一页 →"] == {"status": ["assigned"], "q": ["LD"], "page": ["2"]}
    second = client.get("/assignments", query_string={"status": "assigned", "q": "LD",
                                                      "page": 3}).get_data(as_text=True)
    assert len(cards(second)) == 13 and not set(cards(second)) & set(busy[:7])
    assert page_links(second)["← 上一页"] == {"status": ["assigned"], "q": ["LD"], "page": ["2"]}
    # The language switch keeps the page and the filters too.
    assert "page=3" in second.split('lang="en"')[0].rsplit("href=", 1)[1]


def test_the_kept_list_names_every_task_for_the_offline_page(client, sign_in, field, busy):
    """/api/v1/assignments carries what a task card shows, so the tablet can list every
    household offline (tasks.js), in the page's language."""
    sign_in("evaluator")
    body = client.get("/api/v1/assignments").get_json()
    tasks = [f for f in body["forms"] if "household" in f]
    assert len(tasks) == 132
    one = next(f for f in tasks if f["household"] == busy[0])
    assert one["source"] == "household" and one["place"] == "城关镇 · 深度困难"
    assert one["url"] == f"/evaluations/{field.evaluation_id}/collect/household/{busy[0]}"
    assert one["open"] is False and one["evaluation"] == field.evaluation_id
    assert body["evaluations"] == {str(field.evaluation_id): "测试评估"}
    named = next(f for f in tasks if f["household"] == field.sample[0])
    assert named["name"] and named["name"] in client.get(
        "/assignments", query_string={"q": field.sample[0]}).get_data(as_text=True)
    assert body["sources"]["household"] == "入户调查" and "file_check" in body["sources"]
    english = client.get("/api/v1/assignments?lang=en").get_json()
    assert english["evaluations"] == {str(field.evaluation_id): "Test evaluation"}


def test_the_kept_list_is_compressed_and_stays_conditional_html_is_not(
        client, sign_in, field, busy):
    """The list the worker keeps (132 tasks here, 600+ in the field) is sent gzip-compressed to a
    client that accepts it, its weak ETag still gives a 304; pages are not compressed (they
    carry the CSRF token beside echoed search words: BREACH)."""
    sign_in("evaluator")
    plain = client.get("/api/v1/assignments")
    zipped = client.get("/api/v1/assignments", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    assert len(zipped.data) * 5 < len(plain.data)
    tag = zipped.headers["ETag"]
    assert tag.startswith('W/"')
    again = client.get("/api/v1/assignments", headers={"Accept-Encoding": "gzip",
                                                       "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/api/v1/assignments", headers={"If-None-Match": plain.headers["ETag"]}
                      ).status_code == 304
    page = client.get("/assignments?q=CG", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
