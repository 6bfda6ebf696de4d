"""XLSForm import/export: a KoboToolbox-style download, lossless round trips, pyxform's verdict,
refusals that name sheet, row and column, and the ``evaluator xlsform`` commands."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

from evaluator.cli import main
from evaluator.definitions.problems import DefinitionError
from evaluator.paths import SURVEYS_DIR
from evaluator.surveys.definition import load_survey
from evaluator.surveys.language import language_code
from evaluator.surveys.subset import canonical_type
from evaluator.surveys.xlsform import export_xlsform, import_xlsform, read_xlsform
from evaluator.surveys.yaml_io import read_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KOBO_SPEC = FIXTURES / "xlsform" / "kobo_download.yaml"
SHIPPED = ("household", "file_check", "forum", "system")


def write_workbook(spec: dict, path: Path) -> Path:
    """An .xlsx from {sheet: [header, row, ...]}; None leaves a cell empty."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in spec.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def set_cell(spec: dict, sheet: str, row_number: int, header: str, value) -> None:
    """Set one cell by spreadsheet row number and header, adding the column if needed."""
    rows = spec[sheet]
    if header not in rows[0]:
        for row in rows:
            row.append(None)
        rows[0][-1] = header
    rows[row_number - 1][rows[0].index(header)] = value


@pytest.fixture
def kobo_spec() -> dict:
    return copy.deepcopy(yaml.safe_load(KOBO_SPEC.read_text(encoding="utf-8")))


@pytest.fixture
def kobo_path(tmp_path, kobo_spec) -> Path:
    return write_workbook(kobo_spec, tmp_path / "kobo_download.xlsx")


def refused(spec: dict, tmp_path: Path) -> list[str]:
    path = write_workbook(spec, tmp_path / "form.xlsx")
    with pytest.raises(DefinitionError) as caught:
        import_xlsform(path)
    return [f"{p.where}: {p.message}" for p in caught.value.problems]


# -- KoboToolbox download -----------------------------------------------------------------------

def test_kobo_download_imports(kobo_path):
    data = import_xlsform(kobo_path)
    assert data["id"] == "kobo_download"  # no form_id in Kobo's settings: the file name
    assert data["version"] == "3 (2026-01-05 09:12:33)"
    assert data["default_language"] == "zh"
    assert data["title"] == {"zh": "入户调查（Kobo）"}
    names = [row.get("name") for row in data["survey"]]
    assert names[:3] == ["start", "end", "basic"]
    assert "__version__" not in names
    columns = {column for row in data["survey"] for column in row}
    assert not any(column.startswith("$") for column in columns)
    assert {"label::zh", "label::en", "hint::zh", "constraint_message::en"} <= columns
    assert data["choices"]["health"][1] == {"name": "chronic", "label::en": "Chronic illness",
                                            "label::zh": "慢性病"}


def test_kobo_download_loads_as_a_survey(kobo_path):
    survey = load_survey(kobo_path)
    fields = survey.fields
    assert fields["start"].is_meta and fields["end"].is_meta
    assert fields["household_id"].required is True  # Kobo writes a boolean TRUE cell
    assert fields["member_health"].required is False
    assert fields["member_age"].repeat == "members"
    assert fields["member_age"].label == {"en": "Age", "zh": "年龄"}
    assert fields["consent"].list_name == "yes_no"
    assert survey.groups["basic"].kind == "group"
    assert survey.languages == ("zh", "en")


def test_kobo_download_is_valid_for_pyxform_too(kobo_path):
    """The fixture is a real XLSForm, not just one our reader happens to accept."""
    assert "<h:title>入户调查（Kobo）</h:title>" in convert(xlsform=str(kobo_path)).xform


def test_kobo_download_keeps_every_form_cell_through_yaml(kobo_path, tmp_path):
    """xlsx -> YAML -> xlsx: every cell outside Kobo's bookkeeping comes back (as pyxform reads
    it), with Kobo's language names written as bare codes."""
    exported = tmp_path / "again.xlsx"
    export_xlsform(import_xlsform(kobo_path), exported)
    rename = {"label::English (en)": "label::en", "label::Chinese (zh)": "label::zh",
              "hint::English (en)": "hint::en", "hint::Chinese (zh)": "hint::zh",
              "constraint_message::English (en)": "constraint_message::en",
              "constraint_message::Chinese (zh)": "constraint_message::zh"}
    before, after = get_xlsform(str(kobo_path)), get_xlsform(str(exported))
    for sheet in ("survey", "choices"):
        kept = []
        for row in getattr(before, sheet):
            if row.get("name") == "__version__":
                continue
            row = {rename.get(h, h): v for h, v in row.items() if not h.startswith("$")}
            if "type" in row:  # types are written the spec's way: begin_group -> begin group
                row["type"] = canonical_type(row["type"])
            if row.get("required") in ("TRUE", "FALSE"):  # Kobo's boolean cells
                row["required"] = row["required"].lower()
            kept.append(row)
        assert kept == getattr(after, sheet), sheet
    assert after.settings[0]["version"] == before.settings[0]["version"]
    assert after.settings[0]["form_title"] == before.settings[0]["form_title"]


# -- round trips ----------------------------------------------------------------------------------

@pytest.mark.parametrize("survey_id", SHIPPED)
def test_yaml_to_xlsx_to_yaml_is_lossless(survey_id, tmp_path):
    data = read_yaml(SURVEYS_DIR / f"{survey_id}.yaml")
    path = tmp_path / f"{survey_id}.xlsx"
    export_xlsform(data, path)
    assert import_xlsform(path) == data


@pytest.mark.parametrize("survey_id", SHIPPED)
def test_xlsx_to_yaml_to_xlsx_keeps_every_cell(survey_id, tmp_path):
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    export_xlsform(read_yaml(SURVEYS_DIR / f"{survey_id}.yaml"), first)
    export_xlsform(import_xlsform(first), second)
    book_a, book_b = openpyxl.load_workbook(first), openpyxl.load_workbook(second)
    assert book_a.sheetnames == book_b.sheetnames == ["survey", "choices", "settings"]
    for name in book_a.sheetnames:
        cells_a = [[c.value for c in row] for row in book_a[name].iter_rows()]
        cells_b = [[c.value for c in row] for row in book_b[name].iter_rows()]
        assert cells_a == cells_b, name


@pytest.mark.parametrize("survey_id", SHIPPED)
def test_exported_shipped_survey_is_a_valid_xform(survey_id, tmp_path):
    """pyxform (without ODK Validate) turns every shipped survey into an XForm."""
    survey = load_survey(SURVEYS_DIR / f"{survey_id}.yaml")
    path = tmp_path / f"{survey_id}.xlsx"
    export_xlsform(survey.content, path)
    result = convert(xlsform=str(path), validate=False)
    assert f"<h:title>{survey.title['zh']}</h:title>" in result.xform
    assert '<translation lang="zh" default="true()">' in result.xform
    assert '<translation lang="en">' in result.xform
    for name in survey.fields:
        assert f"/{name}\"" in result.xform or f"/{name} " in result.xform, name


def test_text_starting_with_equals_is_never_a_formula(tmp_path):
    data = read_yaml(SURVEYS_DIR / "forum.yaml")
    data["survey"][-1]["hint::zh"] = "=SUM(A1:A3)"
    path = tmp_path / "forum.xlsx"
    export_xlsform(data, path)
    assert import_xlsform(path) == data


def test_export_refuses_an_invalid_survey(tmp_path):
    data = read_yaml(SURVEYS_DIR / "forum.yaml")
    data["survey"][3]["type"] = "ranges"
    with pytest.raises(DefinitionError) as caught:
        export_xlsform(data, tmp_path / "x.xlsx", source="forum.yaml")
    assert str(caught.value.problems[0]).startswith("forum.yaml: survey[3].type")
    assert not (tmp_path / "x.xlsx").exists()


# -- languages ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [("Chinese (zh)", "zh"), ("English (en)", "en"),
                                            ("zh", "zh"), (" 中文 (zh-Hans) ", "zh-Hans"),
                                            ("Chinese", "zh"), ("english", "en"),
                                            ("English (English)", None), ("Klingonese", None),
                                            # KoboToolbox's docs: a code nobody knows, a
                                            # known name; a language's name for itself
                                            ("Nepali (np)", "ne"), ("Français", "fr"),
                                            ("Español (es)", "es")])
def test_language_code(text, code):
    assert language_code(text) == code


def test_plain_label_is_the_default_language(tmp_path):
    spec = {
        "survey": [["type", "name", "label", "label::en"],
                   ["text", "household_id", "户编号", "Household code"]],
        "settings": [["form_id", "version", "form_title", "default_language"],
                     ["plain", "1", "简单", "zh"]],
    }
    data = import_xlsform(write_workbook(spec, tmp_path / "plain.xlsx"))
    assert data["survey"] == [{"type": "text", "name": "household_id", "label::zh": "户编号",
                               "label::en": "Household code"}]
    assert "choices" not in data


def test_without_default_language_a_single_language_form_speaks_it(tmp_path):
    spec = {"survey": [["type", "name", "label::English (en)"],
                       ["integer", "age", "Age"]],
            "settings": [["form_id", "version"], ["ages", "1"]]}
    data = import_xlsform(write_workbook(spec, tmp_path / "ages.xlsx"))
    assert data["default_language"] == "en"
    assert data["title"] == {"en": "ages"}


# -- degrade, don't refuse: warnings name sheet, row and column ----------------------------------

# The one warning of the Kobo download as it is: its grid layout is kept, not shown.
KOBO_STYLE = ("sheet settings, column style: style 'theme-grid' is kept for export; the tablet "
              "shows one question under another (or one group per page with the style 'pages')")


def imported_warnings(spec: dict, tmp_path: Path, name: str = "form.xlsx") -> list[str]:
    """The warnings besides KOBO_STYLE (test_kobo_download_warns_only_of_its_style)."""
    result = read_xlsform(write_workbook(spec, tmp_path / name))
    warnings = [f"{w.where}: {w.message}" for w in result.warnings]
    assert warnings[0] == KOBO_STYLE
    return warnings[1:]


def test_kobo_download_warns_only_of_its_style(kobo_path):
    assert [f"{w.where}: {w.message}" for w in read_xlsform(kobo_path).warnings] == [KOBO_STYLE]


@pytest.mark.parametrize("kind", ["range", "rank health", "time", "datetime", "barcode", "audio",
                                  "video", "acknowledge", "phonenumber", "email"])
def test_every_xlsform_question_type_imports(kobo_spec, tmp_path, kind):
    set_cell(kobo_spec, "survey", 8, "type", kind)
    data = read_xlsform(write_workbook(kobo_spec, tmp_path / "form.xlsx")).data
    assert data["survey"][6]["type"] == kind


@pytest.mark.parametrize(("kind", "what"), [
    ("geotrace", "asked as text"), ("geoshape", "asked as text"),
    ("select_one_from_file villages.csv", "file 'villages.csv' is not attached")])
def test_what_cannot_run_here_imports_with_a_warning_at_its_cell(kobo_spec, tmp_path, kind,
                                                                 what):
    set_cell(kobo_spec, "survey", 8, "type", kind)
    warnings = imported_warnings(kobo_spec, tmp_path)
    assert [w for w in warnings if w.startswith("sheet survey, row 8, column type: ")
            and what in w], warnings


def test_select_from_file_reads_the_csv_beside_the_form(kobo_spec, tmp_path):
    set_cell(kobo_spec, "survey", 8, "type", "select_one_from_file villages.csv")
    (tmp_path / "villages.csv").write_text("name,label,district\nv1,东村,d1\nv2,西村,d2\n",
                                           encoding="utf-8")
    path = write_workbook(kobo_spec, tmp_path / "form.xlsx")
    imported = read_xlsform(path)
    assert imported.data["files"]["villages.csv"] == {
        "columns": ["name", "label", "district"], "rows": [["v1", "东村", "d1"],
                                                           ["v2", "西村", "d2"]]}
    survey = load_survey(path)
    assert survey.choice_names("villages.csv") == ["v1", "v2"]
    assert survey.choices["villages.csv"][0].label_in("zh") == "东村"
    # exported beside the workbook, and back
    out = tmp_path / "out" / "form.xlsx"
    out.parent.mkdir()
    assert export_xlsform(imported.data, out) == [out.parent / "villages.csv"]
    assert read_xlsform(out).data == imported.data


@pytest.mark.parametrize(("column", "value", "instead"), [
    ("repeat_count", "3", None), ("trigger", "${household_id}", None),
    ("parameters", "max-pixels=1024", None), ("read_only", "yes", None), ("default", "0", None),
    ("guidance_hint::Chinese (zh)", "看门牌", "the guidance hint is not shown")])
def test_xlsform_columns_are_kept(kobo_spec, tmp_path, column, value, instead):
    set_cell(kobo_spec, "survey", 16, column, value)
    imported = read_xlsform(write_workbook(kobo_spec, tmp_path / "form.xlsx"))
    assert imported.data["survey"][14][column.replace("Chinese (zh)", "zh")] == value
    warnings = imported_warnings(kobo_spec, tmp_path, "again.xlsx")
    if instead is None:  # run by the tablet
        assert warnings == []
    else:
        (warning,) = warnings
        assert warning.startswith(f"sheet survey, row 16, column {column}: column "
                                  f"'{column.split('::')[0]}' is kept for export; on the tablet ")
        assert instead in warning


def test_unknown_column_is_kept_with_one_warning(kobo_spec, tmp_path):
    set_cell(kobo_spec, "survey", 5, "colour", "red")
    set_cell(kobo_spec, "survey", 6, "colour", "blue")
    warnings = imported_warnings(kobo_spec, tmp_path)
    assert warnings == ["sheet survey, row 5, column colour: column 'colour' is kept for export; "
                        "the tablet does not use it"]


def test_expression_that_cannot_run_here_imports_with_what_the_tablet_does(kobo_spec,
                                                                            tmp_path):
    set_cell(kobo_spec, "survey", 7, "relevant", "${consent} == 'yes'")
    warnings = imported_warnings(kobo_spec, tmp_path)
    assert len(warnings) == 1
    assert warnings[0].startswith("sheet survey, row 7, column relevant: cannot run")
    assert warnings[0].endswith("the question is always asked")


def test_pyxform_refusal_is_ours_with_its_reason(kobo_spec, tmp_path):
    set_cell(kobo_spec, "survey", 14, "label::Chinese (zh)", "人均 ${per_capita} 元")
    problems = refused(kobo_spec, tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("sheet survey, row 14: pyxform refuses the form")
    assert "per_capita" in problems[0]


@pytest.mark.parametrize(("header", "code"), [("label::English", "en"), ("label:english", "en"),
                                              ("LABEL::English (en)", "en"), ("label::fr", "fr"),
                                              ("label::Swahili", "sw")])
def test_language_spellings_map_to_codes(tmp_path, header, code):
    spec = {"survey": [["type", "name", header], ["integer", "age", "Age"]]}
    data = read_xlsform(write_workbook(spec, tmp_path / "ages.xlsx")).data
    assert data["survey"][0][f"label::{code}"] == "Age"
    assert data["default_language"] == code


def test_bare_english_label_stays_english(tmp_path):
    spec = {"survey": [["type", "name", "label"], ["integer", "age", "How old are you?"]]}
    imported = read_xlsform(write_workbook(spec, tmp_path / "ages.xlsx"))
    assert imported.data["default_language"] == "en"
    assert "default language en (read from the label text)" in imported.notes
    asked = read_xlsform(tmp_path / "ages.xlsx", language="fr")
    assert asked.data["survey"][0] == {"type": "integer", "name": "age",
                                       "label::fr": "How old are you?"}


def test_settings_are_kept_for_export(kobo_spec, tmp_path):
    set_cell(kobo_spec, "settings", 2, "public_key", "MIIBIjANBg")
    data = read_xlsform(write_workbook(kobo_spec, tmp_path / "form.xlsx")).data
    assert data["settings"] == {"style": "theme-grid", "name": "data", "public_key": "MIIBIjANBg"}
    export_xlsform(data, tmp_path / "again.xlsx")
    assert get_xlsform(str(tmp_path / "again.xlsx")).settings[0]["style"] == "theme-grid"


def test_missing_version_defaults_and_says_so(kobo_spec, tmp_path):
    kobo_spec["settings"] = [["form_title"], ["无版本"]]
    imported = read_xlsform(write_workbook(kobo_spec, tmp_path / "form.xlsx"))
    version = imported.data["version"]
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", version)  # the workbook's own modified date
    assert f"no version in settings: {version}" in imported.notes


def test_duplicate_name_in_another_group_is_renamed_with_a_warning(tmp_path):
    spec = {"survey": [["type", "name", "label"],
                       ["begin group", "a", "A"], ["text", "x", "X"], ["end group", None, None],
                       ["begin group", "b", "B"], ["text", "x", "X again"],
                       ["end group", None, None]]}
    imported = read_xlsform(write_workbook(spec, tmp_path / "twice.xlsx"))
    assert [r.get("name") for r in imported.data["survey"]] == ["a", "x", None, "b", "b_x", None]
    assert "stored as 'b_x'" in imported.warnings[0].message
    assert imported.warnings[0].where == "sheet survey, row 6, column name"


def test_choice_problems_name_the_choices_sheet(kobo_spec, tmp_path):
    set_cell(kobo_spec, "choices", 3, "name", "yes")
    problems = refused(kobo_spec, tmp_path)
    assert problems[0].startswith("sheet survey, row 3: pyxform refuses the form")
    assert "allow_choice_duplicates" in problems[0]
    set_cell(kobo_spec, "settings", 2, "allow_choice_duplicates", "yes")
    warnings = imported_warnings(kobo_spec, tmp_path, "allowed.xlsx")
    assert warnings[0].startswith("sheet choices, row 3, column name: duplicate choice name")


def test_blank_rows_do_not_shift_row_numbers(kobo_spec, tmp_path):
    kobo_spec["survey"].insert(4, [None] * len(kobo_spec["survey"][0]))
    set_cell(kobo_spec, "survey", 9, "type", "geotrace")
    warnings = imported_warnings(kobo_spec, tmp_path)
    assert warnings[0].startswith("sheet survey, row 9, column type:")


def test_xls_workbooks_import(tmp_path):
    """An .xls (the old binary format, 54 % of the forms in the wild) reads like an .xlsx."""
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "cache"
    forms = sorted((corpus / "pyxform-1.3.4").rglob("tutorial.xls"))
    if not forms:
        pytest.skip("no corpus: run `make corpus`")
    data = read_xlsform(forms[0]).data
    assert data["id"] == "tutorial"
    assert len(data["survey"]) == 12 and "name" in [r.get("name") for r in data["survey"]]


def test_a_workbook_named_for_the_other_format_is_read_by_its_content(tmp_path):
    """ODK's own preview fixtures hold an .xls workbook named .xlsx: pyxform picks its reader
    by the name and refuses it; the bytes say which it is, and the summary says so."""
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "cache" / "pyxform-1.3.4"
    forms = sorted(corpus.rglob("tutorial.xls"))
    if not forms:
        pytest.skip("no corpus: run `make corpus`")
    misnamed = tmp_path / "tutorial.xlsx"
    misnamed.write_bytes(forms[0].read_bytes())
    imported = read_xlsform(misnamed)
    assert imported.data == read_xlsform(forms[0]).data
    assert "the workbook is an .xls file named .xlsx: read as .xls" in imported.notes
    spec = {"survey": [["type", "name", "label"], ["integer", "age", "Age"]]}
    other = write_workbook(spec, tmp_path / "ages.xlsx").rename(tmp_path / "ages.xls")
    imported = read_xlsform(other)
    assert imported.data["survey"][0]["name"] == "age"
    assert "the workbook is an .xlsx file named .xls: read as .xlsx" in imported.notes


def test_a_header_written_twice_is_refused_at_its_sheet_and_column(tmp_path):
    """pyxform names the header only; a KoboToolbox test form writes ``label`` three times."""
    spec = {"survey": [["type", "name", "label", "label"], ["integer", "age", "Age", "Âge"]]}
    assert refused(spec, tmp_path) == [
        "sheet survey, column D: pyxform refuses the form: Duplicate column header: label"]


def test_not_a_workbook(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(DefinitionError) as caught:
        import_xlsform(path)
    assert "cannot read the workbook" in caught.value.problems[0].message
    with pytest.raises(DefinitionError):
        import_xlsform(tmp_path / "form.csv")
    with pytest.raises(DefinitionError):
        import_xlsform(tmp_path / "missing.xlsx")


# -- the CLI --------------------------------------------------------------------------------------

def test_cli_import_writes_yaml(kobo_path, tmp_path):
    out = tmp_path / "kobo.yaml"
    result = CliRunner().invoke(main, ["xlsform", "import", str(kobo_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert read_yaml(out) == import_xlsform(kobo_path)
    assert load_survey(out).fields["member_age"].repeat == "members"


def test_cli_import_prints_yaml_without_output(kobo_path):
    result = CliRunner().invoke(main, ["xlsform", "import", str(kobo_path)])
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["id"] == "kobo_download"


def test_cli_export_then_import_gives_the_same_survey(tmp_path):
    runner = CliRunner()
    workbook, back = tmp_path / "household.xlsx", tmp_path / "household.yaml"
    source = SURVEYS_DIR / "household.yaml"
    result = runner.invoke(main, ["xlsform", "export", str(source), "-o", str(workbook)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["xlsform", "import", str(workbook), "-o", str(back)])
    assert result.exit_code == 0, result.output
    assert read_yaml(back) == read_yaml(source)


def test_cli_import_prints_one_line_per_form_and_goes_on_after_a_bad_one(kobo_spec, tmp_path):
    (tmp_path / "good").mkdir()
    good = write_workbook(kobo_spec, tmp_path / "good" / "kobo_download.xlsx")
    set_cell(kobo_spec, "survey", 14, "label::Chinese (zh)", "人均 ${per_capita} 元")
    bad = write_workbook(kobo_spec, tmp_path / "bad.xlsx")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["xlsform", "import", str(bad), str(good), "-o", str(out)])
    assert result.exit_code == 1
    assert "bad.xlsx: sheet survey, row 14: pyxform refuses the form" in result.output
    assert "bad.xlsx: not imported, 1 problem(s)" in result.output
    summary = [line for line in result.output.splitlines() if line.startswith(f"{good}:")]
    assert summary == [f"{good}: imported kobo_download 3 (2026-01-05 09:12:33), 13 rows, "
                       f"1 warning ({KOBO_STYLE}); default language zh (settings); languages "
                       "Chinese (zh)->zh, English (en)->en"]
    assert "Traceback" not in result.output
    assert (out / "kobo_download.yaml").is_file()


def test_cli_export_of_a_bad_survey_exits_1(tmp_path):
    broken = FIXTURES / "surveys" / "broken.yaml"
    result = CliRunner().invoke(main, ["xlsform", "export", str(broken), "-o",
                                       str(tmp_path / "out.xlsx")])
    assert result.exit_code == 1
    assert "broken.yaml: survey[1].type: unknown type 'ranges'" in result.output
    assert "Traceback" not in result.output


def test_cli_export_needs_an_xlsx_name(tmp_path):
    result = CliRunner().invoke(main, ["xlsform", "export", str(SURVEYS_DIR / "forum.yaml"),
                                       "-o", str(tmp_path / "forum.xls")])
    assert result.exit_code == 2 and ".xlsx" in result.output
