"""Every rule of ``evaluator check`` reachable from the studio gives the same problem, word for
word, at the same place: each broken rubric of ``studio_mutations`` is imported through the
studio's page and checked there, and checked by ``evaluator check`` (its own function on the
YAML file with the shipped surveys); together the mutations reach every rubric rule."""

from __future__ import annotations

import html
import io
import re
import sys
from pathlib import Path

import pytest
import yaml

from evaluator.paths import SURVEYS_DIR
from evaluator.rubrics import problem_collector
from evaluator.rubrics.commands import check_paths

sys.path.insert(0, str(Path(__file__).parent))
import studio_mutations as corpus  # noqa: E402

RULE_MODULES = ("validation", "parameter_rules", "survey_references", "problem_collector")
RUBRICS = Path(problem_collector.__file__).parent


@pytest.fixture
def author(client, definitions, make_user):
    """An author reading the studio in English: word for word what ``evaluator check`` says
    (test_the_problems_in_chinese reads the same problems in Chinese)."""
    make_user("author1", "author")
    assert client.post("/auth/login", data={"username": "author1",
                                            "password": "secret-pass"}).status_code == 302
    client.get("/?lang=en")
    return client


def studio_problems(client, content) -> set[tuple[str, str]]:
    raw = yaml.safe_dump(content, allow_unicode=True, sort_keys=False).encode("utf-8")
    response = client.post("/studio/import", data={"file": (io.BytesIO(raw), "broken.yaml")},
                           content_type="multipart/form-data")
    if response.status_code == 400:  # refused whole: the page lists "file: where: message"
        items = re.findall(r"<li>(.*?)</li>", response.text)
        return {("", item.split(": ", 1)[1]) for item in items if item.startswith("rubric.yaml")}
    assert response.status_code == 303, response.text
    found = client.get(response.headers["Location"] + "/check.json").get_json()
    return {(p["where"], p["message"]) for p in found["problems"]}


def cli_problems(tmp_path, content) -> set[tuple[str, str]]:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return {(p.where, p.message) for p in check_paths([path, SURVEYS_DIR]).problems
            if p.file == str(path)}


def rule_lines() -> set[tuple[str, int]]:
    lines = set()
    for module in RULE_MODULES:
        source = (RUBRICS / f"{module}.py").read_text(encoding="utf-8").splitlines()
        lines.update((module, n) for n, line in enumerate(source, 1)
                     if re.search(r"\b(out|self)\.add\(", line))
    return lines


def test_every_rule_gives_the_same_problem_in_the_studio_and_evaluator_check(
        author, tmp_path, monkeypatch):
    reached: set[tuple[str, int]] = set()
    add = problem_collector.Collector.add

    def counting(self, where, template, /, **params):
        caller = sys._getframe(1)
        reached.add((Path(caller.f_code.co_filename).stem, caller.f_lineno))
        return add(self, where, template, **params)

    differ = []
    for name in corpus.MUTATIONS:
        content = corpus.broken(name)
        monkeypatch.setattr(problem_collector.Collector, "add", counting)
        studio = studio_problems(author, content)
        monkeypatch.setattr(problem_collector.Collector, "add", add)
        cli = cli_problems(tmp_path, content)
        if name == "not a mapping":
            # evaluator check reads a YAML list as neither a rubric nor a survey and says so;
            # the studio, told it is a rubric, runs the rubric rule. Both refuse it.
            assert cli == {("", "neither a survey (no `survey:` key) nor a rubric (no "
                                "`dimensions:` key)")}
            assert studio == {("", "a rubric is a YAML mapping with id, version, title, "
                                   "total, bands, sources, dimensions")}
            continue
        if not studio or studio != cli:
            differ.append((name, sorted(studio ^ cli) or "no problem at all"))
    assert differ == []
    missing = sorted(rule_lines() - reached)
    assert missing == [], ("rules no studio mutation reaches: add a broken rubric to "
                           f"tests/web/studio_mutations.py for each of {missing}")


def test_the_command_prints_those_problems(author, tmp_path):
    """The command line itself (not only its function) prints the problem the studio shows."""
    from click.testing import CliRunner

    from evaluator.cli import main

    content = corpus.broken("lower target above floor")
    studio = studio_problems(author, content)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path), str(SURVEYS_DIR)])
    assert result.exit_code == 1
    for where, message in studio:
        assert f"{path}: {where}: {message}" in result.output


def test_the_problems_in_chinese(author, tmp_path):
    """On a Chinese page every rule's problem is said in Chinese, at the same place, with the
    values the English message names; the English stays in check.json's ``message`` (the
    command's words, used to place it)."""
    author.get("/?lang=zh")
    seen = 0
    for name in corpus.MUTATIONS:
        content = corpus.broken(name)
        raw = yaml.safe_dump(content, allow_unicode=True, sort_keys=False).encode("utf-8")
        response = author.post("/studio/import", data={"file": (io.BytesIO(raw), "broken.yaml")},
                               content_type="multipart/form-data")
        if response.status_code != 303:
            continue
        found = author.get(response.headers["Location"] + "/check.json").get_json()["problems"]
        cli = cli_problems(tmp_path, content)
        assert {(p["where"], p["message"]) for p in found} == cli, name
        for p in found:
            assert re.search(r"[\u4e00-\u9fff]", p["text"]), (name, p)
            assert p["text"] != p["message"]
            seen += 1
    assert seen >= 80
    page = author.get(response.headers["Location"]).text  # the editor shows them in Chinese
    assert found[-1]["text"] in html.unescape(page)
