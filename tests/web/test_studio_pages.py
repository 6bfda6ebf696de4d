"""The studio through its pages: start from the shipped rubric, edit in the form, check, try it
on the demo bundle (the score sheet byte for byte ``evaluator score --what-if``), publish,
refuse edits afterwards, compare versions; conflicts, structure buttons, YAML in and out."""

from __future__ import annotations

import copy
import io
import re
from html.parser import HTMLParser

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from evaluator.cli import main
from evaluator.fieldwork.models import AuditEntry, Evaluation
from evaluator.paths import RUBRICS_DIR
from evaluator.rubrics.models import RubricVersion
from evaluator.studio.models import RubricDraft

SHIPPED = yaml.safe_load((RUBRICS_DIR / "union-hardship.yaml").read_text(encoding="utf-8"))
O1 = "dimensions[5].indicators[0]"


class EditorInputs(HTMLParser):
    """The (name, value) pairs the editor form would send, as a browser builds them."""

    def __init__(self, form_id: str = "editor"):
        super().__init__()
        self.form_id, self.inside, self.pairs = form_id, False, []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or a.get("disabled") is not None and tag != "option":
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button",
                                                                      "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, s in self._options if s] or [v for v, _ in self._options[:1]]
            self.pairs.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.pairs.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def inputs(html: str) -> list[tuple[str, str]]:
    parser = EditorInputs()
    parser.feed(html)
    return parser.pairs


def english(problems):
    """The problems as ``evaluator check`` words them (the page's own words are ``text``)."""
    return [{"where": p["where"], "message": p["message"]} for p in problems]


def with_values(pairs, **changes):
    changes = {k.replace("__", "."): v for k, v in changes.items()}
    return [(name, changes.get(name, value)) for name, value in pairs]


@pytest.fixture
def author(app, client, definitions, make_user):
    make_user("author1", "author")
    make_user("author2", "author")
    assert client.post("/auth/login", data={"username": "author1",
                                            "password": "secret-pass"}).status_code == 302
    return client


def start(client) -> str:
    response = client.post("/studio/drafts", data={"origin": "shipped",
                                                   "shipped": "union-hardship.yaml"})
    assert response.status_code == 303
    return response.headers["Location"]


def draft_of(app, url) -> dict:
    with app.extensions["evaluator.sessionmaker"]() as db:
        draft = db.get(RubricDraft, int(url.rsplit("/", 1)[1]))
        return {"content": draft.content, "lock": draft.lock_version, "status": draft.status}


def autosave(client, url, pairs, lock=None):
    headers = {"If-Match": f'"draft-{url.rsplit("/", 1)[1]}-{lock}"'} if lock else {}
    return client.post(url + "/autosave", data=MultiDict(pairs), headers=headers)


def test_the_form_gives_back_the_rubric_it_shows(app, author):
    url = start(author)
    before = draft_of(app, url)
    page = author.get(url)
    assert page.status_code == 200 and page.headers["ETag"] == f'"draft-1-{before["lock"]}"'
    saved = autosave(author, url, inputs(page.text))
    assert saved.status_code == 200, saved.text
    after = draft_of(app, url)
    assert after["content"] == before["content"]
    assert after["content"] == {**SHIPPED, "version": before["content"]["version"]}
    assert after["lock"] == before["lock"] + 1 and saved.get_json()["problems"] == []


def test_studio_create_edit_check_what_if_publish_immutable_diff(app, author, tmp_path):
    url = start(author)
    fields = inputs(author.get(url).text)
    # edit: the first step of 错退率 (O1, lower is better) beyond the second: a problem
    broken = with_values(fields, **{f"{O1}.steps[0].at": "0.5"})
    answer = autosave(author, url, broken).get_json()
    assert english(answer["problems"]) == [{
        "where": f"{O1}.steps[1]",
        "message": "at 0.05 must be above the previous step's 0.5 (direction lower: best first)"}]
    assert answer["problems"][0]["text"] == "at 0.05 必须高于上一档的 0.5（方向 lower：最好的一档在前）"
    page = author.get(url).text
    assert re.search(r'data-problems-for="dimensions\[5\]\.indicators\[0\]\.steps\[1\]"><li>'
                     r"at 0.05 必须高于上一档的 0.5", page), "the problem is shown beside its step"
    # publishing is impossible while a rule fails
    refused = author.post(url + "/publish", data={"change_note": "try",
                                                  "lock_version": answer["lock_version"]})
    assert refused.status_code == 400 and "at 0.05 必须高于上一档的 0.5" in refused.text
    # fixed: 错退率 up to 50 % earns the full 8 points
    fixed = with_values(fields, **{f"{O1}.steps[0].at": "0.5", f"{O1}.steps[1].at": "0.6"})
    answer = autosave(author, url, fixed, lock=answer["lock_version"]).get_json()
    assert answer["problems"] == []
    assert answer["totals"]["total"] == 100 and answer["totals"]["dimensions_sum"] == 100
    # what-if on the demo bundle: the draft's sheet is evaluator score's, byte for byte
    sheet = author.get(url + "/whatif.json?against=demo")
    assert sheet.status_code == 200
    draft_yaml = author.get(url + "/rubric.yaml")
    assert draft_yaml.headers["Content-Type"].startswith("application/yaml")
    path = tmp_path / "draft.yaml"
    path.write_bytes(draft_yaml.data)
    bundle = tmp_path / "instance" / "demo-bundle"
    cli = CliRunner().invoke(main, ["score", str(bundle), "--rubric", str(path), "--what-if",
                                    "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert cli.output.encode("utf-8") == sheet.data
    comparison = author.get(url + "/whatif?against=demo")
    assert comparison.status_code == 200
    row = re.search(r'<tr class="changed" data-code="O1">.*?</tr>', comparison.text, re.S)
    assert row and "8.00/8.00" in row.group(0), "O1 is highlighted with its new points"
    # publish: an immutable version with its hash, who, when and why
    published = author.post(url + "/publish", data={"change_note": "错退率放宽到50%（试算）",
                                                    "lock_version": answer["lock_version"]})
    assert published.status_code == 303
    version_page = author.get(published.headers["Location"])
    with app.extensions["evaluator.sessionmaker"]() as db:
        new_version = yaml.safe_load(draft_yaml.data)["version"]
        assert new_version != SHIPPED["version"]
        stored = db.scalar(select(RubricVersion).where(RubricVersion.version == new_version))
        base = db.scalar(select(RubricVersion).where(RubricVersion.version == SHIPPED["version"]))
        assert stored.change_note == "错退率放宽到50%（试算）" and stored.based_on_id == base.id
        assert stored.content == yaml.safe_load(draft_yaml.data)
        assert db.scalar(select(AuditEntry.action).where(
            AuditEntry.object_type == "rubric")) == "rubric.publish"
    assert stored.content_hash in version_page.text
    # immutable: neither the form nor the live save changes it
    again = with_values(fields, **{f"{O1}.steps[0].at": "0.4", f"{O1}.steps[1].at": "0.6"})
    assert author.post(url, data=MultiDict([*again, ("do", "")])).status_code == 409
    assert autosave(author, url, again).status_code == 409
    assert draft_of(app, url)["status"] == "published"
    # diff between the two versions names O1's steps
    diff = author.get(f"/studio/diff?a={base.id}&b={stored.id}")
    assert diff.status_code == 200
    o1 = re.search(r'<tr class="changed" data-indicator="O1">.*?</tr>', diff.text, re.S)
    assert o1 and "steps" in o1.group(0) and "0.5" in o1.group(0)
    assert 'data-indicator="T1"' not in diff.text


def test_a_save_from_an_old_page_is_a_conflict_and_keeps_the_authors_work(app, author, client,
                                                                         make_user):
    url = start(author)
    page = author.get(url).text
    opened = draft_of(app, url)["lock"]
    other = app.test_client()
    assert other.post("/auth/login", data={"username": "author2",
                                           "password": "secret-pass"}).status_code == 302
    theirs = with_values(inputs(other.get(url).text), **{"title.zh": "乙改的标题"})
    assert autosave(other, url, theirs, lock=opened).status_code == 200
    mine = with_values(inputs(page), **{"title.zh": "甲改的标题"})
    conflict = autosave(author, url, mine, lock=opened)
    assert conflict.status_code == 409
    body = conflict.get_json()
    assert body["message"].startswith("您打开这份草稿后，另一位同事保存过它") and "甲改的标题" in body["unsaved"]
    full = author.post(url, data=MultiDict([*mine, ("do", "")]))  # the form's own lock_version is old
    assert full.status_code == 409 and "甲改的标题" in full.text and "乙改的标题" in full.text
    assert draft_of(app, url)["content"]["title"]["zh"] == "乙改的标题"


def test_structure_buttons_add_move_and_remove(app, author):
    url = start(author)
    fields = inputs(author.get(url).text)
    assert author.post(url, data=MultiDict([*fields, ("do", "add:dimensions[0].indicators")])).status_code \
        == 303
    content = draft_of(app, url)["content"]
    assert content["dimensions"][0]["indicators"][-1] == {"method": "rate"}
    fields = inputs(author.get(url).text)
    author.post(url, data=MultiDict([*fields, ("do", "up:dimensions[0].indicators[1]")]))
    codes = [i.get("code") for i in draft_of(app, url)["content"]["dimensions"][0]["indicators"]]
    assert codes == ["T2", "T1", "T3", None]
    fields = inputs(author.get(url).text)
    author.post(url, data=MultiDict([*fields, ("do", "remove:dimensions[0].indicators[3]")]))
    fields = inputs(author.get(url).text)
    author.post(url, data=MultiDict([*fields, ("do", f"add:{O1}.steps")]))
    steps = draft_of(app, url)["content"]["dimensions"][5]["indicators"][0]["steps"]
    assert steps[-1] == {} and len(steps) == 3
    problems = english(author.get(url + "/check.json").get_json()["problems"])
    assert {"where": f"{O1}.steps[2]", "message": "a step needs 'at'"} in problems
    fields = inputs(author.get(url).text)
    author.post(url, data=MultiDict([*fields, ("do", f"remove:{O1}.steps[2]")]))
    content = draft_of(app, url)["content"]
    assert [i["code"] for i in content["dimensions"][0]["indicators"]] == ["T2", "T1", "T3"]
    assert len(content["dimensions"][5]["indicators"][0]["steps"]) == 2


def test_method_parameters_and_other_keys(app, author):
    url = start(author)
    fields = inputs(author.get(url).text)
    page = author.get(url).text
    # a rate shows its condition; the mean's range is there but hidden
    assert re.search(r'data-param="condition" data-methods="[^"]*rate', page)
    assert re.search(r'data-param="range" data-methods="mean" hidden', page)
    # the survey fields of the indicator's source are offered by name, label and type
    assert 'value="per_capita_income">per_capita_income' in page
    changed = with_values(fields, **{"dimensions[0].indicators[0]._other": "note: 试算"})
    answer = autosave(author, url, changed).get_json()
    lock = answer["lock_version"]
    assert {"where": "dimensions[0].indicators[0]",
            "message": "'note' is not a parameter of method rate; it takes source, condition, "
                       "direction, min_n, target, floor, steps, applies, verdict_at"
            } in english(answer["problems"])
    bad = with_values(fields, **{"_other": "a: [1,"})
    answer = autosave(author, url, bad, lock=lock).get_json()
    assert any(p["where"] == "_other" and p["message"].startswith("not YAML")
               for p in answer["problems"])


def test_yaml_out_and_in(app, author):
    url = start(author)
    exported = author.get(url + "/rubric.yaml").data
    assert yaml.safe_load(exported) == draft_of(app, url)["content"]
    imported = author.post("/studio/import", data={"file": (io.BytesIO(exported), "r.yaml")},
                           content_type="multipart/form-data")
    assert imported.status_code == 303
    assert draft_of(app, imported.headers["Location"])["content"] == yaml.safe_load(exported)
    bad = author.post("/studio/import", data={"file": (io.BytesIO(b"id: [x\n"), "r.yaml")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "r.yaml" in bad.text and "line" in bad.text


def test_a_lead_moves_an_evaluation_in_setup_to_the_newer_version(app, client, field, sign_in):
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        base = db.scalar(select(RubricVersion))
        content = copy.deepcopy(base.content)
        content["version"] = "2026.9"
        from evaluator.rubrics.definition import content_hash

        db.add(RubricVersion(key=base.key, version="2026.9", title_zh=base.title_zh,
                             content=content, content_hash=content_hash(content),
                             change_note="新版"))
        db.get(Evaluation, field.evaluation_id).status = "setup"
    sign_in("lead")
    page = client.get(f"/evaluations/{field.evaluation_id}")
    assert "2026.9" in page.text and "新版" in page.text
    with app.extensions["evaluator.sessionmaker"]() as db:
        newer = db.scalar(select(RubricVersion.id).where(RubricVersion.version == "2026.9"))
    moved = client.post(f"/evaluations/{field.evaluation_id}/rubric", data={"version_id": newer})
    assert moved.status_code == 303
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(Evaluation, field.evaluation_id).rubric_version_id == newer
    sign_in("evaluator")
    assert client.post(f"/evaluations/{field.evaluation_id}/rubric",
                       data={"version_id": newer}).status_code == 403


def test_a_vetos_limit_has_inputs_of_its_own(app, author):
    """O4 (数字脱困一票否决) tolerates a share of 1 %: its limit is two inputs (a share, or a
    number of households), not a line in the other keys box; the rules judge what is typed."""
    url = start(author)
    page = author.get(url).text
    o4 = "dimensions[5].indicators[3]"
    fields = inputs(page)
    assert (f"{o4}.limit.share", "0.01") in fields
    assert (f"{o4}.limit.households", "") in fields
    assert dict(fields)[f"{o4}._other"] == ""
    answer = autosave(author, url, with_values(fields, **{f"{o4}.limit.share": "",
                                                          f"{o4}.limit.households": "20"}))
    assert answer.status_code == 200 and answer.get_json()["problems"] == []
    assert draft_of(app, url)["content"]["dimensions"][5]["indicators"][3]["limit"] == {
        "households": 20}
    fields = inputs(author.get(url).text)
    answer = autosave(author, url, with_values(fields, **{f"{o4}.limit.share": "0.02"}),
                      lock=answer.get_json()["lock_version"]).get_json()
    assert {"where": f"{o4}.limit",
            "message": "limit must be {share: S} or {households: K} (one of them)"
            } in english(answer["problems"])
