"""The paged questionnaire, server side: a survey whose settings say ``style: pages`` is cut into
one page per top-level group or repeat (questions between groups share one), and the page
carries the pager and its script; a survey without the setting is served as before."""

from __future__ import annotations

import json
import re

from evaluator.fieldwork.forms import pages

HOUSEHOLD_GROUPS = ["basic", "household", "income", "needs_group", "aid", "assurances", "exit",
                    "closing"]


def form_page(client, field) -> str:
    response = client.get(f"/evaluations/{field.evaluation_id}/collect/household/{field.sample[0]}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_paged_survey_gets_one_page_per_group(paged_survey, client, field, sign_in):
    sign_in("evaluator")
    html = form_page(client, field)
    assert re.search(r'<form id="questionnaire"[^>]* data-paged', html)
    cut = html.split('data-page="')[1:]
    assert [c.split('"', 1)[0] for c in cut] == [str(k) for k in range(1, 9)]
    firsts = [re.search(r'data-(?:group|repeat)="([^"]+)"', c).group(1) for c in cut]
    assert firsts == HOUSEHOLD_GROUPS
    assert 'data-pager aria-label="分页" hidden' in html  # shown by the script
    assert "data-page-back" in html and "data-page-next" in html and "js/pages.js" in html
    text = json.loads(html.split('<script type="application/json" id="form-text">')[1]
                      .split("</script>")[0])
    assert text["page"] == "第 {n}/{total} 页"


def test_a_survey_without_the_setting_is_one_long_page(client, field, sign_in):
    sign_in("evaluator")
    html = form_page(client, field)
    assert "data-paged" not in html and "data-page=" not in html and "data-pager" not in html
    assert 'data-group="basic"' in html and 'data-group="closing"' in html


def test_questions_between_groups_share_a_page():
    group = {"kind": "group", "name": "g"}
    repeat = {"kind": "repeat", "name": "r"}
    a, b, c = ({"kind": "field", "name": n} for n in "abc")
    note = {"kind": "note", "name": "n"}
    assert pages([a, b, group, note, c, repeat]) == [[a, b], [group], [note, c], [repeat]]
    assert pages([group, repeat]) == [[group], [repeat]]
    assert pages([a]) == [[a]] and pages([]) == []
