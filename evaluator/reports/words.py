"""Every word a report prints by itself, in Chinese (the language of record) and English.

Kept apart from the report's logic so a translator sees all of it in one place (the English in
``words_en``, key for key), and so a test can check that both languages have the same keys (a
missing English key would otherwise print Chinese in the English report, or fail mid-render).
Values are ``str.format`` patterns.
"""

from __future__ import annotations

from typing import Any

from evaluator.reports.words_en import EN

ZH: dict[str, Any] = {  # str.format patterns; m_estimation and m_verdicts are lists of them
    # cover and contents
    "kicker": "第三方评估报告",
    "evaluated_unit": "被评估单位",
    "commissioning_body": "委托单位",
    "evaluator_org": "评估机构",
    "team": "评估组",
    "fieldwork_dates": "实地评估时间",
    "report_date": "报告日期",
    "period": "评估期间",
    "report_number": "报告编号",
    "strata_label": "{stratum}（n={n}）",
    "seal_label": "评估机构（盖章）",
    "seal_date": "年　　月　　日",
    "proof_footer": "数据指纹 sha256:{hash}… · 核验：evaluator verify 本报告PDF",
    "toc": "目录",
    "synthetic_notice": "演示/模拟数据：本报告根据模拟生成的演示数据编制，单位、人员和家庭均为虚构，"
                        "不反映任何真实单位的工作情况。",
    "provenance_rubric": "评估方案 {id} {version}",
    "provenance_data": "数据 {hash}",
    "provenance_software": "evaluator {version}",
    "team_role": "{name}（{role}）",
    "list_sep": "、",
    "date_range": "{start}至{end}",
    # chapter headings
    "ch_summary": "评估概要",
    "ch_overview": "评分结果",
    "ch_findings": "主要问题及证据",
    "ch_rectification": "整改清单",
    "app_method": "评估方法",
    "app_sample": "样本情况",
    "app_stamp": "可复现信息",
    "sec_sampling": "抽样设计",
    "sec_estimation": "估计与区间方法",
    "sec_verdicts": "判定与计分规则",
    "sec_rubric": "指标体系与评分规则",
    "chapter_number": "{numeral}、{title}",
    "section_number": "（{numeral}）{title}",
    "appendix_number": "附录{numeral}　{title}",
    # summary
    "fig_total": "综合得分",
    "fig_grade": "评估等级",
    "fig_veto": "一票否决",
    "fig_sample": "抽样户数",
    "fig_total_of": "满分{max}分",
    "fig_sample_of": "台账{population}户",
    "fig_veto_none": "未触发",
    "fig_veto_some": "触发{count}项",
    "summary_intro": "{team_org}受{commissioning_body}委托，于{fieldwork}对{unit}城市困难职工解困脱困工作"
                     "开展第三方评估。评估依据《{rubric_title}》（{rubric_id} {rubric_version}），"
                     "采用入户调查、查阅档案、查看系统数据和召开座谈会相结合的方式，从{dimension_count}"
                     "个方面、{indicator_count}项指标评分。",
    "summary_team_org": "评估组",
    "summary_sample": "评估从{population}户建档困难职工家庭中按{stratum_label}分层随机抽取{sampled}户"
                      "（另备用户{reserve}户），实际入户调查{visited}户（含启用的备用户{reserves_used}户），"
                      "核查档案{files}份。"
                      "各项比率均为按抽样权重推算到全部在册家庭的估计值，并给出95%置信区间。",
    "summary_result": "综合得分{total}分（满分{max}分），评估等级为“{grade}”。",
    "summary_provisional": "该等级为暂定等级：{codes}的结论尚不能由样本判定，按其可能取值，综合得分在{low}至{high}分之间，"
                           "等级可能为“{worst}”至“{best}”。",
    "grade_provisional": "{grade}（暂定）",
    "fig_grade_provisional": "暂定：可能为{worst}至{best}",
    "summary_response": "入户调查应答率为{rate}（受访{responded}户，拒访{refused}户，未能入户{not_reached}户，"
                        "动用备选户{reserves}户）；各{stratum_label}应答率为{lowest}至{highest}。",
    "summary_multiplicity": "本报告共作{family}项统计判定，采用Holm逐步校正，任何一项被误判为“未达标”的概率不超过5%；"
                            "每项“达标”判定在指标恰好处于判定值时误判的概率不超过5%。",
    "summary_result_capped": "综合得分{total}分（满分{max}分），按得分应为“{uncapped}”，因触发一票否决，"
                             "评估等级为“{grade}”。",
    "summary_veto_none": "各项一票否决事项均未触发。",
    "summary_dimensions_caption": "表{n}　六个方面得分",
    "summary_dimensions_caption_generic": "表{n}　各方面得分",
    "summary_key_findings": "主要发现",
    "summary_decidability": "样本能判定和不能判定的事项",
    "rounding_note": "得分保留两位小数，按四舍五入显示；各方面得分之和与综合得分的尾数差异由舍入造成。",
    "key_veto": "一票否决：{name}。{reason}评估等级最高为“{cap}”。",
    "key_failed": "{code} {name}：{estimate_text}，{target_text}，判定为未达标，失{lost}分。",
    "key_estimate_ci": "{estimate}（95%置信区间{interval}）",
    "key_target": "目标{target}",
    "key_failed_points": "{code} {name}：得{points}分（满分{max}分），判定为未达标，失{lost}分。",
    "key_findings_count": "评估共发现问题{total}条，其中严重{critical}条、较重{major}条、一般{minor}条，"
                          "均已列入整改清单（第{chapter}章）。",
    "key_findings_none": "评估未记录需要整改的问题。",
    "key_critical": "严重问题：{description}",
    "decided": "在{total}项计分和否决指标中，{decided}项的结论有充分依据：达标{meets}项、未达标{fails}项。",
    "decided_all": "全部{total}项指标的结论都有充分依据，没有因样本量或区间跨越目标而无法判定的指标。",
    "undecided_intro": "以下指标现有样本不能作出判定，报告如实说明，不作推断：",
    "undecided_rate": "{code} {name}：估计值为{estimate}，95%置信区间为{interval}，单侧置信限{bound}未达到判定值"
                      "{target}，也不能证明未达标，现有样本无法判定是否达标。按估计值计得{points}分；若要作出判定，需要扩大样本。",
    "undecided_judgement": "{code} {name}：评估组成员评分相差{spread}分，超过评估方案允许的{max_spread}分，"
                           "评议意见分歧较大，不作达标判定；按平均分计得{points}分。",
    "undecided_generic": "{code} {name}：现有证据不能判定是否达标，按估计值计得{points}分。",
    "insufficient_rate": "{code} {name}：有效样本{n}{unit}，少于评估方案要求的{min_n}{unit}，只报告估计值"
                         "{estimate}，不作达标判定，{points_rule}。",
    "points_rule_zero": "本项不计分",
    "points_rule_pro_rata": "本项不计分，所在方面按其他指标折算",
    "insufficient_none": "{code} {name}：没有可用于估计的记录，不作判定，本项不得分。",
    "insufficient_judgement": "{code} {name}：只有{n}名评估组成员评分，少于要求的{min_n}名，不作达标判定，"
                              "{points_rule}。",
    # overview
    "overview_intro": "表{table}列出各方面得分和各项指标的判定情况；图{radar}为各方面得分率，"
                      "图{strata}为各{stratum_label}抽样指标得分率，图{intervals}为比率类指标的估计值、"
                      "95%置信区间与目标值。",
    "radar_caption": "图{n}　各方面得分率（得分/满分）",
    "strata_caption": "图{n}　各{stratum_label}抽样指标得分率（%）",
    "strata_note": "各{stratum_label}得分率为该{stratum_label}样本自身（不加权）的各项抽样指标得分之和除以相应满分之和，"
                   "仅用于比较{stratum_label}之间的差异；{stratum_label}样本量较小，结果波动较大，"
                   "不作为评分依据。",
    "intervals_caption": "图{n}　比率类指标的估计值、95%置信区间与目标值",
    "intervals_note": "圆点为加权估计值，横线为95%置信区间，竖线为目标值，浅绿色为达标一侧。"
                      "区间整体落在达标一侧为“达标”，整体落在另一侧为“未达标”，跨越目标值为“无法判定”。",
    "stratum_default": "乡镇（街道）",
    "col_dimension": "方面",
    "col_score": "得分",
    "col_max": "满分",
    "col_rate": "得分率",
    "col_meets": "达标",
    "col_fails": "未达标",
    "col_indeterminate": "无法判定",
    "col_insufficient": "样本不足",
    "col_total": "合计",
    "col_indicator": "指标",
    "col_estimate": "估计值",
    "col_interval": "95%置信区间",
    "col_n": "有效样本",
    "col_target": "目标",
    "col_points": "得分/满分",
    "col_verdict": "判定",
    "col_source": "证据来源",
    "col_records": "记录数",
    "col_used_by": "使用该证据的指标",
    "col_no": "序号",
    "col_problem": "问题",
    "col_unit": "责任单位",
    "col_person": "负责人",
    "col_deadline": "完成时限",
    "col_stratum": "层（{stratum_label}）",
    "col_population": "台账户数",
    "col_sampled": "抽样户数",
    "col_reserve": "备用户数",
    "col_weight": "设计权数",
    "col_visited": "入户调查",
    "col_consent": "同意受访",
    "col_reserves_used": "启用备用户",
    "col_files": "档案核查",
    "col_fraction": "抽样比",
    "col_code": "代码",
    "col_name": "名称",
    "col_method": "方法",
    "col_rule": "计分规则",
    "col_grade": "等级",
    "col_range": "分数区间",
    "col_category": "困难类别",
    "col_item": "项目",
    "col_value": "内容",
    # dimension chapters
    "dim_score": "本方面得分{score}分（满分{max}分），得分率{rate}。{count}项指标中，{verdicts}。",
    "dim_verdict_count": "{verdict}{count}项",
    "dim_table_caption": "表{n}　{name}指标得分与判定",
    "dim_evidence_caption": "表{n}　{name}证据来源",
    "dim_indicators": "指标评估情况",
    "dim_forum_notes": "座谈会意见摘录",
    "forum_note": "{forum}（{date}，{place}）：{notes}",
    "forum_note_nodate": "{forum}：{notes}",
    "ind_heading": "{code} {name}",
    "ind_why": "评估要点：{why}",
    "ind_failed": "{label}（{count}户）：{list}",
    "ind_failed_more": "{shown}等{count}户（其余见评估数据包）",
    "ind_judgement_reason": "{evaluator}评{score}分：{reason}",
    "ind_judgement_noreason": "{evaluator}评{score}分",
    "ind_notes": "说明：{notes}",
    "evidence_records": "{count}{unit}",
    "evidence_findings": "问题记录",
    "evidence_judgements": "评估组评议",
    "evidence_forum_records": "{count}条记录（{forums}场座谈会）",
    "evidence_judgement_records": "{count}份评分（{evaluators}名成员）",
    "evidence_finding_records": "{count}条",
    # result sentences
    "res_share": "有效样本{n}{unit}{extra}，加权估计值为{estimate}（95%置信区间{interval}），目标{target}。",
    "res_share_exact": "全部{n}{unit}均已核查{extra}，比例为{estimate}，无抽样误差，目标{target}。",
    "res_mean": "有效样本{n}{unit}{extra}，加权均值为{estimate}（95%置信区间{interval}），目标{target}。",
    "res_mean_exact": "全部{n}{unit}均已核查{extra}，均值为{estimate}，无抽样误差，目标{target}。",
    "res_none": "没有可用于估计的记录{extra}。",
    "res_extra": "（另有不适用{na}{unit}、缺失{missing}{unit}）",
    "res_extra_na": "（另有不适用{na}{unit}）",
    "res_extra_missing": "（另有缺失{missing}{unit}）",
    "res_points": "得{points}分（满分{max}分）。",
    "res_verdict_meets": "置信区间整体达到目标，判定为达标。",
    "res_verdict_fails": "置信区间整体未达到目标，判定为未达标。",
    "res_verdict_indeterminate": "置信区间跨越目标值，现有样本不能判定是否达标，按估计值计分。",
    "res_verdict_insufficient": "有效样本少于评估方案要求的{min_n}{unit}，只报告估计值，不作达标判定。",
    "res_verdict_insufficient_none": "无法估计，不作判定，本项不得分。",
    "res_deduction": "共记录问题{n}条（严重{critical}条、较重{major}条、一般{minor}条），扣{deducted}分。",
    "res_deduction_none": "未记录本项问题，不扣分。",
    "res_judged_meets": "得分率达到及格线{pass}，判定为达标。",
    "res_judged_fails": "得分率低于及格线{pass}，判定为未达标。",
    "res_judgement": "{n}名评估组成员评分，平均{estimate}分（满分{scale}分），最高与最低相差{spread}分。",
    "res_judgement_spread": "评分相差超过评估方案允许的{max_spread}分，意见分歧较大，不作达标判定，按平均分计分。",
    "res_judgement_few": "评分人数少于要求的{min_n}名，不作达标判定。",
    "res_judgement_none": "没有评估组成员评分，本项不得分。",
    "res_veto_findings_off": "未发现{severity}及以上的相关问题，未触发一票否决。",
    "res_veto_findings_on": "发现{severity}及以上的相关问题{n}条，触发一票否决，评估等级最高为“{cap}”。",
    "res_veto_condition_off": "适用的{n}{unit}中，符合否决情形的{count}{unit}；{measure}未超过评估方案的限度{allowed}，"
                              "未触发一票否决。",
    "res_veto_condition_on": "适用的{n}{unit}中，符合否决情形的{count}{unit}；{measure}超过评估方案的限度{allowed}，"
                             "触发一票否决，评估等级最高为“{cap}”。",
    "veto_measure_share_bound": "估计比例的95%单侧置信下限{value}",
    "veto_measure_share_estimate": "估计比例{value}",
    "veto_measure_households_bound": "估计户数的95%单侧置信下限{value}户",
    "veto_measure_households_estimate": "估计户数{value}户",
    "veto_limit_share": "{value}",
    "veto_limit_households": "{value}户",
    "veto_reason_findings": "发现{severity}及以上的相关问题{n}条。",
    "veto_reason_condition": "{measure}超过限度{allowed}。",
    # failed households
    "failed_rate_higher": "不符合要求的户",
    "failed_rate_lower": "计入差错的户",
    "failed_checklist": "有核查项不合格的户",
    "failed_completeness": "记录有缺项的户",
    "failed_consistency": "两方不一致的户",
    "failed_mean": "未达到目标的户",
    "failed_deduction": "问题涉及的户",
    "failed_veto": "符合否决情形的户",
    "failed_generic": "未达标户",
    "household_named": "{code}（{name}）",
    "household_named_id": "{code}（{name}，{id}）",
    # flags
    "flag_expression_errors": "部分记录的规则无法计算，已按缺失处理",
    "flag_no_source": "数据包中没有本指标所需的记录",
    "flag_duplicate_records": "部分户有重复记录",
    "flag_unknown_households": "部分记录的户编号不在台账中",
    "flag_frame_too_small": "部分层的观测户数超过台账户数，已按观测户数计算",
    "flag_repeated_evaluator": "有评估组成员重复评分，已先取其平均",
    "flag_score_out_of_scale": "有评分超出量程，得分限制在零至满分之间",
    "flag_unknown_severity": "部分问题的严重程度无法识别，未扣分",
    "flag_spread": "评估组成员评分分歧超过允许范围",
    "flag_other": "其他提示：{flag}",
    # findings
    "findings_intro": "本章按指标列出评估发现的{total}条问题（严重问题所在的指标在前），先给出该指标的评估结果，"
                      "再逐条列出问题、涉及家庭的核查记录和整改责任。编号与第{chapter}章整改清单一致。",
    "finding_group": "{numeral}{code} {name}（{counts}）",
    "finding_group_count": "{severity}{count}条",
    "finding_group_result": "指标结果：{result}",
    "finding_heading_household": "{no}. [{severity}] 户编号 {household}",
    "finding_heading_general": "{no}. [{severity}] 不涉及单个家庭",
    "findings_none": "评估未记录问题。",
    "finding_responsible": "责任单位：{unit}；负责人：{person}；完成时限：{deadline}",
    "finding_in_failed": "该户列于本指标{label}名单。",
    "finding_records": "该户记录：{records}",
    "finding_value": "{label}：{value}",
    "finding_value_sep": "；",
    "finding_source_sep": "。",
    "finding_source_values": "{source}——{values}",
    "finding_no_records": "数据包中没有该户的记录。",
    "finding_unknown_indicator": "（评估方案中没有此指标）",
    # rectification
    "rect_intro": "被评估单位应对照下表逐条整改，并在完成时限内向{commissioning_body}报送整改情况。",
    "rect_caption": "表{n}　整改清单",
    "rect_problem": "[{severity}] {code} {name}：{description}",
    "rect_household": "（户编号 {household}）",
    "rect_none": "无需要整改的问题。",
    # methodology
    "m_sampling_intro": "抽样框为{unit}的建档困难职工家庭台账（{population}户），按{stratum_label}分为{strata}层，"
                        "{method}。",
    "m_method_margin": "按允许误差确定样本量",
    "m_method_threshold": "按差错率阈值确定样本量",
    "m_method_size": "按固定样本量",
    "m_method_external": "样本在评估平台以外抽取，按给定样本使用",
    "m_method_unknown": "抽样方法：{method}",
    "m_parameters": "（{parameters}）",
    "m_param_size": "样本量{value}户",
    "m_param_margin": "允许误差{value}",
    "m_param_confidence": "置信水平{value}",
    "m_param_threshold": "差错率阈值{value}",
    "m_param_expected_errors": "预期差错{value}户",
    "m_param_p": "预期比例{value}",
    "m_param_other": "{key} = {value}",
    "m_allocation": "样本按各层台账户数成比例分配，每层至少{min}户；每层另抽备用户{reserve}户，"
                    "遇无法入户时按顺序替补。",
    "m_draw": "抽样可重复：随机数发生器为 numpy PCG64，种子为{seed}；各层按名称排序，层内按户编号排序后为每户"
              "生成一个随机数，按随机数排序，前n_h户为样本，随后的户依次为备用户。任何人用同一台账和种子"
              "可以得到同一样本。",
    "m_draw_external": "样本由评估平台以外抽取，报告按数据包中的样本名单使用，不能由本平台重复抽取。",
    "m_roster_hash": "台账指纹（户编号与分层）：{hash}",
    "m_roster_file": "台账文件 SHA-256：{hash}",
    "m_frame_caption": "表{n}　抽样框与样本分配",
    "m_estimation": [
        "各项比率和均值均为分层加权估计：第h层每个受访样本户代表该层N_h/m_h户（N_h为台账户数，m_h为该层受访并观测的户数），"
        "仅适用于部分家庭的指标（如只适用于已脱困户）按各层适用比例推算该部分家庭的户数。方差采用调查统计通用的线性化（泰勒展开）"
        "方法计算，同时考虑适用户数本身的抽样误差，并含有限总体校正。",
        "比率类指标以及逐户比例（档案规范率、数据完整率等）的95%置信区间采用精确（Clopper-Pearson）区间，按Korn-Graubard方法以"
        "设计效应折算有效样本量并作自由度调整（设计效应小于1时按1计，不夸大精度），在0%、100%和小样本时仍然有效；"
        "全数核查时无抽样误差。均值采用t分布区间。",
        "拒访和未入户（不在家、迁出等）为无应答，不视为“不适用”：无应答户不进入估计，由同层备选户依次替补，"
        "各层受访户代表全层（按层作无应答权数调整）。各层应答率见表{response_table}。",
        "得分由点估计计算，不取区间端点；判定由单侧置信限与判定值的关系决定。",
    ],
    "m_verdicts": [
        "判定值：指标的目标值；目标为100%（或0%）的指标无法由抽样证明，评估方案另行规定判定值（如98%）。",
        "达标：95%单侧置信限达到判定值（越高越好的指标，单侧下限不低于判定值；越低越好的指标，单侧上限不高于判定值）。"
        "抽样方案按同一规则计算样本量：按计划样本量核查且差错数不超过预期时，结论为达标。",
        "未达标：样本证明指标未达到判定值。为控制多项判定同时出错的风险，采用Holm逐步校正：本报告全部{family}项"
        "统计判定中，任何一项被误判为未达标的概率不超过5%（若逐项单独检验，该概率可达{uncorrected}）。",
        "无法判定：现有样本既不能证明达标，也不能证明未达标；评议类指标评估组成员评分相差超过允许范围时亦为无法判定。",
        "样本不足：有效样本少于评估方案规定的最少样本量，只报告估计值，不作判定，不计分。",
        "暂定等级：样本不足的指标按0分至满分、无法判定的指标按其95%置信区间两端计分，综合得分可能落入其他等级的，"
        "评估等级标为“暂定”。",
        "得分：达到目标得满分，达到下限或更差得0分，其间按线性插值；分档计分的指标按所达到的最高档计分。"
        "问题扣分和评议类指标得分率不低于及格线（{pass}）为达标。",
        "等级：按综合得分对应等级区间确定；触发一票否决的，等级不高于该否决事项规定的等级。",
    ],
    "m_bands_caption": "表{n}　评估等级",
    "m_response_caption": "表{n}　入户调查应答情况",
    "col_drawn": "抽中户数",
    "col_responded": "受访",
    "col_refused": "拒访",
    "col_not_reached": "未能入户",
    "col_response_rate": "应答率",
    "m_band_range": "{min}分及以上，低于{upper}分",
    "m_band_top": "{min}分及以上",
    "m_rubric_intro": "评估方案为《{title}》，代码{id}，版本{version}（内容指纹见附录{stamp}）。各项指标的评分规则如下"
                      "（规则以问卷题目和台账栏目的文字表述；评估方案原文见其文件）。",
    "m_rubric_caption": "表{n}　{name}（{points}分）指标评分规则",
    # rule in words
    "rule_source": "证据：{source}。",
    "rule_applies": "适用于{expr}的家庭。",
    "rule_rate": "计算其中{expr}的家庭所占的加权比例。",
    "rule_mean": "计算{expr}的加权均值。",
    "rule_checklist": "逐份核查{items}共{count}项（答“{na}”的为不适用），计算每份答“{pass_value}”的比例，"
                      "再加权平均。",
    "rule_completeness": "逐条检查{fields}共{count}个字段是否填写，计算填写比例的加权平均。",
    "rule_consistency": "将本来源的{left}与{right_source}的{right}按户核对，{compare}，计算一致的加权比例；"
                        "{missing}。",
    "rule_compare_number": "数值相差不超过{tolerance}为一致",
    "rule_compare_text": "文字相同为一致",
    "rule_compare_set": "至少有一项相同为一致",
    "rule_compare_other": "按「{compare}」比较",
    "rule_tolerance_abs": "{value}",
    "rule_tolerance_rel": "{value}",
    "rule_tolerance_or": "{a}或{b}",
    "rule_missing_skip": "任一方缺失的不计入",
    "rule_missing_disagree": "任一方缺失的视为不一致",
    "rule_higher": "越高越好。",
    "rule_lower": "越低越好。",
    "rule_linear_higher": "达到{target}及以上得满分，{floor}及以下得0分，其间按线性插值。",
    "rule_linear_lower": "不高于{target}得满分，达到{floor}及以上得0分，其间按线性插值。",
    "rule_steps": "分档计分：{steps}，否则得0分。",
    "rule_step_higher": "达到{at}得{points}分",
    "rule_step_lower": "不高于{at}得{points}分",
    "rule_step_sep": "；",
    "rule_min_n": "有效样本不少于{min_n}。",
    "rule_verdict_at": "达标判定以{value}为判定值（目标无法由抽样证明）。",
    "rule_deduction": "按问题记录扣分：一般问题每条扣{minor}分，较重问题每条扣{major}分，严重问题每条扣{critical}分，"
                      "扣完为止。",
    "rule_judgement": "评估组成员按0至{scale}分评议并说明理由，取平均分按比例折算；评分相差超过{max_spread}分为无法判定；"
                      "至少{min_n}名成员评分。",
    "rule_veto_findings": "出现{severity}及以上问题（{scope}）即触发，评估等级不高于“{cap}”。",
    "rule_veto_condition": "{expr}的家庭，其{what}超过{max_count}即触发，评估等级不高于“{cap}”。",
    "rule_veto_what_share_bound": "比例经抽样证明（95%单侧置信下限）",
    "rule_veto_what_share_estimate": "估计比例",
    "rule_veto_what_households_bound": "户数经抽样证明（95%单侧置信下限）",
    "rule_veto_what_households_estimate": "估计户数",
    "rule_scope_dimension": "{name}方面",
    "rule_scope_indicators": "指标{codes}",
    # sample appendix
    "s_intro": "台账共{population}户，分{strata}层；抽取样本{sampled}户、备用户{reserve}户。"
               "实际入户调查{visited}户（其中同意受访{consent}户，启用备用户{reserves_used}户），"
               "核查档案{files}份，取得系统记录{system}条，召开座谈会{forums}场，评估组成员评议{judges}人次，"
               "记录问题{findings}条。",
    "s_strata_caption": "表{n}　各层样本完成情况",
    "s_composition_caption": "表{n}　样本户的困难类别与档案状态",
    "s_composition_note": "按台账登记的类别和状态统计抽样户（不含未启用的备用户）。",
    # stamp
    "stamp_intro": "本报告的每个数字都由下列数据和评估方案经确定的计算得出。用同一数据包、同一评估方案和同一软件版本"
                   "重新生成，得到的数字与文字完全相同。",
    "stamp_evaluation": "评估编号",
    "stamp_data_hash": "数据包指纹（SHA-256）",
    "stamp_rubric": "评估方案",
    "stamp_rubric_hash": "评估方案内容指纹（SHA-256）",
    "stamp_software": "软件版本",
    "stamp_roster_hash": "台账指纹",
    "stamp_seed": "抽样种子",
    "stamp_confidence": "置信水平",
    "stamp_reproduce": "重新计算",
    "stamp_reproduce_value": "evaluator score 数据包 --format json",
    "stamp_none": "无",
    "stamp_caption": "表{n}　可复现信息",
    # verdicts, severities, sources, methods, units
    "verdict_meets": "达标",
    "verdict_fails": "未达标",
    "verdict_indeterminate": "无法判定",
    "verdict_insufficient": "样本不足",
    "severity_minor": "一般",
    "severity_major": "较重",
    "severity_critical": "严重",
    "source_household": "入户调查",
    "source_file_check": "档案核查",
    "source_system": "系统数据",
    "source_forum": "座谈会",
    "source_other": "{source}",
    "method_rate": "比率",
    "method_mean": "均值",
    "method_checklist": "清单核查",
    "method_consistency": "一致性核对",
    "method_completeness": "完整性",
    "method_deduction": "问题扣分",
    "method_judgement": "评议打分",
    "method_veto": "一票否决",
    "unit_household": "户",
    "unit_file_check": "份",
    "unit_system": "条",
    "unit_forum": "条",
    "unit_other": "个",
    "unit_person": "名",
    "unit_finding": "条",
    "target_higher": "≥{value}",
    "target_lower": "≤{value}",
    "target_none": "—",
    "no_value": "—",
    "interval": "{low}–{high}",
    "judgement_estimate": "{value}/{scale}",
    "points_of": "{points}/{max}",
    "category_深度困难": "深度困难",
    "category_相对困难": "相对困难",
    "category_意外致困": "意外致困",
    "status_在档": "在档",
    "status_已脱困": "已脱困",
    "status_注销": "注销",
    "total_row": "合计",
}


WORDS = {"zh": ZH, "en": EN}

#: Roster columns as a reader knows them (the roster is not a survey, so it has no labels).
ROSTER_LABELS = {
    "zh": {
        "household_id": "户编号", "township": "乡镇（街道）", "stratum": "层", "category": "困难类别",
        "status": "档案状态", "local_standard": "当地标准（元/人·年）", "household_size": "家庭人口",
        "registered_date": "建档日期", "exit_date": "脱困日期",
    },
    "en": {
        "household_id": "household code", "township": "township", "stratum": "stratum",
        "category": "category", "status": "status", "local_standard": "local standard (yuan/person/year)",
        "household_size": "household size", "registered_date": "registered", "exit_date": "exited",
    },
}

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
