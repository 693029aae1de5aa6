"""The words of the review pack in English and Chinese, and how its numbers are written.

Every heading, sentence, column and legend title of the page is a key of TEXT (the labels of
metrics, units and the contract's values are in schemas/review.py); `Words(lang)` gives them,
with `{placeholders}` filled in.
"""
from __future__ import annotations

import math

from schemas.review import UNITS, ReviewMetric

TEXT: dict[str, dict[str, str]] = {
    # the page
    "title": {"en": "Weekly review as of {date}", "zh": "周度经营回顾（截至 {date}）"},
    "subtitle": {"en": "Figures as of {date}, in {currency}; a week before means as of {week_ago}. Read from {warehouse} "
                       "at {generated} (UTC).",
                 "zh": "数据截至 {date}，金额单位 {currency}；“一周前”指截至 {week_ago} 的数据。读取自 {warehouse}，"
                       "生成于 {generated}（UTC）。"},
    "contents": {"en": "Contents", "zh": "目录"},
    "no_data": {"en": "No data for this as-of date.", "zh": "该日期没有数据。"},
    "more_rows": {"en": "… and {n} more", "zh": "……另有 {n} 条"},
    # what changed
    "what_changed": {"en": "What changed", "zh": "本周变化"},
    "xmr_rule": {"en": "The rule: for each metric, its value as of D, D − 7, …, D − 84 (13 weekly values). The natural "
                       "process limits are the mean ± 2.66 × the mean moving range (the mean absolute change from one "
                       "week to the next) of the 12 weeks before the latest; the latest week is a signal when it lies "
                       "outside them. Weeks not published are left out; fewer than {min} weeks before the latest is "
                       "not enough history. Restated figures are not movement: they are listed under “{restated}”.",
                 "zh": "判定规则：每项指标取截至 D、D − 7、…、D − 84 的 13 个周值。以最新一周之前的 12 周计算自然过程界限："
                       "均值 ± 2.66 × 平均移动极差（相邻两周之差的绝对值的平均）；最新一周落在界限之外即为信号。"
                       "未发布的周不计入；最新一周之前不足 {min} 周视为历史不足。重述的数字不算变化，见“{restated}”。"},
    "signals": {"en": "Outside normal variation", "zh": "超出正常波动"},
    "no_signals": {"en": "No metric moved outside its normal variation this week.",
                   "zh": "本周没有指标超出正常波动范围。"},
    "no_signal": {"en": "no signal", "zh": "无信号"},
    "inside_limits": {"en": "Inside the limits (no signal)", "zh": "界限之内（无信号）"},
    "not_enough": {"en": "Not enough history", "zh": "历史不足"},
    "weeks_of": {"en": "{n} of 13 weeks published", "zh": "已发布 {n}/13 周"},
    "above": {"en": "above the upper limit", "zh": "高于上限"},
    "below": {"en": "below the lower limit", "zh": "低于下限"},
    "verdict": {"en": "{where}: {news}", "zh": "{where}：{news}"},
    "good_news": {"en": "good for the business", "zh": "对业务有利"},
    "bad_news": {"en": "bad for the business", "zh": "对业务不利"},
    "neutral_news": {"en": "neither good nor bad in itself", "zh": "本身无好坏之分"},
    "limits": {"en": "Limits", "zh": "界限"},
    "mean": {"en": "Mean", "zh": "均值"},
    "restated_history": {"en": "history restated this week", "zh": "本周有历史重述"},
    # headline
    "headline": {"en": "Headline figures", "zh": "核心指标"},
    "headline_note": {"en": "Change is against a week before; green is good for the business, red is bad, grey is "
                            "neither (the direction of each metric is in its row).",
                      "zh": "变化为与一周前相比；绿色对业务有利，红色不利，灰色无好坏之分（各指标的方向见表中）。"},
    "metric": {"en": "Metric", "zh": "指标"},
    "value": {"en": "Value", "zh": "数值"},
    "week_ago_value": {"en": "A week before", "zh": "一周前"},
    "change": {"en": "Change", "zh": "变化"},
    "change_pct": {"en": "Change %", "zh": "变化率"},
    "direction": {"en": "Direction", "zh": "方向"},
    "unit": {"en": "Unit", "zh": "单位"},
    "daily_chart": {"en": "The last six weeks, daily", "zh": "最近六周（每日）"},
    "monthly_chart": {"en": "The last twelve months, month-end", "zh": "最近十二个月（月末）"},
    "date": {"en": "Date", "zh": "日期"},
    "week": {"en": "Week", "zh": "周"},
    # funnel
    "funnel": {"en": "Funnel and channels", "zh": "漏斗与渠道"},
    "funnel_note": {"en": "The leads of each channel created in the 90 days to {date} (the cohort), how many of them are "
                          "qualified, converted and won by then; the channel's spend over the same 90 days.",
                    "zh": "各渠道在截至 {date} 的 90 天内创建的线索（同批线索），其中截至当日已合格、已转化、已赢单的数量；"
                          "以及该渠道同期 90 天的投入。"},
    "funnel_chart": {"en": "Leads → qualified → converted → won, per channel", "zh": "各渠道：线索 → 合格 → 转化 → 赢单"},
    "stage": {"en": "Stage", "zh": "阶段"},
    "channel": {"en": "Channel", "zh": "渠道"},
    "leads": {"en": "Leads", "zh": "线索数"},
    "spend_chart": {"en": "Spend per channel (90 d)", "zh": "各渠道投入（90天）"},
    "spend": {"en": "Spend", "zh": "投入"},
    "cost_chart": {"en": "Cost per lead and per win (90 d)", "zh": "单条线索成本与单笔赢单成本（90天）"},
    "cost_per_lead": {"en": "Cost per lead", "zh": "单条线索成本"},
    "cost_per_win": {"en": "Cost per win", "zh": "单笔赢单成本"},
    "no_cost": {"en": "{what}: no channel has one (no lead or no win in its cohort).",
                "zh": "{what}：没有任何渠道有此数值（同批线索中没有线索或没有赢单）。"},
    "qualified": {"en": "Qualified", "zh": "合格"},
    "converted": {"en": "Converted", "zh": "转化"},
    "won": {"en": "Won", "zh": "赢单"},
    # campaigns
    "campaigns": {"en": "Campaigns: keep or drop", "zh": "运营活动：保留还是放弃"},
    "campaigns_note": {"en": "Each campaign (channel and campaign) with a lead created or spend dated in the 90 days to "
                             "{date}: its leads of those 90 days (the cohort), how many of them are won by then, its "
                             "spend over the same 90 days, its cost per win against its channel's (the whole channel's "
                             "spend per win, as in “{funnel}”) and its return on spend (the amount of the cohort's won "
                             "deals per unit spent). “unknown” gathers the leads and spend that name no campaign.",
                       "zh": "截至 {date} 的 90 天内有新线索或有投入的每个运营活动（渠道与活动）："
                             "这 90 天内的线索（同批线索）、其中截至当日已赢单的数量、同期 90 天的投入、"
                             "单笔赢单成本及其与所在渠道的对比（整个渠道的投入÷赢单，同“{funnel}”），"
                             "以及投入回报（同批线索已赢单金额÷投入）。“unknown”汇总未注明活动的线索与投入。"},
    "campaigns_reading": {"en": "How to read it: campaigns that spent and won nothing come first (largest spend "
                                "first), then those that won, by their cost per win against their channel's (dearest "
                                "first). “Spent, won nothing” is the first place to look for a campaign to drop, unless "
                                "its leads are young (a lead created last week has had little time to win) or it has a "
                                "purpose other than wins; “cost per win above its channel's” means the channel's other "
                                "campaigns win customers more cheaply: weigh it against its return on spend (a dearer "
                                "win may be a larger deal) before moving its budget. Campaigns with leads but no spend "
                                "cost nothing to keep. The table marks; it does not decide.",
                          "zh": "阅读方法：有投入但没有赢单的活动排在最前（投入大的在前），其后是有赢单的活动，"
                                "按单笔赢单成本相对所在渠道的倍数排序（越贵越前）。“有投入、无赢单”是考虑放弃的首要对象，"
                                "除非其线索还很新（上周才创建的线索还来不及赢单）或该活动另有目的；"
                                "“单笔赢单成本高于所在渠道”表示同渠道的其他活动获客更便宜："
                                "调整预算前请对照其投入回报（赢单成本更高，也可能带来更大的单子）。有线索而无投入的活动保留不花钱。"
                                "本表只做标记，不做决定。"},
    "campaign": {"en": "Campaign", "zh": "运营活动"},
    "channel_cost_per_win": {"en": "Channel's cost per win", "zh": "渠道单笔赢单成本"},
    "vs_channel": {"en": "× channel's", "zh": "相对渠道（倍）"},
    "return_on_spend": {"en": "Return on spend", "zh": "投入回报"},
    "mark": {"en": "Mark", "zh": "标记"},
    "spent_won_nothing": {"en": "spent, won nothing", "zh": "有投入、无赢单"},
    "above_channel": {"en": "cost per win above its channel's", "zh": "单笔赢单成本高于所在渠道"},
    "other_campaign": {"en": "other", "zh": "其他"},
    "campaign_spend_chart": {"en": "Spend per campaign (90 d), marked", "zh": "各活动投入（90天）及标记"},
    "campaign_cost_chart": {"en": "Cost per win per campaign (bar) against its channel's (tick), 90 d",
                            "zh": "各活动单笔赢单成本（条）与所在渠道（刻度线），90天"},
    "no_campaign_spend": {"en": "No campaign spent anything in the 90 days: no spend to chart.",
                          "zh": "这 90 天内没有任何活动有投入，无投入可绘图。"},
    "no_campaign_wins": {"en": "No campaign's cohort has a win: no cost per win to compare with its channel's.",
                         "zh": "没有任何活动的同批线索赢单，无单笔赢单成本可与渠道对比。"},
    "campaigns_other": {"en": "{n} campaigns with nothing to weigh: no spend, or no cost per win of their channel",
                        "zh": "{n} 个无可比较的活动：没有投入，或所在渠道没有单笔赢单成本"},
    "no_campaigns": {"en": "No campaign has a lead created or spend dated in the 90 days to {date}.",
                     "zh": "截至 {date} 的 90 天内没有任何活动有新线索或投入。"},
    # customer voice
    "voice": {"en": "Customer voice", "zh": "客户之声"},
    "voice_note": {"en": "Customers' answers to “would you recommend us?” (0–10): NPS = 100 × (promoters, 9–10 − "
                         "detractors, 0–6) ÷ responses, from −100 to +100; the team score is the mean score of the "
                         "team's (and partners') responses. Change is against a week before.",
                   "zh": "客户对“是否愿意推荐我们”（0–10 分）的回答：NPS = 100 ×（推荐者 9–10 分 − 贬损者 0–6 分）÷ 回复数，"
                         "范围 −100 至 +100；团队平均评分为团队（含合作伙伴）回复的平均分。变化为与一周前相比。"},
    "nps_daily_chart": {"en": "Customer NPS (90 d), the last six weeks, daily",
                        "zh": "客户 NPS（90天），最近六周（每日）"},
    "nps_monthly_chart": {"en": "Customer NPS (90 d), the last twelve months, month-end",
                          "zh": "客户 NPS（90天），最近十二个月（月末）"},
    "responses": {"en": "Responses", "zh": "回复数"},
    "no_nps_trend": {"en": "No customer response in the 90 days to any date charted: no NPS trend to draw.",
                     "zh": "所绘各日期的 90 天内都没有客户回复，无 NPS 走势可绘。"},
    "no_voice": {"en": "No customer responses in the last 180 days.", "zh": "最近 180 天内没有客户回复。"},
    "negative_projects": {"en": "Projects with a negative NPS (180 d) at {date}, worst first",
                          "zh": "截至 {date} NPS 为负的项目（180天），最差的在前"},
    "responses_180d": {"en": "Responses (180 d)", "zh": "回复数（180天）"},
    "nps_180d": {"en": "NPS (180 d)", "zh": "NPS（180天）"},
    "no_negative_projects": {"en": "No project has a negative NPS over the last 180 days ({n} with responses).",
                             "zh": "最近 180 天内没有 NPS 为负的项目（{n} 个项目有回复）。"},
    "no_project_responses": {"en": "No customer response of the last 180 days names a project.",
                             "zh": "最近 180 天内的客户回复都没有对应项目。"},
    # delivery
    "delivery": {"en": "Delivery", "zh": "交付"},
    "delivery_note": {"en": "Active projects at {date}, red first, then amber. ◆ marks a project whose colour changed "
                            "since {week_ago}.",
                      "zh": "截至 {date} 的进行中项目，红色在前，其次黄色。◆ 表示自 {week_ago} 以来颜色发生变化的项目。"},
    "health_chart": {"en": "Projects by health, a week before and now", "zh": "项目健康度分布：一周前与现在"},
    "burn_chart": {"en": "Budget burn against schedule slip, active projects", "zh": "进行中项目：预算消耗与进度延误"},
    "health": {"en": "Health", "zh": "健康度"},
    "projects": {"en": "Projects", "zh": "项目数"},
    "project": {"en": "Project", "zh": "项目"},
    "account": {"en": "Account", "zh": "客户"},
    "budget_burn": {"en": "Budget burn", "zh": "预算消耗"},
    "cost_variance": {"en": "Cost variance", "zh": "成本偏差"},
    "slip": {"en": "Slip (days)", "zh": "延误（天）"},
    "overdue": {"en": "Overdue milestones", "zh": "逾期里程碑"},
    "was": {"en": "was {colour}", "zh": "原为{colour}"},
    "new_project": {"en": "new", "zh": "新增"},
    "green_projects": {"en": "{n} green projects", "zh": "{n} 个绿色项目"},
    "no_week_ago": {"en": "{date} is not published: no colour to compare with.", "zh": "{date} 未发布，无法比较颜色变化。"},
    "now": {"en": "Now", "zh": "现在"},
    "week_ago": {"en": "A week before", "zh": "一周前"},
    # effort
    "effort": {"en": "Effort", "zh": "工时投入"},
    "effort_note": {"en": "Hours and labour cost of all valid time entries of the weeks starting {first} … {last}, by "
                          "role and phase.",
                    "zh": "{first} 至 {last} 开始的各周内全部有效工时记录，按角色与阶段汇总的工时与人工成本。"},
    "hours_chart": {"en": "Hours by role and phase (4 weeks)", "zh": "按角色与阶段的工时（4周）"},
    "cost_heatmap": {"en": "Labour cost by role and phase (4 weeks)", "zh": "按角色与阶段的人工成本（4周）"},
    "role": {"en": "Role", "zh": "角色"},
    "phase": {"en": "Phase", "zh": "阶段"},
    "hours": {"en": "Hours", "zh": "工时"},
    "labour_cost": {"en": "Labour cost", "zh": "人工成本"},
    # data quality
    "quality": {"en": "Data quality", "zh": "数据质量"},
    "quality_note": {"en": "Rows quarantined per entity by the run that published {date} ({run}, {when}), against the "
                           "run that published {week_ago} before it ({run_before}).",
                     "zh": "发布 {date} 数据的运行（{run}，{when}）中各实体被隔离的行数，与此前发布 {week_ago} 数据的运行"
                           "（{run_before}）对比。"},
    "no_run_before": {"en": "none", "zh": "无"},
    "quality_chart": {"en": "Rows quarantined per entity", "zh": "各实体被隔离的行数"},
    "entity": {"en": "Entity", "zh": "实体"},
    "read": {"en": "Rows read", "zh": "读取行数"},
    "quarantined": {"en": "Quarantined", "zh": "隔离行数"},
    "share": {"en": "Share", "zh": "占比"},
    "run_latest": {"en": "This run", "zh": "本次运行"},
    "run_week_ago": {"en": "A week before", "zh": "一周前的运行"},
    "rows": {"en": "Rows", "zh": "行数"},
    "reasons": {"en": "Top reasons", "zh": "主要原因"},
    "reasons_note": {"en": "The quarantine keeps the rows of the latest run only ({run}).",
                     "zh": "隔离表只保留最近一次运行（{run}）的行。"},
    "rule": {"en": "Rule", "zh": "规则"},
    "examples": {"en": "Example keys", "zh": "示例主键"},
    "no_quarantine": {"en": "No row is quarantined.", "zh": "没有被隔离的行。"},
    "no_run": {"en": "No completed run published {date}.", "zh": "没有已完成的运行发布过 {date} 的数据。"},
    # restatements
    "restated": {"en": "Restated figures", "zh": "重述数字"},
    "restated_note": {"en": "Published figures of dates up to {date} that a later run changed, recorded since {since}: "
                            "the past was corrected, the business did not move.",
                      "zh": "截至 {date} 的已发布数字中，被后续运行修改的部分（自 {since} 起记录）：这是对过去的更正，"
                            "不是业务变化。"},
    "no_restatements": {"en": "No published figure was restated.", "zh": "没有已发布的数字被重述。"},
    "restated_detail": {"en": "Every restated figure ({n}), latest dates first",
                        "zh": "全部重述数字（{n} 条），最近日期在前"},
    "dates": {"en": "Dates", "zh": "日期数"},
    "from_to": {"en": "From … to", "zh": "日期范围"},
    "largest": {"en": "Largest change", "zh": "最大变化"},
    "as_of_date": {"en": "As of", "zh": "数据日期"},
    "old_value": {"en": "Published", "zh": "原发布值"},
    "new_value": {"en": "Now", "zh": "现值"},
    "first_run": {"en": "First published by", "zh": "首次发布的运行"},
    "restating_run": {"en": "Changed by", "zh": "修改的运行"},
    "restated_at": {"en": "Changed at (UTC)", "zh": "修改时间（UTC）"},
}


class Words:
    """The page's words in one language."""

    def __init__(self, lang: str) -> None:
        if lang not in ("en", "zh"):
            raise ValueError(f"language {lang!r}: en or zh")
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        return TEXT[key][self.lang].format(**values)


# --- numbers ----------------------------------------------------------------------------------

def missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def unit_label(metric: ReviewMetric, lang: str, currency: str) -> str:
    return currency if metric.unit == "money" else UNITS[metric.unit][lang]


def fmt_value(v: object, unit: str, currency: str) -> str:
    """A figure as the page writes it: money with its currency, ratios as percentages."""
    if missing(v):
        return "–"
    x = float(v)  # type: ignore[arg-type]
    if unit == "ratio":
        return f"{100 * x:.1f}%"
    if unit == "money":
        return f"{currency} {x:,.0f}"
    if unit == "count":
        return f"{x:,.0f}"
    if unit == "nps":
        return f"{x:+.1f}"
    if unit == "score":
        return f"{x:.2f}"
    return f"{x:,.1f}"  # days, hours


def fmt_change(v: object, unit: str, currency: str, lang: str) -> str:
    """A change, signed: ratios in percentage points."""
    if missing(v):
        return "–"
    x = float(v)  # type: ignore[arg-type]
    sign = "+" if x > 0 else "−" if x < 0 else "±"
    if unit == "ratio":
        return f"{sign}{abs(100 * x):.1f} {'个百分点' if lang == 'zh' else 'pp'}"
    if unit == "money":
        return f"{sign}{currency} {abs(x):,.0f}"
    if unit == "count":
        return f"{sign}{abs(x):,.0f}"
    if unit == "score":
        return f"{sign}{abs(x):.2f}"
    return f"{sign}{abs(x):,.1f}"


def fmt_times(v: object) -> str:
    """A multiple (a return on spend, a cost against another): 1.85×."""
    return "–" if missing(v) or math.isinf(float(v)) else f"{float(v):,.2f}×"  # type: ignore[arg-type]


def fmt_pct(v: object) -> str:
    if missing(v) or math.isinf(float(v)):  # type: ignore[arg-type]
        return "–"
    x = float(v)  # type: ignore[arg-type]
    return f"{'+' if x > 0 else '−' if x < 0 else '±'}{abs(100 * x):.1f}%"
