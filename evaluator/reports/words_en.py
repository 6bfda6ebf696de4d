"""The report's words in English, key for key those of ``words.ZH`` (a test checks that both
languages have the same keys). Values are ``str.format`` patterns."""

from __future__ import annotations

EN: dict[str, str] = {
    "kicker": "Third-party evaluation report",
    "evaluated_unit": "Evaluated unit",
    "commissioning_body": "Commissioned by",
    "evaluator_org": "Evaluator",
    "team": "Evaluation team",
    "fieldwork_dates": "Fieldwork",
    "report_date": "Report date",
    "period": "Period evaluated",
    "toc": "Contents",
    "synthetic_notice": "SYNTHETIC DEMO DATA: this report was made from generated demonstration data. "
                        "The units, people and households are invented and it describes no real unit's work.",
    "provenance_rubric": "rubric {id} {version}",
    "provenance_data": "data {hash}",
    "provenance_software": "evaluator {version}",
    "team_role": "{name} ({role})",
    "list_sep": ", ",
    "date_range": "{start} to {end}",
    "ch_summary": "Executive summary",
    "ch_overview": "Scores",
    "ch_findings": "Findings and evidence",
    "ch_rectification": "Rectification list",
    "app_method": "Methodology",
    "app_sample": "The sample",
    "app_stamp": "Reproducibility",
    "sec_sampling": "Sampling design",
    "sec_estimation": "Estimates and intervals",
    "sec_verdicts": "Verdicts and points",
    "sec_rubric": "Rubric and scoring rules",
    "chapter_number": "{numeral} {title}",
    "section_number": "{numeral} {title}",
    "appendix_number": "Appendix {numeral}  {title}",
    "fig_total": "Total score",
    "fig_grade": "Grade",
    "fig_veto": "Veto",
    "fig_sample": "Households sampled",
    "fig_total_of": "out of {max}",
    "fig_sample_of": "of {population} registered",
    "fig_veto_none": "none",
    "fig_veto_some": "{count} triggered",
    "summary_intro": "Commissioned by {commissioning_body}, the {team_org} evaluated how {unit} lifts urban "
                     "workers out of hardship, with fieldwork {fieldwork}. The evaluation follows the rubric "
                     "\"{rubric_title}\" ({rubric_id} {rubric_version}) and scores {indicator_count} indicators "
                     "in {dimension_count} dimensions from household visits, file checks, system records and "
                     "forums.",
    "summary_team_org": "evaluation team",
    "summary_sample": "Of the {population} registered households, {sampled} were drawn at random within "
                      "strata ({stratum_label}), with {reserve} reserves; {visited} households were visited "
                      "({reserves_used} of them reserves) and {files} files checked. Every rate is a "
                      "design-weighted estimate for all registered households, with its 95% confidence "
                      "interval.",
    "summary_result": "The total score is {total} out of {max}: grade \"{grade}\".",
    "summary_result_capped": "The total score is {total} out of {max}, which would be \"{uncapped}\"; a veto "
                             "caps the grade at \"{grade}\".",
    "summary_veto_none": "No veto was triggered.",
    "summary_dimensions_caption": "Table {n}  Scores of the six dimensions",
    "summary_dimensions_caption_generic": "Table {n}  Scores by dimension",
    "summary_key_findings": "Key findings",
    "summary_decidability": "What the sample could and could not decide",
    "rounding_note": "Scores are rounded to two decimals; the dimension scores may not add up exactly to the "
                     "total because of rounding.",
    "key_veto": "Veto: {name}. {reason} The grade is capped at \"{cap}\".",
    "key_failed": "{code} {name}: {estimate_text}, {target_text}; fails its target, losing {lost} points.",
    "key_estimate_ci": "{estimate} (95% CI {interval})",
    "key_target": "target {target}",
    "key_failed_points": "{code} {name}: {points} of {max} points; fails, losing {lost} points.",
    "key_findings_count": "Findings recorded: {total} ({critical} critical, {major} major, {minor} minor); "
                          "all are on the rectification list (chapter {chapter}).",
    "key_findings_none": "The evaluation recorded no finding that needs rectification.",
    "key_critical": "Critical: {description}",
    "decided": "Of the {total} scored and veto indicators, {decided} are decided on firm evidence: "
               "{meets} meet their target and {fails} fail it.",
    "decided_all": "All {total} indicators are decided on firm evidence; none is left undecided by the "
                   "sample size or an interval that straddles its target.",
    "undecided_intro": "The sample cannot decide the following indicators, and the report does not "
                       "pretend otherwise:",
    "undecided_rate": "{code} {name}: the estimate is {estimate} with a 95% confidence interval of "
                      "{interval}, which straddles the target {target}; the sample cannot tell whether the "
                      "target is met. The estimate earns {points} points; a larger sample is needed to decide.",
    "undecided_judgement": "{code} {name}: the evaluators' scores differ by {spread}, more than the "
                           "{max_spread} the rubric allows; no verdict is given, and the mean earns {points} "
                           "points.",
    "undecided_generic": "{code} {name}: the evidence cannot decide; the estimate earns {points} points.",
    "insufficient_rate": "{code} {name}: only {n} {unit} with a value, fewer than the {min_n} the rubric "
                         "requires; the estimate {estimate} is reported but not judged, and earns {points} "
                         "points.",
    "insufficient_none": "{code} {name}: no record to estimate from; no verdict and no points.",
    "insufficient_judgement": "{code} {name}: only {n} evaluators scored, fewer than the {min_n} required; "
                              "no verdict, {points} points.",
    "overview_intro": "Table {table} gives the score of each dimension and the verdicts of its indicators; "
                      "figure {radar} shows each dimension's share of its maximum, figure {strata} the score "
                      "rate of each stratum ({stratum_label}), and figure {intervals} the rate indicators with "
                      "their 95% confidence intervals and targets.",
    "radar_caption": "Figure {n}  Score of each dimension as a share of its maximum",
    "strata_caption": "Figure {n}  Score rate (%) of the sampled indicators by stratum ({stratum_label})",
    "strata_note": "A stratum's ({stratum_label}) score rate is the points its own sample (unweighted) "
                   "earns on the sampled indicators, divided by their maximum. It serves to compare strata "
                   "only: samples per stratum are small and the rates vary accordingly; they do not count "
                   "toward the score.",
    "intervals_caption": "Figure {n}  Rate indicators: estimate, 95% confidence interval and target",
    "intervals_note": "Dots are design-weighted estimates, bars 95% confidence intervals, vertical lines the "
                      "targets; the shaded side meets the target. An interval wholly on that side meets the "
                      "target, wholly on the other side fails it, across the line is undecided.",
    "stratum_default": "township",
    "col_dimension": "Dimension",
    "col_score": "Score",
    "col_max": "Max",
    "col_rate": "Rate",
    "col_meets": "Meets",
    "col_fails": "Fails",
    "col_indeterminate": "Undecided",
    "col_insufficient": "Too few",
    "col_total": "Total",
    "col_indicator": "Indicator",
    "col_estimate": "Estimate",
    "col_interval": "95% CI",
    "col_n": "n",
    "col_target": "Target",
    "col_points": "Points",
    "col_verdict": "Verdict",
    "col_source": "Evidence",
    "col_records": "Records",
    "col_used_by": "Indicators using it",
    "col_no": "No.",
    "col_problem": "Problem",
    "col_unit": "Responsible unit",
    "col_person": "Person responsible",
    "col_deadline": "Deadline",
    "col_stratum": "Stratum ({stratum_label})",
    "col_population": "Registered",
    "col_sampled": "Sampled",
    "col_reserve": "Reserves",
    "col_weight": "Weight",
    "col_visited": "Visited",
    "col_consent": "Consented",
    "col_reserves_used": "Reserves used",
    "col_files": "Files",
    "col_fraction": "Fraction",
    "col_code": "Code",
    "col_name": "Name",
    "col_method": "Method",
    "col_rule": "Scoring rule",
    "col_grade": "Grade",
    "col_range": "Score range",
    "col_category": "Category",
    "col_item": "Item",
    "col_value": "Value",
    "dim_score": "This dimension scores {score} out of {max} ({rate}). Of its {count} indicators, {verdicts}.",
    "dim_verdict_count": "{count} {verdict}",
    "dim_table_caption": "Table {n}  {name}: indicators, scores and verdicts",
    "dim_evidence_caption": "Table {n}  {name}: evidence",
    "dim_indicators": "Indicators",
    "dim_forum_notes": "From the forums",
    "forum_note": "{forum} ({date}, {place}): {notes}",
    "forum_note_nodate": "{forum}: {notes}",
    "ind_heading": "{code} {name}",
    "ind_why": "Why it matters: {why}",
    "ind_failed": "{label} ({count}): {list}",
    "ind_failed_more": "{shown} and others, {count} in all (the full list is in the bundle)",
    "ind_judgement_reason": "{evaluator} gave {score}: {reason}",
    "ind_judgement_noreason": "{evaluator} gave {score}",
    "ind_notes": "Notes: {notes}",
    "evidence_records": "{count} {unit}",
    "evidence_findings": "Findings",
    "evidence_judgements": "Evaluators' judgement",
    "evidence_forum_records": "{count} records ({forums} forums)",
    "evidence_judgement_records": "{count} scores ({evaluators} evaluators)",
    "evidence_finding_records": "{count}",
    "res_share": "{n} {unit} with a value{extra}; the design-weighted estimate is {estimate} (95% CI "
                 "{interval}) against a target of {target}.",
    "res_share_exact": "All {n} {unit} were checked{extra}; the share is {estimate}, without sampling error, "
                       "against a target of {target}.",
    "res_mean": "{n} {unit} with a value{extra}; the design-weighted mean is {estimate} (95% CI {interval}) "
                "against a target of {target}.",
    "res_mean_exact": "All {n} {unit} were checked{extra}; the mean is {estimate}, without sampling error, "
                      "against a target of {target}.",
    "res_none": "No record to estimate from{extra}.",
    "res_extra": " ({na} not applicable, {missing} missing)",
    "res_extra_na": " ({na} not applicable)",
    "res_extra_missing": " ({missing} missing)",
    "res_points": "{points} of {max} points.",
    "res_verdict_meets": "The whole interval meets the target: meets.",
    "res_verdict_fails": "The whole interval misses the target: fails.",
    "res_verdict_indeterminate": "The interval straddles the target, so the sample cannot decide; points "
                                 "follow the estimate.",
    "res_verdict_insufficient": "Fewer than the {min_n} {unit} the rubric requires: the estimate is "
                                "reported, not judged.",
    "res_verdict_insufficient_none": "Nothing to estimate: no verdict and no points.",
    "res_deduction": "Findings recorded: {n} ({critical} critical, {major} major, {minor} minor); "
                     "points deducted: {deducted}.",
    "res_deduction_none": "No finding recorded for this indicator; nothing deducted.",
    "res_judged_meets": "At or above the pass mark of {pass}: meets.",
    "res_judged_fails": "Below the pass mark of {pass}: fails.",
    "res_judgement": "{n} evaluators scored it, {estimate} on average out of {scale}; highest and lowest "
                     "differ by {spread}.",
    "res_judgement_spread": "The scores differ by more than the {max_spread} the rubric allows: no verdict; "
                            "points follow the mean.",
    "res_judgement_few": "Fewer evaluators than the {min_n} required: no verdict.",
    "res_judgement_none": "No evaluator scored it: no points.",
    "res_veto_findings_off": "No related finding of severity {severity} or worse: the veto is not triggered.",
    "res_veto_findings_on": "Related findings of severity {severity} or worse: {n}. The veto is triggered and "
                            "the grade is capped at \"{cap}\".",
    "res_veto_condition_off": "Of {n} applicable {unit}, {count} meet the veto condition ({allowed} "
                              "tolerated): not triggered.",
    "res_veto_condition_on": "Of {n} applicable {unit}, {count} meet the veto condition, more than the "
                             "{allowed} tolerated: the veto is triggered and the grade is capped at \"{cap}\".",
    "veto_reason_findings": "Related findings of severity {severity} or worse: {n}.",
    "veto_reason_condition": "{count} {unit} meet the veto condition, more than the {allowed} tolerated.",
    "failed_rate_higher": "Households not meeting the condition",
    "failed_rate_lower": "Households counted as errors",
    "failed_checklist": "Households with a failed file item",
    "failed_completeness": "Households with blank fields",
    "failed_consistency": "Households where the sources disagree",
    "failed_mean": "Households short of the target",
    "failed_deduction": "Households named in findings",
    "failed_veto": "Households meeting the veto condition",
    "failed_generic": "Households failing",
    "household_named": "{code} ({name})",
    "household_named_id": "{code} ({name}, {id})",
    "flag_expression_errors": "some records could not be evaluated and count as missing",
    "flag_no_source": "the bundle has no records of this indicator's source",
    "flag_duplicate_records": "some households have more than one record",
    "flag_unknown_households": "some records name no household of the roster",
    "flag_frame_too_small": "some strata have more observed households than registered; observed counts used",
    "flag_repeated_evaluator": "an evaluator scored more than once; their scores were averaged first",
    "flag_score_out_of_scale": "a score lies outside the scale; points are kept between zero and the maximum",
    "flag_unknown_severity": "some findings have an unknown severity and deduct nothing",
    "flag_spread": "the evaluators disagree more than the rubric allows",
    "flag_other": "other: {flag}",
    "findings_intro": "This chapter lists the {total} findings by indicator (indicators with the most "
                      "severe findings first): the indicator's result, then each finding with the "
                      "household's records as evidence and who must act. The numbers are those of the "
                      "rectification list in chapter {chapter}.",
    "finding_group": "{numeral}{code} {name} ({counts})",
    "finding_group_count": "{count} {severity}",
    "finding_group_result": "Result of the indicator: {result}",
    "finding_heading_household": "{no}. [{severity}] household {household}",
    "finding_heading_general": "{no}. [{severity}] not about one household",
    "findings_none": "The evaluation recorded no findings.",
    "finding_responsible": "Responsible unit: {unit}; person responsible: {person}; deadline: {deadline}",
    "finding_in_failed": "The household is on this indicator's list: {label}.",
    "finding_records": "The household's records: {records}",
    "finding_value": "{label}: {value}",
    "finding_value_sep": "; ",
    "finding_source_sep": ". ",
    "finding_source_values": "{source} — {values}",
    "finding_no_records": "The bundle has no record of this household.",
    "finding_unknown_indicator": "(not an indicator of the rubric)",
    "rect_intro": "The evaluated unit should act on each line below and report to {commissioning_body} by "
                  "the deadline.",
    "rect_caption": "Table {n}  Rectification list",
    "rect_problem": "[{severity}] {code} {name}: {description}",
    "rect_household": " (household {household})",
    "rect_none": "Nothing to rectify.",
    "m_sampling_intro": "The sampling frame is the register of households in hardship of {unit} "
                        "({population} households) in {strata} strata by {stratum_label}; {method}.",
    "m_method_margin": "the sample size follows from a margin of error",
    "m_method_threshold": "the sample size follows from an error-rate threshold",
    "m_method_size": "the sample size is fixed",
    "m_method_external": "the sample was drawn outside this platform and is used as given",
    "m_method_unknown": "sampling method: {method}",
    "m_parameters": " ({parameters})",
    "m_param_size": "{value} households",
    "m_param_margin": "margin {value}",
    "m_param_confidence": "confidence {value}",
    "m_param_threshold": "threshold {value}",
    "m_param_expected_errors": "{value} expected errors",
    "m_param_p": "expected share {value}",
    "m_param_other": "{key} = {value}",
    "m_allocation": "The sample is allocated in proportion to each stratum's registered households, at least "
                    "{min} per stratum; {reserve} reserves are drawn per stratum and replace, in order, "
                    "households that cannot be visited.",
    "m_draw": "The draw can be repeated: numpy's PCG64 generator with seed {seed}; strata in name order; "
              "within a stratum, households sorted by code, each given one random key and ordered by it; "
              "the first n_h are the sample and the next ones the reserves. Anyone with the same roster and "
              "seed obtains the same sample.",
    "m_draw_external": "The sample was drawn outside this platform; the report uses the bundle's sample list "
                       "and cannot repeat the draw.",
    "m_roster_hash": "Roster fingerprint (household codes and strata): {hash}",
    "m_roster_file": "Roster file SHA-256: {hash}",
    "m_frame_caption": "Table {n}  Sampling frame and allocation",
    "m_estimation": [
        "Rates and means are stratified, design-weighted estimates: in stratum h each sampled household "
        "stands for N_h/m_h registered households (N_h registered, m_h observed); for indicators that apply "
        "to part of the households only (exited households, for example), the weights follow each stratum's "
        "applicable share. Variances include the finite-population correction.",
        "Rates carry a 95% Wilson interval at the effective sample size given by the design effect (a design "
        "effect below 1 counts as 1, so precision is never overstated); a complete census has no sampling "
        "error. Means and per-household shares (file checklists, completeness) use Student's t.",
        "Points come from the point estimate, never from an interval bound; verdicts come from the interval "
        "against the target.",
    ],
    "m_verdicts": [
        "Meets: the whole 95% interval meets the target (higher is better: the lower bound reaches the "
        "target; lower is better: the upper bound is below it).",
        "Fails: the whole interval misses the target.",
        "Undecided: the interval straddles the target and the sample cannot decide; a judged indicator is "
        "also undecided when the evaluators' scores differ by more than the rubric allows.",
        "Too few: fewer units than the rubric's minimum; the estimate is reported but not judged.",
        "Points: full points at the target or better, zero at the floor or worse, linear in between; step "
        "tables give the points of the best step reached. Deductions and judged indicators meet when they "
        "keep at least the pass mark ({pass}) of their points.",
        "Grade: the band the total score reaches; a triggered veto caps the grade at the band it names.",
    ],
    "m_bands_caption": "Table {n}  Grades",
    "m_band_range": "{min} to below {upper}",
    "m_band_top": "{min} and above",
    "m_rubric_intro": "The rubric is \"{title}\", id {id}, version {version} (its content fingerprint is in "
                      "appendix {stamp}). Each indicator's rule follows (expressions are quoted from the "
                      "rubric; the names are questionnaire field codes).",
    "m_rubric_caption": "Table {n}  {name} ({points} points): scoring rules",
    "rule_source": "Evidence: {source}.",
    "rule_applies": "Applies where \"{expr}\".",
    "rule_rate": "Design-weighted share of units where \"{expr}\".",
    "rule_mean": "Design-weighted mean of \"{expr}\".",
    "rule_checklist": "Each file is checked on {count} items ({items}; \"{na}\" is not applicable); the share "
                      "passed (\"{pass_value}\") per file is averaged with weights.",
    "rule_completeness": "Each record is checked for {count} fields ({fields}); the share filled is averaged "
                         "with weights.",
    "rule_consistency": "\"{left}\" of this source is compared with \"{right}\" of {right_source} for each "
                        "household; {compare}; the weighted share that agrees; {missing}.",
    "rule_compare_number": "numbers agree within {tolerance}",
    "rule_compare_text": "texts must be equal",
    "rule_compare_set": "at least one item in common agrees",
    "rule_compare_other": "compared by \"{compare}\"",
    "rule_tolerance_abs": "{value}",
    "rule_tolerance_rel": "{value}",
    "rule_tolerance_or": "{a} or {b}",
    "rule_missing_skip": "a missing side leaves the household out",
    "rule_missing_disagree": "a missing side counts as disagreement",
    "rule_higher": "Higher is better.",
    "rule_lower": "Lower is better.",
    "rule_linear_higher": "Full points at {target} or more, zero at {floor} or less, linear in between.",
    "rule_linear_lower": "Full points at {target} or less, zero at {floor} or more, linear in between.",
    "rule_steps": "Steps: {steps}; otherwise zero.",
    "rule_step_higher": "{points} points at {at} or more",
    "rule_step_lower": "{points} points at {at} or less",
    "rule_step_sep": "; ",
    "rule_min_n": "At least {min_n} units.",
    "rule_deduction": "Findings deduct points: {minor} per minor, {major} per major and {critical} per "
                      "critical finding, down to zero.",
    "rule_judgement": "Evaluators score 0 to {scale} with reasons; the mean is scaled to the points; scores "
                      "differing by more than {max_spread} are undecided; at least {min_n} evaluators.",
    "rule_veto_findings": "Triggered by any finding of severity {severity} or worse ({scope}); caps the "
                          "grade at \"{cap}\".",
    "rule_veto_condition": "Triggered when more than {max_count} applicable {unit} meet \"{expr}\"; caps the "
                           "grade at \"{cap}\".",
    "rule_scope_dimension": "dimension {name}",
    "rule_scope_indicators": "indicators {codes}",
    "s_intro": "The roster holds {population} households in {strata} strata; {sampled} were sampled with "
               "{reserve} reserves. {visited} households were visited ({consent} consented, {reserves_used} "
               "reserves used), {files} files checked, {system} system records obtained, {forums} forums "
               "held, {judges} judgement scores given and {findings} findings recorded.",
    "s_strata_caption": "Table {n}  Sample by stratum",
    "s_composition_caption": "Table {n}  Sampled households by category and status",
    "s_composition_note": "Sampled households (not unused reserves) by the category and status on the roster.",
    "stamp_intro": "Every figure in this report follows deterministically from the data and rubric below. "
                   "Rebuilt from the same bundle, rubric and software version, the report gives the same "
                   "figures and text.",
    "stamp_evaluation": "Evaluation",
    "stamp_data_hash": "Bundle fingerprint (SHA-256)",
    "stamp_rubric": "Rubric",
    "stamp_rubric_hash": "Rubric content fingerprint (SHA-256)",
    "stamp_software": "Software",
    "stamp_roster_hash": "Roster fingerprint",
    "stamp_seed": "Sampling seed",
    "stamp_confidence": "Confidence level",
    "stamp_reproduce": "Recompute",
    "stamp_reproduce_value": "evaluator score BUNDLE --format json",
    "stamp_none": "none",
    "stamp_caption": "Table {n}  Reproducibility",
    "verdict_meets": "Meets",
    "verdict_fails": "Fails",
    "verdict_indeterminate": "Undecided",
    "verdict_insufficient": "Too few",
    "severity_minor": "minor",
    "severity_major": "major",
    "severity_critical": "critical",
    "source_household": "household visits",
    "source_file_check": "file checks",
    "source_system": "system records",
    "source_forum": "forums",
    "source_other": "{source}",
    "method_rate": "rate",
    "method_mean": "mean",
    "method_checklist": "checklist",
    "method_consistency": "consistency",
    "method_completeness": "completeness",
    "method_deduction": "deduction",
    "method_judgement": "judgement",
    "method_veto": "veto",
    "unit_household": "households",
    "unit_file_check": "files",
    "unit_system": "records",
    "unit_forum": "records",
    "unit_other": "units",
    "unit_person": "evaluators",
    "unit_finding": "findings",
    "target_higher": "≥ {value}",
    "target_lower": "≤ {value}",
    "target_none": "—",
    "no_value": "—",
    "interval": "{low}–{high}",
    "judgement_estimate": "{value}/{scale}",
    "points_of": "{points}/{max}",
    "category_深度困难": "deep hardship",
    "category_相对困难": "relative hardship",
    "category_意外致困": "hardship by accident",
    "status_在档": "registered",
    "status_已脱困": "exited",
    "status_注销": "cancelled",
    "total_row": "Total",
}
