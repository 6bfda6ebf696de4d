"""Hostile text prints as text and fetches nothing; names and ID numbers stay out of reports.

User strings reach the report from evaluation.yaml (title, units, team), findings.csv (problem,
responsible unit and person) and judgements.csv (reasons). Each one here carries markup, a
file:// URL and a template expression; the PDF must print them literally, and the renderer must
fetch nothing but the report's own stylesheet.
"""

from __future__ import annotations

import csv
import io
import re
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from evaluator.bundle.demo import write_demo
from evaluator.reports import pdf as pdf_module
from evaluator.reports.build import build_report, load_scored, render_report_html

IMG = '<img src="file:///etc/passwd">'
SCRIPT = "<script>alert(1)</script>"
JINJA = "{{ 7*7 }}"
HOSTILE = f"{IMG}{SCRIPT}{JINJA}"


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def rewrite_csv(path: Path, change) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    header, rows = change(header, rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def rewrite_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_bundle(tmp_path_factory):
    path = write_demo(tmp_path_factory.mktemp("hostile") / "bundle", households=600, seed=5)

    def evaluation(data):
        data["title"] = {"zh": f"某县{HOSTILE}第三方评估", "en": f"County {HOSTILE} evaluation"}
        data["evaluated_unit"] = f"某县总工会{HOSTILE}"
        data["commissioning_body"] = f"某市总工会{JINJA}"
        data["team"] = [{"name": f"评估员{SCRIPT}", "role": f"组长{JINJA}"}, {"name": f"调查员{IMG}"}]

    def findings(header, rows):
        for row in rows:
            row["description"] = f"问题{HOSTILE}"
            row["responsible_unit"] = f"街道工会{IMG}"
            row["responsible_person"] = f"主席{JINJA}"
        return header, rows

    def judgements(header, rows):
        for row in rows:
            row["reason"] = f"理由{HOSTILE}"
        return header, rows

    rewrite_yaml(path / "evaluation.yaml", evaluation)
    rewrite_csv(path / "findings.csv", findings)
    rewrite_csv(path / "judgements.csv", judgements)
    return path


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the report renderer tried to use the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def fetched(monkeypatch):
    """Every URL the renderer's fetcher is asked for (from a cold start: the stylesheet is
    otherwise fetched and parsed once per thread)."""
    pdf_module.forget_cached_state()
    asked: list[str] = []
    original = pdf_module.RestrictedURLFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_module.RestrictedURLFetcher, "fetch", spy)
    return asked


def test_hostile_strings_print_literally_and_fetch_nothing(hostile_bundle, tmp_path, no_network,
                                                           fetched):
    out = build_report(hostile_bundle, tmp_path / "report.pdf")
    text = squeeze(pdftotext(out))
    for literal in ('<imgsrc="file:///etc/passwd">', "<script>alert(1)</script>", "{{7*7}}"):
        assert literal in text
    assert "某县总工会" + squeeze(HOSTILE) in text          # evaluated unit
    assert "评估员<script>alert(1)</script>" in text          # team
    assert "问题" + squeeze(HOSTILE) in text                  # finding
    assert '街道工会<imgsrc="file:///etc/passwd">' in text    # responsible unit
    assert "主席{{7*7}}" in text                              # responsible person
    assert "理由" + squeeze(HOSTILE) in text                  # judgement reason
    assert "某市总工会49" not in text
    # The stylesheet, and the charts (drawn from data: URLs of our own SVG): nothing else.
    assert any(url.endswith("/templates/report/report.css") for url in fetched), fetched
    assert all(url.endswith("/templates/report/report.css")
               or url.startswith("data:image/svg+xml;base64,") for url in fetched), fetched


def test_hostile_strings_are_escaped_in_the_html(hostile_bundle):
    scored = load_scored(hostile_bundle)
    html = render_report_html(scored.sheet, scored.bundle, scored.rubric, "zh")
    assert IMG not in html and SCRIPT not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert JINJA in html and "49" not in re.findall(r"某市总工会(\S{2})", html)


# -- privacy ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def personal_bundle(tmp_path_factory):
    """The roster carries head names and (synthetic, 000000-prefixed) ID numbers; one finding
    quotes an ID number in its text."""
    path = write_demo(tmp_path_factory.mktemp("personal") / "bundle", households=600, seed=5)

    def roster(header, rows):
        for k, row in enumerate(rows):
            row["id_number"] = f"00000019900307{k:04d}"
        return [*header, "id_number"], rows

    def findings(header, rows):
        rows[0]["description"] = "户主身份证号000000199003070001与档案不符"
        return header, rows

    rewrite_csv(path / "roster.csv", roster)
    rewrite_csv(path / "findings.csv", findings)
    return path


def roster_people(path: Path) -> tuple[list[str], list[str]]:
    with (path / "roster.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["head_name"] for r in rows], [r["id_number"] for r in rows]


def test_no_name_or_id_number_unless_the_evaluation_allows_names(personal_bundle, tmp_path):
    names, ids = roster_people(personal_bundle)
    text = squeeze(pdftotext(build_report(personal_bundle, tmp_path / "report.pdf")))
    assert not any(name in text for name in names)
    assert not any(number in text for number in ids)
    assert "户主身份证号000000********0001与档案不符" in text  # the finding, masked


def test_names_allowed_shows_names_and_masked_id_numbers_only(personal_bundle, tmp_path):
    allowed = tmp_path / "allowed"
    import shutil

    shutil.copytree(personal_bundle, allowed)
    rewrite_yaml(allowed / "evaluation.yaml", lambda data: data.update(allow_names=True))
    names, ids = roster_people(allowed)
    text = squeeze(pdftotext(build_report(allowed, tmp_path / "report.pdf")))
    assert sum(name in text for name in names) > 0
    shown = [number for number in ids if number[:6] + "*" * 8 + number[-4:] in text]
    assert shown
    assert not any(number in text for number in ids)  # never unmasked
