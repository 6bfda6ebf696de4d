"""The report words of the programme report (evaluator.reports.programme), the appeals
appendix (evaluator.reports.appeals) and the one-page rectification status (整改情况一览,
evaluator.feedback.views): part of ``words.WORDS``, each key prefixed by its report. English with
the key as msgctxt; the Chinese is in the catalog, as for every report word.
"""

from __future__ import annotations

from evaluator.catalogs import P_

PART_WORDS: dict[str, str] = dict((
    # the programme report (evaluator.reports.programme)
    P_("prog_kicker", "Programme report"),
    P_("prog_period", "Evaluation period"),
    P_("prog_units", "{count} evaluated units"),
    P_("prog_teams", "the units' evaluation teams"),
    P_("prog_ch_summary", "Summary"),
    P_("prog_ch_ranking", "Ranking and tiers"),
    P_("prog_ch_pooled", "Programme-level indicators"),
    P_("prog_ch_cross", "Findings across units"),
    P_("prog_app_profiles", "The units"),
    P_("prog_app_data", "Data and reproducibility"),
    P_("prog_summary",
       "{units} units were evaluated with the same rubric ({id} {version}); their rosters "
       "hold {frame} households, of which {sampled} were sampled. Of {pairs} pairs of units, "
       "the data tell {distinguished} apart (Holm-corrected, {alpha} % familywise), which "
       "gives {tiers} tiers."),
    P_("prog_summary_pooled",
       "Of {estimated} indicators estimated for the whole programme, {meets} meet their "
       "target, {fails} fail, {indeterminate} are undecided and {insufficient} have too few "
       "data (chapter 3)."),
    P_("prog_ranking_intro",
       "Units whose samples cannot tell them apart get no exact place: each unit's total has "
       "a 95 % interval (a rescaled bootstrap of its sample), every pair is tested under "
       "Holm's correction, the possible ranks are the best and worst the data allow, and "
       "units in one tier are not shown to differ from the tier's first."),
    P_("prog_ranking_caption", "Table {n}  Ranking and tiers"),
    P_("prog_ranking_columns.1", "Tier"),
    P_("prog_ranking_columns.2", "Ranks"),
    P_("prog_ranking_columns.3", "Unit"),
    P_("prog_ranking_columns.4", "Region"),
    P_("prog_ranking_columns.5", "Total"),
    P_("prog_ranking_columns.6", "95 % interval"),
    P_("prog_ranking_columns.7", "Grade"),
    P_("prog_pooled_intro",
       "The units' samples are pooled into one stratified design: each unit's strata are "
       "strata of the programme, weighted by their rosters, so a programme figure is a "
       "design-based estimate of the whole and its interval carries every unit's sampling "
       "error. Judgement, deduction and veto indicators cannot be pooled so; the table says "
       "how they are combined."),
    P_("prog_pooled_caption", "Table {n}  Programme-level indicators"),
    P_("prog_pooled_columns.1", "Indicator"),
    P_("prog_pooled_columns.2", "Estimate"),
    P_("prog_pooled_columns.3", "95 % interval"),
    P_("prog_pooled_columns.4", "n"),
    P_("prog_pooled_columns.5", "Units"),
    P_("prog_pooled_columns.6", "Verdict"),
    P_("prog_pooling_weighted_mean", "frame-weighted mean of units"),
    P_("prog_pooling_counts", "counts over units"),
    P_("prog_cross_intro",
       "For each indicator, the number of units by verdict (most failing first), and for "
       "deduction indicators the findings by severity."),
    P_("prog_cross_caption", "Table {n}  Verdicts by indicator across units"),
    P_("prog_cross_columns.1", "Indicator"),
    P_("prog_cross_columns.2", "Meets"),
    P_("prog_cross_columns.3", "Fails"),
    P_("prog_cross_columns.4", "Undecided"),
    P_("prog_cross_columns.5", "Too few"),
    P_("prog_cross_columns.6", "Findings (minor/major/critical)"),
    P_("prog_profile_facts",
       "Total {total} (95 % interval {interval}), grade {grade}, tier {tier}, possible ranks "
       "{ranks}."),
    P_("prog_profile_unscored", "Not scored."),
    P_("prog_profile_caption", "Table {n}  {unit}: dimension scores"),
    P_("prog_profile_columns.1", "Dimension"),
    P_("prog_profile_columns.2", "Score"),
    P_("prog_profile_columns.3", "Out of"),
    P_("prog_profile_indicators_caption", "Table {n}  {unit}: indicators"),
    P_("prog_profile_indicator_columns.1", "Indicator"),
    P_("prog_profile_indicator_columns.2", "Estimate"),
    P_("prog_profile_indicator_columns.3", "95 % interval"),
    P_("prog_profile_indicator_columns.4", "Verdict"),
    P_("prog_profile_fails", "Indicators failing: {codes}."),
    P_("prog_profile_no_fails", "No indicator fails."),
    P_("prog_data_intro",
       "Every unit's figures can be recomputed from its bundle and the rubric (evaluator "
       "programme score FOLDER)."),
    P_("prog_data_caption", "Table {n}  Data fingerprints"),
    P_("prog_data_columns.1", "Evaluation"),
    P_("prog_data_columns.2", "Unit"),
    P_("prog_data_columns.3", "Bundle fingerprint"),
    P_("prog_rubric_hash", "Rubric content fingerprint: {hash}"),
    P_("prog_synthetic_notice",
       "SYNTHETIC DATA: the programme's units, people and households are generated for "
       "demonstration and testing."),
    P_("prog_verdict_meets", "meets"),
    P_("prog_verdict_fails", "fails"),
    P_("prog_verdict_indeterminate", "undecided"),
    P_("prog_verdict_insufficient", "too few data"),
    # the appeals appendix (evaluator.reports.appeals)
    P_("appeal_title", "Feedback and appeals"),
    P_("appeal_intro",
       "On {published} the team showed the evaluated unit its {count} preliminary findings, "
       "to be answered by {deadline}. The unit accepted {accepted} and contested "
       "{contested}; deciding each, the team upheld {upheld} ({withdrawn} withdrawn, "
       "{changed} changed), rejected {rejected}, and {pending} await a decision."),
    P_("appeal_scores",
       "Total score when the findings were published: {before} ({grade_before}); after the "
       "appeals: {after} ({grade_after})."),
    P_("appeal_caption", "Table {n}  Appeals and decisions"),
    P_("appeal_columns.1", "No."),
    P_("appeal_columns.2", "Indicator"),
    P_("appeal_columns.3", "Finding"),
    P_("appeal_columns.4", "Answer"),
    P_("appeal_columns.5", "Reason"),
    P_("appeal_columns.6", "Decision"),
    P_("appeal_columns.7", "Reason for the decision"),
    P_("appeal_accepted", "accepted"),
    P_("appeal_contested", "contested"),
    P_("appeal_upheld", "upheld"),
    P_("appeal_rejected", "rejected"),
    P_("appeal_pending", "pending"),
    P_("appeal_none", "—"),
    P_("appeal_withdrawn", " (finding withdrawn)"),
    P_("appeal_changed", " (finding changed)"),
    P_("appeal_unscored", "—"),
    # the one-page rectification status (整改情况一览, evaluator.feedback.views)
    P_("rect_status_title", "Rectification status"),
    P_("rect_status_summary",
       "{count} items: {open} open, {in_progress} in progress, {submitted} submitted, "
       "{verified} verified closed; {overdue} overdue (red). As of {today}."),
    P_("rect_status_columns.1", "No."),
    P_("rect_status_columns.2", "Indicator"),
    P_("rect_status_columns.3", "Problem"),
    P_("rect_status_columns.4", "Responsible unit"),
    P_("rect_status_columns.5", "Person"),
    P_("rect_status_columns.6", "Deadline"),
    P_("rect_status_columns.7", "State"),
    P_("rect_status_columns.8", "Latest step"),
))
