"""Examples from the XLSForm documentation (xlsform.org), transcribed as pyxform-style markdown
tables, each written to a workbook and imported: the features real forms use, one test each."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from evaluator.surveys.definition import load_survey
from evaluator.surveys.xlsform import read_xlsform
from evaluator.surveys.xlsform_export import export_xlsform


def workbook(markdown: str, path: Path) -> Path:
    """An .xlsx from pyxform's markdown form: ``| sheet |`` lines start a sheet, then rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = None
    for line in markdown.strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0]:
            sheet = book.create_sheet(cells[0])
            continue
        assert sheet is not None
        sheet.append([c or None for c in cells[1:]])
    book.save(path)
    return path


def round_trip(path: Path, tmp_path: Path) -> dict:
    imported = read_xlsform(path)
    out = tmp_path / "out" / "form.xlsx"
    out.parent.mkdir()
    export_xlsform(imported.data, out)
    convert(xlsform=str(out), validate=False)
    assert read_xlsform(out).data == imported.data
    return imported.data


# xlsform.org, "Cascading selects": the example refused before ("unknown column 'state'").
CASCADING = """
| survey  |
|         | type              | name   | label  | choice_filter                      |
|         | select_one state  | state  | State  |                                    |
|         | select_one county | county | County | state=${state}                     |
|         | select_one city   | city   | City   | state=${state} and county=${county} |
| choices |
|         | list_name | name       | label      | state      | county |
|         | state     | texas      | Texas      |            |        |
|         | state     | washington | Washington |            |        |
|         | county    | king       | King       | washington |        |
|         | county    | pierce     | Pierce     | washington |        |
|         | county    | king       | King       | texas      |        |
|         | county    | cameron    | Cameron    | texas      |        |
|         | city      | dumont     | Dumont     | texas      | king   |
|         | city      | finney     | Finney     | texas      | king   |
|         | city      | brownsville| Brownsville| texas      | cameron|
|         | city      | seattle    | Seattle    | washington | king   |
|         | city      | tacoma     | Tacoma     | washington | pierce |
| settings |
|          | form_title | allow_choice_duplicates |
|          | Cascades   | yes                     |
"""


def test_cascading_selects(tmp_path):
    data = round_trip(workbook(CASCADING, tmp_path / "cascades.xlsx"), tmp_path)
    survey = load_survey(tmp_path / "cascades.xlsx")
    assert survey.fields["city"].choice_filter == "state=${state} and county=${county}"
    assert survey.choices["county"][2].extra == {"state": "texas"}
    assert data["settings"] == {"allow_choice_duplicates": "yes"}


# xlsform.org, "Range" and "Rank" (with parameters), "Specify other".
WIDGETS = """
| survey  |
|         | type                     | name      | label                  | parameters             |
|         | range                    | amount    | What amount?           | start=0 end=17 step=1  |
|         | rank fruits              | favourite | Rank these fruits      |                        |
|         | select_one fruits or_other | pick    | Pick one               |                        |
| choices |
|         | list_name | name   | label  |
|         | fruits    | apple  | Apple  |
|         | fruits    | banana | Banana |
"""


def test_range_rank_and_or_other(tmp_path):
    round_trip(workbook(WIDGETS, tmp_path / "widgets.xlsx"), tmp_path)
    survey = load_survey(tmp_path / "widgets.xlsx")
    assert survey.fields["amount"].parameters == "start=0 end=17 step=1"
    assert survey.fields["favourite"].type == "rank"
    assert survey.choice_names("fruits") == ["apple", "banana", "other"]


# xlsform.org, "Multiple language support": label::English (en) and label::French (fr).
LANGUAGES = """
| survey  |
|         | type    | name | label::English (en) | label::French (fr)  | hint::English (en) |
|         | integer | age  | How old are you?    | Quel âge avez-vous? | In years           |
| settings |
|          | default_language |
|          | English (en)     |
"""


def test_multiple_languages(tmp_path):
    imported = read_xlsform(workbook(LANGUAGES, tmp_path / "lang.xlsx"))
    assert imported.data["survey"][0] == {"type": "integer", "name": "age",
                                          "label::en": "How old are you?",
                                          "label::fr": "Quel âge avez-vous?",
                                          "hint::en": "In years"}
    assert imported.data["default_language"] == "en"
    assert imported.notes[0] == ("default language en (settings); languages English (en)->en, "
                                 "French (fr)->fr")


# xlsform.org, "Select from external files" and "pulldata" (the CSV beside the form).
EXTERNAL = """
| survey |
|        | type                             | name   | label           | choice_filter |
|        | select_one_from_file fruits.csv  | fruit  | Choose a fruit  |               |
|        | select_multiple_from_file fruits.csv | more | Which others? | type = 'tree' |
"""


def test_select_from_file(tmp_path):
    (tmp_path / "fruits.csv").write_text("name,label,type\nmango,Mango,tree\nmelon,Melon,vine\n",
                                         encoding="utf-8")
    data = round_trip(workbook(EXTERNAL, tmp_path / "external.xlsx"), tmp_path)
    assert data["files"]["fruits.csv"]["rows"] == [["mango", "Mango", "tree"],
                                                   ["melon", "Melon", "vine"]]
    survey = load_survey(tmp_path / "external.xlsx")
    assert survey.choice_names("fruits.csv") == ["mango", "melon"]
    assert survey.choices["fruits.csv"][0].extra == {"type": "tree"}


@pytest.mark.parametrize("spelling", ["list name", "list_name", "List_Name"])
def test_old_choices_header_spellings(tmp_path, spelling):
    form = CASCADING.replace("| list_name |", f"| {spelling} |")
    data = read_xlsform(workbook(form, tmp_path / "old.xlsx")).data
    assert list(data["choices"]) == ["state", "county", "city"]
