"""The problems the web app shows from the pure core (the finish and report-refused pages, the
roster and system-data uploads), by code: English ``str.format`` patterns with the code as
msgctxt, the Chinese in the catalog. ``problems.coded(file, where, code, **params)`` makes the
English message the command line prints; evaluator.web.problems shows the same problem in the
page's language. A problem without a code is shown as its English message.
"""

from __future__ import annotations

from evaluator.catalogs import P_

PROBLEM_WORDS: dict[str, str] = dict((
    # why an evaluation in the web app cannot be scored (evaluator.fieldwork.exports.scores)
    P_("problem_sample_not_drawn", "the sample has not been drawn yet"),
    P_("problem_rubric_refused",
       "the evaluation's rubric version no longer passes the rubric rules, so it cannot be "
       "scored: {detail}"),
    # the bundle checks (evaluator.bundle.check, check_records, check_columns)
    P_("problem_source_not_listed",
       "the rubric reads source {source!r}, which evaluation.yaml does not list"),
    P_("problem_rubric_column_missing",
       "missing column {name!r}, which rubric indicator {indicator} reads"),
    P_("problem_not_an_indicator", "{indicator!r} is not an indicator of rubric {rubric}"),
    P_("problem_household_not_in_roster", "household {household!r} is not in roster.csv"),
    # sample.csv against roster.csv and the plan in evaluation.yaml (check_roster)
    P_("problem_drawn_twice", "household {household!r} drawn twice (also row {row})"),
    P_("problem_drawn_stratum",
       "{stratum!r} but roster.csv puts household {household} in stratum {roster!r}"),
    P_("problem_replaces_not_drawn", "{replaces!r} is not a drawn household of stratum {stratum}"),
    P_("problem_order_twice",
       "order {order} used twice for {role} in stratum {stratum} (also row {row})"),
    P_("problem_plan_frame", "stratum {stratum}: {planned} households but roster.csv has {roster}"),
    P_("problem_plan_sample",
       "stratum {stratum}: {planned} drawn but sample.csv has {drawn} with role sample"),
    P_("problem_plan_reserve",
       "{count} reserve households in stratum {stratum} but sampling.reserve_per_stratum is "
       "{reserve}"),
    P_("problem_roster_changed",
       "does not match roster.csv: households or strata changed after the sample was drawn"),
    P_("problem_not_drawn_by_seed",
       "{household} as {role} {order} is not what seed {seed} draws from roster.csv"),
    P_("problem_seed_draws", "seed {seed} also draws {shown}, absent from sample.csv"),
    P_("problem_seed_draws_more",
       "seed {seed} also draws {shown} and {more} more, absent from sample.csv"),
    P_("problem_household_not_in_sample",
       "household {household!r} is not in sample.csv (neither sample nor reserve)"),
    P_("problem_score_negative", "{score} is negative"),
    P_("problem_score_above_scale", "{score} is above the scale maximum {scale}"),
    P_("problem_required_missing", "required answer missing"),
    P_("problem_required_missing_relevant", "required answer missing (relevant: {relevant})"),
    P_("problem_answered_not_relevant",
       "answered ({value!r}) although not relevant: {relevant} is false"),
    P_("problem_constraint", "{value!r} violates the constraint {constraint}"),
    P_("problem_not_integer", "{value!r} is not a whole number"),
    P_("problem_not_decimal",
       "{value!r} is not a number (digits and '.', no thousands separators)"),
    P_("problem_not_date", "{value!r} is not a date YYYY-MM-DD"),
    P_("problem_not_a_choice", "{value!r} is not in choice list {list} ({choices})"),
    P_("problem_not_choices", "{values} not in choice list {list} ({choices})"),
    P_("problem_choice_twice", "{value!r} names a choice twice"),
    P_("problem_not_geopoint",
       "{value!r} is not a geopoint 'latitude longitude [altitude accuracy]'"),
    P_("problem_bad_latlon", "{value!r} is not a valid latitude/longitude"),
    # uploads: size limits and unreadable files (evaluator.tables)
    P_("problem_too_many_rows",
       "more than {most} rows; split the file (at most {most} rows per upload)"),
    P_("problem_too_many_columns",
       "more than {most} columns; split the file (at most {most} columns per upload)"),
    P_("problem_workbook_expands",
       "expands to {size} bytes from {compressed}; not a workbook this app reads (save it "
       "again, or as CSV)"),
    P_("problem_workbook_unreadable", "not a readable .xlsx workbook ({error})"),
    P_("problem_workbook_not_zip", "not a readable .xlsx workbook (File is not a zip file)"),
    P_("problem_workbook_compound", "not a readable .xlsx workbook (File is not a zip file)"),
    P_("problem_workbook_zip_not_xlsx",
       "not a readable .xlsx workbook (\"There is no item named '{item}' in the archive\")"),
    P_("problem_bom_not_utf8",
       "starts as UTF-8 (a byte-order mark) but is not UTF-8 text; save it as CSV UTF-8"),
    P_("problem_not_text", "not UTF-8 or GBK text; save it as CSV UTF-8"),
    P_("problem_file_type", "unsupported file type {suffix!r}; use .csv or .xlsx"),
    P_("problem_file_empty", "the file is empty; expected a header row"),
    P_("problem_sheet_empty", "the sheet is empty; expected a header row"),
    P_("problem_sheet_not_found", "sheet not found"),
    P_("problem_unreadable_csv", "unreadable CSV: {error}"),
    P_("problem_csv_cell_too_long", "unreadable CSV: field larger than field limit ({limit})"),
    P_("problem_too_many_cells", "{cells} cells but the header has {columns} columns"),
    P_("problem_empty_column_name", "empty column name in the header"),
    P_("problem_column_twice", "column appears twice in the header"),
    P_("problem_missing_column", "missing column {column!r}"),
    # YAML files: a rubric, evaluation.yaml and the bundle's other YAML (parse_yaml)
    P_("problem_cannot_read", "cannot read the file: {error}"),
    P_("problem_yaml_not_utf8", "not UTF-8 text; save it as UTF-8"),
    P_("problem_not_utf8", "not UTF-8 text"),
    P_("problem_yaml_invalid", "not valid YAML: {detail}"),
    P_("problem_yaml_key_twice", "key '{key}' appears twice in the same mapping"),
    # PyYAML's commonest refusals of a hand-edited file, each said as PyYAML says it (context
    # and problem: evaluator.rubrics.yaml_reading.parse_yaml picks the one whose text it is)
    P_("problem_yaml_mapping_values", "not valid YAML: mapping values are not allowed here"),
    P_("problem_yaml_character",
       "not valid YAML: while scanning for the next token found character {character} that "
       "cannot start any token"),
    P_("problem_yaml_indent_key",
       "not valid YAML: while parsing a block mapping expected <block end>, but found "
       "'<block mapping start>'"),
    P_("problem_yaml_indent_list",
       "not valid YAML: while parsing a block mapping expected <block end>, but found "
       "'<block sequence start>'"),
    P_("problem_yaml_stray_dash",
       "not valid YAML: while parsing a block mapping expected <block end>, but found '-'"),
    P_("problem_yaml_open_quote",
       "not valid YAML: while scanning a quoted scalar found unexpected end of stream"),
    P_("problem_yaml_open_bracket",
       "not valid YAML: while parsing a flow sequence expected ',' or ']', but got {found}"),
    P_("problem_yaml_open_brace",
       "not valid YAML: while parsing a flow mapping expected ',' or '}}', but got {found}"),
    P_("problem_yaml_open_bracket_end",
       "not valid YAML: while parsing a flow sequence expected ',' or ']', but got "
       "'<stream end>'"),
    P_("problem_yaml_open_brace_end",
       "not valid YAML: while parsing a flow mapping expected ',' or '}}', but got "
       "'<stream end>'"),
    P_("problem_yaml_no_colon",
       "not valid YAML: while scanning a simple key could not find expected ':'"),
    P_("problem_yaml_undefined_alias", "not valid YAML: found undefined alias {alias}"),
    P_("problem_yaml_two_documents",
       "not valid YAML: expected a single document in the stream but found another document"),
    # pyxform's commonest refusals of an uploaded XLSForm, each as pyxform says it
    # (evaluator.surveys.xlsform picks the one whose text it is; any other keeps its English)
    P_("problem_pyxform_no_survey_sheet",
       "pyxform refuses the form: You must have a sheet named 'survey'."),
    P_("problem_pyxform_survey_sheet_misspelt",
       "pyxform refuses the form: You must have a sheet named 'survey'. When looking for a sheet "
       "named 'survey', the following sheets with similar names were found: {candidates}."),
    P_("problem_pyxform_no_choices_sheet",
       "pyxform refuses the form: There should be a choices sheet in this xlsform. Please ensure "
       "that the choices sheet has the mandatory columns 'list_name', 'name', and 'label'."),
    P_("problem_pyxform_list_missing",
       "pyxform refuses the form: List name not in choices sheet: {list}"),
    P_("problem_pyxform_unknown_type", "pyxform refuses the form: Unknown question type '{type}'."),
    P_("problem_pyxform_header_missing",
       "pyxform refuses the form: Invalid headers provided for sheet: '{sheet}'. One or more "
       "required column headers were not found: {missing}. Learn more: "
       "https://xlsform.org/en/#setting-up-your-worksheets"),
    P_("problem_pyxform_header_alias",
       "pyxform refuses the form: Invalid headers provided for sheet: '{sheet}'. Headers that are "
       "different names for the same column were found: '{one}', '{other}'. Rename or remove one "
       "of these columns."),
    P_("problem_pyxform_header_twice", "pyxform refuses the form: Duplicate column header: {header}"),
    P_("problem_pyxform_no_name", "pyxform refuses the form: Question or group with no name."),
    P_("problem_pyxform_no_label",
       "pyxform refuses the form: The survey element named '{name}' has no label or hint."),
    P_("problem_pyxform_name_twice",
       "pyxform refuses the form: On the 'survey' sheet, the 'name' value '{name}' is invalid. "
       "Questions, groups, and repeats must be unique within their nearest parent group or "
       "repeat, or the survey if not inside a group or repeat."),
    P_("problem_pyxform_name_meta",
       "pyxform refuses the form: On the 'survey' sheet, the 'name' value 'meta' is invalid. The "
       "name 'meta' is reserved for form metadata."),
    P_("problem_pyxform_name_characters",
       "pyxform refuses the form: On the '{sheet}' sheet, the '{column}' value is invalid. Names "
       "must begin with a letter or underscore. After the first character, names may contain "
       "letters, digits, underscores, hyphens, or periods."),
    P_("problem_pyxform_choice_no_name",
       "pyxform refuses the form: On the 'choices' sheet, the 'name' value is invalid. Choices "
       "must have a name. Learn more: https://xlsform.org/en/#setting-up-your-worksheets"),
    P_("problem_pyxform_choice_twice",
       "pyxform refuses the form: On the 'choices' sheet, the 'name' value is invalid. Choice "
       "names must be unique for each choice list. If this is intentional, use the setting "
       "'allow_choice_duplicates'. Learn more: https://xlsform.org/#choice-names."),
    P_("problem_pyxform_reference_form",
       "pyxform refuses the form: On the '{sheet}' sheet, the '{column}' value is invalid. "
       "Reference variables must start with '${{', then a question name, and end with '}}'."),
    P_("problem_pyxform_reference_missing",
       "pyxform refuses the form: On the '{sheet}' sheet, the '{column}' value is invalid. "
       "Reference variables must contain a name from the 'survey' sheet. Could not find the "
       "name '{name}'."),
    P_("problem_pyxform_reference_twice",
       "pyxform refuses the form: On the '{sheet}' sheet, the '{column}' value is invalid. "
       "Reference variables names must be unique anywhere in the 'survey'. The name '{name}' "
       "appears more than once."),
    P_("problem_pyxform_begin_unclosed",
       "pyxform refuses the form: Unmatched 'begin_{kind}'. No matching 'end_{kind}' was found "
       "for the name '{name}'."),
    P_("problem_pyxform_end_unopened",
       "pyxform refuses the form: Unmatched 'end_{kind}'. No matching 'begin_{kind}' was found "
       "for the name '{name}'."),
    P_("problem_pyxform_no_calculation", "pyxform refuses the form: Missing calculation."),
    # the same refusals as evaluation.yaml's reader says them: PyYAML's problem without its
    # context (evaluator.bundle.parsing.parse_yaml)
    P_("problem_yaml_bare_character",
       "not valid YAML: found character {character} that cannot start any token"),
    P_("problem_yaml_bare_indent_key",
       "not valid YAML: expected <block end>, but found '<block mapping start>'"),
    P_("problem_yaml_bare_indent_list",
       "not valid YAML: expected <block end>, but found '<block sequence start>'"),
    P_("problem_yaml_bare_stray_dash", "not valid YAML: expected <block end>, but found '-'"),
    P_("problem_yaml_bare_open_quote", "not valid YAML: found unexpected end of stream"),
    P_("problem_yaml_bare_open_bracket", "not valid YAML: expected ',' or ']', but got {found}"),
    P_("problem_yaml_bare_open_brace", "not valid YAML: expected ',' or '}}', but got {found}"),
    P_("problem_yaml_bare_open_bracket_end",
       "not valid YAML: expected ',' or ']', but got '<stream end>'"),
    P_("problem_yaml_bare_open_brace_end",
       "not valid YAML: expected ',' or '}}', but got '<stream end>'"),
    P_("problem_yaml_bare_no_colon", "not valid YAML: could not find expected ':'"),
    P_("problem_yaml_bare_two_documents", "not valid YAML: but found another document"),
    # a calculate field whose recorded value its expression does not give (check_columns)
    P_("problem_calculation_differs", "{value!r} but {expression} gives {result}"),
    P_("problem_calculation_not_number",
       "{value!r} is not a number but {expression} gives {result}"),
    P_("problem_calculation_mismatch",
       "{value} but {expression} gives {result} from this record's answers"),
    # repeat files (household-members.csv: one row per entry, PARENT_KEY naming its record)
    P_("problem_parent_key_missing", "missing column 'PARENT_KEY' linking each row to its record"),
    P_("problem_parent_key_unknown", "{parent!r} matches no record in {records}"),
    P_("problem_repeat_unknown_column", "unknown column: not a field of repeat {repeat!r}"),
    # a programme's units sheet (evaluator.programmes.operations.read_units)
    P_("problem_units_unknown_columns", "unknown column(s) {unknown}; the columns are {columns}"),
    P_("problem_unit_name_required", "the unit's name is required"),
    P_("problem_unit_twice", "{unit!r} is in the programme already (or twice in this sheet)"),
    P_("problem_unit_key", "letters, digits, '-', '_'"),
    P_("problem_unit_key_taken", "evaluation {key!r} exists"),
    P_("problem_unit_not_lead", "{username!r} is not a user with role admin or lead"),
    P_("problem_unit_not_unit_user", "{username!r} is not a user with role unit"),
    P_("problem_unit_not_evaluator", "{username!r} is not an evaluator or lead"),
    P_("problem_unit_roster_not_uploaded", "no roster file {roster!r} was uploaded"),
    P_("problem_unit_roster_required", "the roster file is required"),
    P_("problem_unit_no_units", "the sheet lists no units"),
    P_("problem_unit_both_lat_lon", "give both lat and lon, or neither ({other} is given)"),
    P_("problem_unit_not_degrees", "{value!r} is not decimal degrees between {low} and {high}"),
))

#: PyYAML's refusals by code for ``problems.coded_as``: the words without a value first (a
#: flow "but got '<stream end>'" is the file ending, not a stray token), then those with one,
#: and ``problem_yaml_invalid`` (any other, PyYAML's words beside) last.
YAML_REFUSALS: tuple[str, ...] = tuple(sorted(
    (code for code in PROBLEM_WORDS if code.startswith("problem_yaml_") and code not in (
        "problem_yaml_not_utf8", "problem_yaml_invalid", "problem_yaml_key_twice")),
    key=lambda code: "{" in PROBLEM_WORDS[code].replace("{{", "").replace("}}", ""),
)) + ("problem_yaml_invalid",)
