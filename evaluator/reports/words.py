"""Every word a report prints by itself, addressed by a stable key.

The text is the English source (the gettext msgid, with the key as its msgctxt); the Chinese
(the language of record) is in the Chinese catalog, ``evaluator/translations/zh/LC_MESSAGES/
messages.po``, which a translator opens with any PO editor. The report code asks for words by key
(``w("summary_result", total=...)``) because many are chosen at run time (``verdict_{code}``,
``rule_{direction}``); ``P_`` only marks each entry for ``pybabel extract``. Values are
``str.format`` patterns; a list entry is the keys ``name.1``, ``name.2``, ... in order.
"""

from __future__ import annotations

from evaluator.catalogs import P_
from evaluator.reports.words_extra import EXTRA_WORDS
from evaluator.reports.words_parts import PART_WORDS

WORDS: dict[str, str] = dict((
    P_("kicker", "Third-party evaluation report"),
    P_("evaluated_unit", "Evaluated unit"),
    P_("commissioning_body", "Commissioned by"),
    P_("evaluator_org", "Evaluator"),
    P_("team", "Evaluation team"),
    P_("fieldwork_dates", "Fieldwork"),
    P_("report_date", "Report date"),
    P_("period", "Period evaluated"),
    P_("report_number", "Report no."),
    P_("strata_label", "{stratum} (n={n})"),
    P_("seal_label", "Evaluating institution (seal)"),
    P_("seal_date", "Date:"),
    P_("proof_footer", "Data sha256:{hash}… · verify: evaluator verify REPORT.pdf"),
    P_("toc", "Contents"),
    P_("synthetic_notice",
       "SYNTHETIC DEMO DATA: this report was made from generated demonstration data. The "
       "units, people and households are invented and it describes no real unit's work."),
    P_("provenance_rubric", "rubric {id} {version}"),
    P_("provenance_data", "data {hash}"),
    P_("provenance_software", "evaluator {version}"),
    P_("team_role", "{name} ({role})"),
    P_("list_sep", ", "),
    P_("date_range", "{start} to {end}"),
    P_("ch_summary", "Executive summary"),
    P_("ch_overview", "Scores"),
    P_("ch_findings", "Findings and evidence"),
    P_("ch_rectification", "Rectification list"),
    P_("app_method", "Methodology"),
    P_("app_sample", "The sample"),
    P_("app_stamp", "Reproducibility"),
    P_("sec_sampling", "Sampling design"),
    P_("sec_estimation", "Estimates and intervals"),
    P_("sec_verdicts", "Verdicts and points"),
    P_("sec_rubric", "Rubric and scoring rules"),
    P_("chapter_number", "{numeral} {title}"),
    P_("section_number", "{numeral} {title}"),
    P_("appendix_number", "Appendix {numeral}  {title}"),
    P_("fig_total", "Total score"),
    P_("fig_grade", "Grade"),
    P_("fig_veto", "Veto"),
    P_("fig_sample", "Households sampled"),
    P_("fig_total_of", "out of {max}"),
    P_("fig_sample_of", "of {population} registered"),
    P_("fig_veto_none", "none"),
    P_("fig_veto_some", "{count} triggered"),
    P_("summary_intro",
       "Commissioned by {commissioning_body}, the {team_org} evaluated how {unit} lifts "
       "urban workers out of hardship, with fieldwork {fieldwork}. The evaluation follows "
       "the rubric \"{rubric_title}\" ({rubric_id} {rubric_version}) and scores "
       "{indicator_count} indicators in {dimension_count} dimensions from household visits, "
       "file checks, system records and forums."),
    P_("summary_team_org", "evaluation team"),
    P_("summary_sample",
       "Of the {population} registered households, {sampled} were drawn at random within "
       "strata ({stratum_label}), with {reserve} reserves; {visited} households were "
       "visited ({reserves_used} of them reserves) and {files} files checked. Every rate is "
       "a design-weighted estimate for all registered households, with its 95% confidence "
       "interval."),
    P_("summary_result", "The total score is {total} out of {max}: grade \"{grade}\"."),
    P_("summary_provisional",
       "The grade is provisional: the sample cannot decide {codes}; with them anywhere "
       "their evidence allows, the total lies between {low} and {high}, a grade from "
       "\"{worst}\" to \"{best}\"."),
    P_("grade_provisional", "{grade} (provisional)"),
    P_("fig_grade_provisional", "provisional: {worst} to {best}"),
    P_("summary_response",
       "The household interview response rate is {rate} ({responded} interviewed, {refused} "
       "refused, {not_reached} not reached, {reserves} reserves used); by {stratum_label} "
       "it ranges from {lowest} to {highest}."),
    P_("summary_multiplicity",
       "The report makes {family} statistical verdicts; with Holm's correction the chance "
       "that any of them is a false \"fails\" is at most 5%, and each \"meets\" is wrong with "
       "at most 5% chance when the indicator is exactly at its threshold."),
    P_("summary_result_capped",
       "The total score is {total} out of {max}, which would be \"{uncapped}\"; a veto caps "
       "the grade at \"{grade}\"."),
    P_("summary_veto_none", "No veto was triggered."),
    P_("summary_dimensions_caption", "Table {n}  Scores of the six dimensions"),
    P_("summary_dimensions_caption_generic", "Table {n}  Scores by dimension"),
    P_("summary_key_findings", "Key findings"),
    P_("finish_reason",
       "Finished with open checks: the team lead marked this evaluation finished before every "
       "sampled household was visited, every record reviewed and every indicator decided, and "
       "gave this reason: {reason}"),
    P_("summary_decidability", "What the sample could and could not decide"),
    P_("rounding_note",
       "Scores are rounded to two decimals; the dimension scores may not add up exactly to "
       "the total because of rounding."),
    P_("key_veto", "Veto: {name}. {reason} The grade is capped at \"{cap}\"."),
    P_("key_failed",
       "{code} {name}: {estimate_text}, {target_text}; fails its target, losing {lost} "
       "points."),
    P_("key_estimate_ci", "{estimate} (95% CI {interval})"),
    P_("key_target", "target {target}"),
    P_("key_failed_points",
       "{code} {name}: {points} of {max} points; fails, losing {lost} points."),
    P_("key_findings_count",
       "Findings recorded: {total} ({critical} critical, {major} major, {minor} minor); all "
       "are on the rectification list (chapter {chapter})."),
    P_("key_findings_none", "The evaluation recorded no finding that needs rectification."),
    P_("key_critical", "Critical: {description}"),
    P_("decided",
       "Of the {total} scored and veto indicators, {decided} are decided on firm evidence: "
       "{meets} meet their target and {fails} fail it."),
    P_("decided_all",
       "All {total} indicators are decided on firm evidence; none is left undecided by the "
       "sample size or an interval that straddles its target."),
    P_("undecided_intro",
       "The sample cannot decide the following indicators, and the report does not pretend "
       "otherwise:"),
    P_("undecided_rate",
       "{code} {name}: the estimate is {estimate} with a 95% confidence interval of "
       "{interval}; its one-sided bound {bound} does not reach the threshold {target}, nor "
       "does the sample show it is missed, so the sample cannot tell whether the target is "
       "met. The estimate earns {points} points; a larger sample is needed to decide."),
    P_("undecided_judgement",
       "{code} {name}: the evaluators' scores differ by {spread}, more than the "
       "{max_spread} the rubric allows; no verdict is given, and the mean earns {points} "
       "points."),
    P_("undecided_generic",
       "{code} {name}: the evidence cannot decide; the estimate earns {points} points."),
    P_("insufficient_rate",
       "{code} {name}: only {n} {unit} with a value, fewer than the {min_n} the rubric "
       "requires; the estimate {estimate} is reported but not judged, and {points_rule}."),
    P_("points_rule_zero", "it earns no points"),
    P_("points_rule_pro_rata",
       "it earns no points (its dimension is scored from its other indicators)"),
    P_("insufficient_none",
       "{code} {name}: no record to estimate from; no verdict and no points."),
    P_("insufficient_judgement",
       "{code} {name}: only {n} evaluators scored, fewer than the {min_n} required; no "
       "verdict, and {points_rule}."),
    P_("overview_intro",
       "Table {table} gives the score of each dimension and the verdicts of its indicators; "
       "figure {radar} shows each dimension's share of its maximum, figure {strata} the "
       "score rate of each stratum ({stratum_label}), and figure {intervals} the rate "
       "indicators with their 95% confidence intervals and targets."),
    P_("radar_caption", "Figure {n}  Score of each dimension as a share of its maximum"),
    P_("strata_caption",
       "Figure {n}  Score rate (%) of the sampled indicators by stratum ({stratum_label})"),
    P_("strata_note",
       "A stratum's ({stratum_label}) score rate is the points its own sample (unweighted) "
       "earns on the sampled indicators, divided by their maximum. It serves to compare "
       "strata only: samples per stratum are small and the rates vary accordingly; they do "
       "not count toward the score."),
    P_("intervals_caption",
       "Figure {n}  Rate indicators: estimate, 95% confidence interval and target"),
    P_("intervals_note",
       "Dots are design-weighted estimates, bars 95% confidence intervals, vertical lines "
       "the targets; the shaded side meets the target. An interval wholly on that side "
       "meets the target, wholly on the other side fails it, across the line is undecided."),
    P_("stratum_default", "township"),
    P_("col_dimension", "Dimension"),
    P_("col_score", "Score"),
    P_("col_max", "Max"),
    P_("col_rate", "Rate"),
    P_("col_meets", "Meets"),
    P_("col_fails", "Fails"),
    P_("col_indeterminate", "Undecided"),
    P_("col_insufficient", "Too few"),
    P_("col_total", "Total"),
    P_("col_indicator", "Indicator"),
    P_("col_estimate", "Estimate"),
    P_("col_interval", "95% CI"),
    P_("col_n", "n"),
    P_("col_target", "Target"),
    P_("col_points", "Points"),
    P_("col_verdict", "Verdict"),
    P_("col_source", "Evidence"),
    P_("col_records", "Records"),
    P_("col_used_by", "Indicators using it"),
    P_("col_no", "No."),
    P_("col_problem", "Problem"),
    P_("col_unit", "Responsible unit"),
    P_("col_person", "Person responsible"),
    P_("col_deadline", "Deadline"),
    P_("col_stratum", "Stratum ({stratum_label})"),
    P_("col_population", "Registered"),
    P_("col_sampled", "Sampled"),
    P_("col_reserve", "Reserves"),
    P_("col_weight", "Weight"),
    P_("col_visited", "Visited"),
    P_("col_consent", "Consented"),
    P_("col_reserves_used", "Reserves used"),
    P_("col_files", "Files"),
    P_("col_fraction", "Fraction"),
    P_("col_code", "Code"),
    P_("col_name", "Name"),
    P_("col_method", "Method"),
    P_("col_rule", "Scoring rule"),
    P_("col_grade", "Grade"),
    P_("col_range", "Score range"),
    P_("col_category", "Category"),
    P_("col_item", "Item"),
    P_("col_value", "Value"),
    P_("dim_score",
       "This dimension scores {score} out of {max} ({rate}). Of its {count} indicators, "
       "{verdicts}."),
    P_("dim_verdict_count", "{count} {verdict}"),
    P_("dim_table_caption", "Table {n}  {name}: indicators, scores and verdicts"),
    P_("dim_evidence_caption", "Table {n}  {name}: evidence"),
    P_("dim_indicators", "Indicators"),
    P_("dim_forum_notes", "From the forums"),
    P_("forum_note", "{forum} ({date}, {place}): {notes}"),
    P_("forum_note_nodate", "{forum}: {notes}"),
    P_("ind_heading", "{code} {name}"),
    P_("ind_why", "Why it matters: {why}"),
    P_("ind_failed", "{label} ({count}): {list}"),
    P_("ind_failed_more", "{shown} and others, {count} in all (the full list is in the bundle)"),
    P_("ind_judgement_reason", "{evaluator} gave {score}: {reason}"),
    P_("ind_judgement_noreason", "{evaluator} gave {score}"),
    P_("ind_notes", "Notes: {notes}"),
    P_("evidence_records", "{count} {unit}"),
    P_("evidence_findings", "Findings"),
    P_("evidence_judgements", "Evaluators' judgement"),
    P_("evidence_forum_records", "{count} records ({forums} forums)"),
    P_("evidence_judgement_records", "{count} scores ({evaluators} evaluators)"),
    P_("evidence_finding_records", "{count}"),
    P_("res_share",
       "{n} {unit} with a value{extra}; the design-weighted estimate is {estimate} (95% CI "
       "{interval}) against a target of {target}."),
    P_("res_share_exact",
       "All {n} {unit} were checked{extra}; the share is {estimate}, without sampling "
       "error, against a target of {target}."),
    P_("res_mean",
       "{n} {unit} with a value{extra}; the design-weighted mean is {estimate} (95% CI "
       "{interval}) against a target of {target}."),
    P_("res_mean_exact",
       "All {n} {unit} were checked{extra}; the mean is {estimate}, without sampling error, "
       "against a target of {target}."),
    P_("res_none", "No record to estimate from{extra}."),
    P_("res_extra", " ({na} not applicable, {missing} missing)"),
    P_("res_extra_na", " ({na} not applicable)"),
    P_("res_extra_missing", " ({missing} missing)"),
    P_("res_points", "{points} of {max} points."),
    P_("res_verdict_meets", "The whole interval meets the target: meets."),
    P_("res_verdict_fails", "The whole interval misses the target: fails."),
    P_("res_verdict_indeterminate",
       "The interval straddles the target, so the sample cannot decide; points follow the "
       "estimate."),
    P_("res_verdict_insufficient",
       "Fewer than the {min_n} {unit} the rubric requires: the estimate is reported, not "
       "judged."),
    P_("res_verdict_insufficient_none", "Nothing to estimate: no verdict and no points."),
    P_("res_deduction",
       "Findings recorded: {n} ({critical} critical, {major} major, {minor} minor); points "
       "deducted: {deducted}."),
    P_("res_deduction_none", "No finding recorded for this indicator; nothing deducted."),
    P_("res_judged_meets", "At or above the pass mark of {pass}: meets."),
    P_("res_judged_fails", "Below the pass mark of {pass}: fails."),
    P_("res_judgement",
       "{n} evaluators scored it, {estimate} on average out of {scale}; highest and lowest "
       "differ by {spread}."),
    P_("res_judgement_spread",
       "The scores differ by more than the {max_spread} the rubric allows: no verdict; "
       "points follow the mean."),
    P_("res_judgement_few", "Fewer evaluators than the {min_n} required: no verdict."),
    P_("res_judgement_none", "No evaluator scored it: no points."),
    P_("res_veto_findings_off",
       "No related finding of severity {severity} or worse: the veto is not triggered."),
    P_("res_veto_findings_on",
       "Related findings of severity {severity} or worse: {n}. The veto is triggered and "
       "the grade is capped at \"{cap}\"."),
    P_("res_veto_condition_off",
       "Of {n} applicable {unit}, {count} meet the veto condition; the {measure} does not "
       "exceed the limit of {allowed}: not triggered."),
    P_("res_veto_condition_on",
       "Of {n} applicable {unit}, {count} meet the veto condition; the {measure} exceeds "
       "the limit of {allowed}: the veto is triggered and the grade is capped at \"{cap}\"."),
    P_("veto_measure_share_bound", "one-sided 95 % lower bound of the share, {value},"),
    P_("veto_measure_share_estimate", "estimated share, {value},"),
    P_("veto_measure_households_bound",
       "one-sided 95 % lower bound of the number of households, {value},"),
    P_("veto_measure_households_estimate", "estimated number of households, {value},"),
    P_("veto_limit_share", "{value}"),
    P_("veto_limit_households", "{value} households"),
    P_("veto_reason_findings", "Related findings of severity {severity} or worse: {n}."),
    P_("veto_reason_condition", "The {measure} exceeds the limit of {allowed}."),
    P_("failed_rate_higher", "Households not meeting the condition"),
    P_("failed_rate_lower", "Households counted as errors"),
    P_("failed_checklist", "Households with a failed file item"),
    P_("failed_completeness", "Households with blank fields"),
    P_("failed_consistency", "Households where the sources disagree"),
    P_("failed_mean", "Households short of the target"),
    P_("failed_deduction", "Households named in findings"),
    P_("failed_veto", "Households meeting the veto condition"),
    P_("failed_generic", "Households failing"),
    P_("household_named", "{code} ({name})"),
    P_("household_named_id", "{code} ({name}, {id})"),
    P_("flag_expression_errors", "some records could not be evaluated and count as missing"),
    P_("flag_no_source", "the bundle has no records of this indicator's source"),
    P_("flag_duplicate_records", "some households have more than one record"),
    P_("flag_unknown_households", "some records name no household of the roster"),
    P_("flag_frame_too_small",
       "some strata have more observed households than registered; observed counts used"),
    P_("flag_repeated_evaluator",
       "an evaluator scored more than once; their scores were averaged first"),
    P_("flag_score_out_of_scale",
       "a score lies outside the scale; points are kept between zero and the maximum"),
    P_("flag_unknown_severity", "some findings have an unknown severity and deduct nothing"),
    P_("flag_spread", "the evaluators disagree more than the rubric allows"),
    P_("flag_other", "other: {flag}"),
    P_("findings_intro",
       "This chapter lists the {total} findings by indicator (indicators with the most "
       "severe findings first): the indicator's result, then each finding with the "
       "household's records as evidence and who must act. The numbers are those of the "
       "rectification list in chapter {chapter}."),
    P_("finding_group", "{numeral}{code} {name} ({counts})"),
    P_("finding_group_count", "{count} {severity}"),
    P_("finding_group_result", "Result of the indicator: {result}"),
    P_("finding_heading_household", "{no}. [{severity}] household {household}"),
    P_("finding_heading_general", "{no}. [{severity}] not about one household"),
    P_("findings_none", "The evaluation recorded no findings."),
    P_("finding_responsible",
       "Responsible unit: {unit}; person responsible: {person}; deadline: {deadline}"),
    P_("finding_in_failed", "The household is on this indicator's list: {label}."),
    P_("finding_records", "The household's records: {records}"),
    P_("finding_value", "{label}: {value}"),
    P_("finding_value_sep", "; "),
    P_("finding_source_sep", ". "),
    P_("finding_source_values", "{source} — {values}"),
    P_("finding_no_records", "The bundle has no record of this household."),
    P_("finding_unknown_indicator", "(not an indicator of the rubric)"),
    P_("rect_intro",
       "The evaluated unit should act on each line below and report to {commissioning_body} "
       "by the deadline."),
    P_("rect_caption", "Table {n}  Rectification list"),
    P_("rect_problem", "[{severity}] {code} {name}: {description}"),
    P_("rect_household", " (household {household})"),
    P_("rect_none", "Nothing to rectify."),
    P_("m_sampling_intro",
       "The sampling frame is the register of households in hardship of {unit} "
       "({population} households) in {strata} strata by {stratum_label}; {method}."),
    P_("m_method_margin", "the sample size follows from a margin of error"),
    P_("m_method_threshold", "the sample size follows from an error-rate threshold"),
    P_("m_method_size", "the sample size is fixed"),
    P_("m_method_external", "the sample was drawn outside this platform and is used as given"),
    P_("m_method_unknown", "sampling method: {method}"),
    P_("m_parameters", " ({parameters})"),
    P_("m_param_size", "{value} households"),
    P_("m_param_margin", "margin {value}"),
    P_("m_param_confidence", "confidence {value}"),
    P_("m_param_threshold", "threshold {value}"),
    P_("m_param_expected_errors", "{value} expected errors"),
    P_("m_param_p", "expected share {value}"),
    P_("m_param_other", "{key} = {value}"),
    P_("m_allocation",
       "The sample is allocated in proportion to each stratum's registered households, at "
       "least {min} per stratum; {reserve} reserves are drawn per stratum and replace, in "
       "order, households that cannot be visited."),
    P_("m_draw",
       "The draw can be repeated: numpy's PCG64 generator with seed {seed}; strata in name "
       "order; within a stratum, households sorted by code, each given one random key and "
       "ordered by it; the first n_h are the sample and the next ones the reserves. Anyone "
       "with the same roster and seed obtains the same sample."),
    P_("m_draw_external",
       "The sample was drawn outside this platform; the report uses the bundle's sample "
       "list and cannot repeat the draw."),
    P_("m_roster_hash", "Roster fingerprint (household codes and strata): {hash}"),
    P_("m_roster_file", "Roster file SHA-256: {hash}"),
    P_("m_frame_caption", "Table {n}  Sampling frame and allocation"),
    P_("m_estimation.1",
       "Rates and means are stratified, design-weighted estimates: in stratum h each "
       "responding sampled household stands for N_h/m_h registered households (N_h "
       "registered, m_h responding and observed); for indicators that apply to part of the "
       "households only (exited households, for example), the number of such households is "
       "estimated per stratum. Variances are the linearised (Taylor) variances survey "
       "software reports, which count the estimated domain size too, with the "
       "finite-population correction."),
    P_("m_estimation.2",
       "Rates and per-household shares (file checklists, completeness) carry the exact "
       "(Clopper-Pearson) 95% interval at the effective sample size, as Korn and Graubard "
       "compute it for survey data (the design effect, counted as 1 when below 1, and a "
       "degrees-of-freedom adjustment): it holds at 0%, 100% and in small samples. A "
       "complete census has no sampling error. Means use Student's t."),
    P_("m_estimation.3",
       "Refusals and households not reached (not at home, moved) are non-response, not \"not "
       "applicable\": they leave the estimate, reserves of the same stratum replace them in "
       "order, and each stratum's respondents stand for the whole stratum (a weighting "
       "adjustment within strata). Table {response_table} gives the response rates."),
    P_("m_estimation.4",
       "Points come from the point estimate, never from an interval bound; verdicts come "
       "from a one-sided confidence bound against the verdict threshold."),
    P_("m_verdicts.1",
       "Threshold: the indicator's target; a target of 100% (or 0%) cannot be shown by any "
       "sample, so the rubric gives the share the verdict tests instead (e.g. 98%)."),
    P_("m_verdicts.2",
       "Meets: the one-sided 95% confidence bound reaches the threshold (higher is better: "
       "the lower bound is at or above it; lower is better: the upper bound is at or below "
       "it). The sampling plan is sized for the same rule: a team that checks the planned "
       "sample and finds no more errors than planned gets \"meets\"."),
    P_("m_verdicts.3",
       "Fails: the sample shows the indicator misses its threshold. Holm's step-down "
       "correction keeps the chance that any of this report's {family} statistical verdicts "
       "is a false \"fails\" at 5% or less (tested one by one it could reach {uncorrected})."),
    P_("m_verdicts.4",
       "Undecided: the sample shows neither; a judged indicator is also undecided when the "
       "evaluators' scores differ by more than the rubric allows."),
    P_("m_verdicts.5",
       "Too few: fewer units than the rubric's minimum; the estimate is reported but not "
       "judged, and earns no points."),
    P_("m_verdicts.6",
       "Provisional grade: when the total could fall into another band with each too-few "
       "indicator anywhere from 0 to full points and each undecided one at either end of "
       "its 95% interval, the grade is marked provisional."),
    P_("m_verdicts.7",
       "Points: full points at the target or better, zero at the floor or worse, linear in "
       "between; step tables give the points of the best step reached. Deductions and "
       "judged indicators meet when they keep at least the pass mark ({pass}) of their "
       "points."),
    P_("m_verdicts.8",
       "Grade: the band the total score reaches; a triggered veto caps the grade at the "
       "band it names."),
    P_("m_bands_caption", "Table {n}  Grades"),
    P_("m_response_caption", "Table {n}  Household interview response"),
    P_("col_drawn", "Drawn"),
    P_("col_responded", "Interviewed"),
    P_("col_refused", "Refused"),
    P_("col_not_reached", "Not reached"),
    P_("col_response_rate", "Response rate"),
    P_("m_band_range", "{min} to below {upper}"),
    P_("m_band_top", "{min} and above"),
    P_("m_rubric_intro",
       "The rubric is \"{title}\", id {id}, version {version} (its content fingerprint is in "
       "appendix {stamp}). Each indicator's rule follows, in the words of the "
       "questionnaires and the roster (the rubric file holds the rules as written)."),
    P_("m_rubric_caption", "Table {n}  {name} ({points} points): scoring rules"),
    P_("rule_source", "Evidence: {source}."),
    P_("rule_applies", "Applies to households where {expr}."),
    P_("rule_rate", "Design-weighted share of them where {expr}."),
    P_("rule_mean", "Design-weighted mean of {expr}."),
    P_("rule_checklist",
       "Each file is checked on {count} items ({items}; \"{na}\" is not applicable); the "
       "share answered \"{pass_value}\" per file is averaged with weights."),
    P_("rule_completeness",
       "Each record is checked for {count} fields ({fields}); the share filled is averaged "
       "with weights."),
    P_("rule_consistency",
       "{left} of this source is compared with {right} of {right_source} for each "
       "household; {compare}; the weighted share that agrees; {missing}."),
    P_("rule_compare_number", "numbers agree within {tolerance}"),
    P_("rule_compare_text", "texts must be equal"),
    P_("rule_compare_set", "at least one item in common agrees"),
    P_("rule_compare_other", "compared by \"{compare}\""),
    P_("rule_tolerance_abs", "{value}"),
    P_("rule_tolerance_rel", "{value}"),
    P_("rule_tolerance_or", "{a} or {b}"),
    P_("rule_missing_skip", "a missing side leaves the household out"),
    P_("rule_missing_disagree", "a missing side counts as disagreement"),
    P_("rule_higher", "Higher is better."),
    P_("rule_lower", "Lower is better."),
    P_("rule_linear_higher",
       "Full points at {target} or more, zero at {floor} or less, linear in between."),
    P_("rule_linear_lower",
       "Full points at {target} or less, zero at {floor} or more, linear in between."),
    P_("rule_steps", "Steps: {steps}; otherwise zero."),
    P_("rule_step_higher", "{points} points at {at} or more"),
    P_("rule_step_lower", "{points} points at {at} or less"),
    P_("rule_step_sep", "; "),
    P_("rule_min_n", "At least {min_n} units."),
    P_("rule_verdict_at",
       "The verdict tests {value} (the target itself cannot be shown by a sample). "),
    P_("rule_deduction",
       "Findings deduct points: {minor} per minor, {major} per major and {critical} per "
       "critical finding, down to zero."),
    P_("rule_judgement",
       "Evaluators score 0 to {scale} with reasons; the mean is scaled to the points; "
       "scores differing by more than {max_spread} are undecided; at least {min_n} "
       "evaluators."),
    P_("rule_veto_findings",
       "Triggered by any finding of severity {severity} or worse ({scope}); caps the grade "
       "at \"{cap}\"."),
    P_("rule_veto_condition",
       "Triggered when the {what} of households where {expr} exceeds {max_count}; caps the "
       "grade at \"{cap}\"."),
    P_("rule_veto_what_share_bound",
       "share, as proven by the sample (one-sided 95 % lower bound),"),
    P_("rule_veto_what_share_estimate", "estimated share"),
    P_("rule_veto_what_households_bound",
       "number, as proven by the sample (one-sided 95 % lower bound),"),
    P_("rule_veto_what_households_estimate", "estimated number"),
    P_("rule_scope_dimension", "dimension {name}"),
    P_("rule_scope_indicators", "indicators {codes}"),
    P_("s_intro",
       "The roster holds {population} households in {strata} strata; {sampled} were sampled "
       "with {reserve} reserves. {visited} households were visited ({consent} consented, "
       "{reserves_used} reserves used), {files} files checked, {system} system records "
       "obtained, {forums} forums held, {judges} judgement scores given and {findings} "
       "findings recorded."),
    P_("s_strata_caption", "Table {n}  Sample by stratum"),
    P_("s_composition_caption", "Table {n}  Sampled households by category and status"),
    P_("s_composition_note",
       "Sampled households (not unused reserves) by the category and status on the roster."),
    P_("stamp_intro",
       "Every figure in this report follows deterministically from the data and rubric "
       "below. Rebuilt from the same bundle, rubric and software version, the report gives "
       "the same figures and text."),
    P_("stamp_evaluation", "Evaluation"),
    P_("stamp_data_hash", "Bundle fingerprint (SHA-256)"),
    P_("stamp_rubric", "Rubric"),
    P_("stamp_rubric_hash", "Rubric content fingerprint (SHA-256)"),
    P_("stamp_software", "Software"),
    P_("stamp_roster_hash", "Roster fingerprint"),
    P_("stamp_seed", "Sampling seed"),
    P_("stamp_confidence", "Confidence level"),
    P_("stamp_reproduce", "Recompute"),
    P_("stamp_reproduce_value", "evaluator score BUNDLE --format json"),
    P_("stamp_none", "none"),
    P_("stamp_caption", "Table {n}  Reproducibility"),
    P_("verdict_meets", "Meets"),
    P_("verdict_fails", "Fails"),
    P_("verdict_indeterminate", "Undecided"),
    P_("verdict_insufficient", "Too few"),
    P_("severity_minor", "minor"),
    P_("severity_major", "major"),
    P_("severity_critical", "critical"),
    P_("source_household", "household visits"),
    P_("source_file_check", "file checks"),
    P_("source_system", "system records"),
    P_("source_forum", "forums"),
    P_("source_other", "{source}"),
    P_("method_rate", "rate"),
    P_("method_mean", "mean"),
    P_("method_checklist", "checklist"),
    P_("method_consistency", "consistency"),
    P_("method_completeness", "completeness"),
    P_("method_deduction", "deduction"),
    P_("method_judgement", "judgement"),
    P_("method_veto", "veto"),
    P_("unit_household", "households"),
    P_("unit_file_check", "files"),
    P_("unit_system", "records"),
    P_("unit_forum", "records"),
    P_("unit_other", "units"),
    P_("unit_person", "evaluators"),
    P_("unit_finding", "findings"),
    P_("target_higher", "≥ {value}"),
    P_("target_lower", "≤ {value}"),
    P_("target_none", "—"),
    P_("no_value", "—"),
    P_("interval", "{low}–{high}"),
    P_("judgement_estimate", "{value}/{scale}"),
    P_("points_of", "{points}/{max}"),
    P_("category_深度困难", "deep hardship"),
    P_("category_相对困难", "relative hardship"),
    P_("category_意外致困", "hardship by accident"),
    P_("status_在档", "registered"),
    P_("status_已脱困", "exited"),
    P_("status_注销", "cancelled"),
    P_("total_row", "Total"),
    P_("draft_mark", "DRAFT · "),
    P_("draft_notice",
       "DRAFT: this evaluation is not finished; its data and scores may still change, and "
       "this is not the final assessment."),
))
# the comparison report's, the charts', the roster columns' and the rule expressions' words
WORDS.update(EXTRA_WORDS)
# the programme report's, the appeals appendix's and the rectification status's
WORDS.update(PART_WORDS)


CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (chapter numbers up to 99)."""
    if n < 1 or n > 99:
        raise ValueError(f"chapter number {n} is out of range 1..99")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CHINESE_NUMERALS[ones - 1]
    head = "" if tens == 1 else CHINESE_NUMERALS[tens - 1]
    return head + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")
