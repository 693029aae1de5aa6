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
    "no_data": {"en": "No data for this as-of date.", "zh": "该日期没有数据。"},
    "more_rows": {"en": "… and {n} more", "zh": "……另有 {n} 条"},
    # what changed
    "what_changed": {"en": "What changed", "zh": "本周变化"},
    "signals_rule": {
        "en": "What is analysed: the weekly flows (leads, deals, bookings, spend, customers, deliveries, hours, costs "
              "and responses of the 7 days to each date) as they are, and the weekly change of six levels "
              "(customers, key accounts, open pipeline and its amount, active projects, overdue milestones): a "
              "level that grows steadily has a steady weekly change, which is no signal. For each, its value as "
              "of D, D − 7, D − 14, … (13 weeks; 12 weekly changes); the baseline is every week before the "
              "latest. Centre = the baseline's mean; mR = the mean of its week-to-week moves; limits = centre ± "
              "2.66 × mR; midways = centre ± 1.33 × mR. A signal is the first rule that holds: the latest week "
              "beyond a limit; 3 of the last 4 weeks, the latest among them, beyond the same midway; the last 8 "
              "weeks on one side of the centre. A baseline that never moved (mR = 0) has no limits to judge by. "
              "The 30- and 90-day windows and the rates are context, never signals: sampled weekly, their "
              "windows overlap, so limits drawn from them are too narrow (their trends are under Headline "
              "figures). From the warehouse's review_signals.",
        "zh": "分析对象：各项周流量（截至每个日期的 7 天内的线索、商机、签约额、投入、新客户、交付、工时、成本与反馈）本身，"
              "以及六个存量指标的周变化（客户、重点客户、在途商机数与金额、进行中项目、逾期里程碑）：稳定增长的存量，"
              "其周变化也稳定，不构成信号。每项取截至 D、D − 7、D − 14 … 的值（13 周；周变化为 12 个），"
              "最新一周之前的各周为基线。中心线 = 基线均值；mR = 基线相邻两周变化绝对值的均值；界限 = 中心线 ± 2.66 × mR；"
              "中线 = 中心线 ± 1.33 × mR。信号取第一条成立的规则：最新一周超出界限；最近 4 周中有 3 周（含最新一周）"
              "超出同侧中线；最近 8 周都在中心线同侧。基线从未变化（mR = 0）则没有可用的界限。"
              "30 天、90 天窗口指标与比率只作背景，不判信号：按周取值时窗口相互重叠，据此画出的界限过窄"
              "（其走势见“核心指标”）。数据来自数仓的 review_signals 表。"},
    "no_signals_table": {"en": "The warehouse has no review_signals rows for this date (published before the table "
                               "existed): a backfill of the date computes them.",
                         "zh": "数仓中没有该日期的 review_signals 数据（发布于该表出现之前）：回补该日期即可计算。"},
    "signals": {"en": "Signals", "zh": "信号"},
    "no_signals": {"en": "No analysed metric moved beyond its usual variation this week.",
                   "zh": "本周没有被分析的指标超出其正常波动范围。"},
    "inside_limits": {"en": "No signal", "zh": "无信号"},
    "series": {"en": "Series", "zh": "序列"},
    "series_weekly": {"en": "week's flow", "zh": "周流量"},
    "series_weekly_change": {"en": "weekly change", "zh": "周变化"},
    "this_week": {"en": "This week", "zh": "本周"},
    "centre": {"en": "Centre", "zh": "中心线"},
    "midway": {"en": "Midways", "zh": "中线"},
    "rule": {"en": "Rule", "zh": "规则"},
    "no_limits": {"en": "flat baseline: no limits", "zh": "基线无波动：无界限"},
    "rule_outside_up": {"en": "this week above the upper limit", "zh": "本周高于上限"},
    "rule_outside_down": {"en": "this week below the lower limit", "zh": "本周低于下限"},
    "rule_three_of_four_up": {"en": "3 of the last 4 weeks above the upper midway", "zh": "最近 4 周中有 3 周高于上中线"},
    "rule_three_of_four_down": {"en": "3 of the last 4 weeks below the lower midway", "zh": "最近 4 周中有 3 周低于下中线"},
    "rule_eight_in_a_row_up": {"en": "8 weeks in a row above the centre", "zh": "连续 8 周高于中心线"},
    "rule_eight_in_a_row_down": {"en": "8 weeks in a row below the centre", "zh": "连续 8 周低于中心线"},
    "good_news": {"en": "good for the business", "zh": "对业务有利"},
    "bad_news": {"en": "bad for the business", "zh": "对业务不利"},
    "neutral_news": {"en": "neither good nor bad in itself", "zh": "本身无好坏之分"},
    "limits": {"en": "Limits", "zh": "界限"},
    "restated_history": {"en": "history restated this week", "zh": "本周有历史重述"},
    # headline
    "headline": {"en": "Headline figures", "zh": "核心指标"},
    "headline_note": {
        "en": "Every figure as of the date against a week before. A row is coloured only when its metric has a signal "
              "(see What changed): green good for the business, red bad; the sign of one week's change colours "
              "nothing, it is noise more often than news. The charts are the weekly business review's 6-12: the last "
              "6 weeks (a weekly flow is the week's total) and the last 12 month-ends (for a weekly flow, its 30- or "
              "90-day window there: a week is not a month), each beside the same week and month a year before, "
              "lighter.",
        "zh": "各项数字截至当日，并与一周前对比。只有出现信号的指标（见“本周变化”）才着色：绿色对业务有利，红色不利；"
              "单周变化的正负不着色，它多半是噪声而非消息。图表采用周度经营回顾的 6-12 形式：最近 6 周（周流量为该周合计）"
              "与最近 12 个月末（周流量取其 30 天或 90 天窗口在月末的值：一周不等于一个月），"
              "旁边以浅色画出一年前的同一周、同一月。"},
    "metric": {"en": "Metric", "zh": "指标"},
    "value": {"en": "Value", "zh": "数值"},
    "week_ago_value": {"en": "A week before", "zh": "一周前"},
    "change": {"en": "Change", "zh": "变化"},
    "change_pct": {"en": "Change %", "zh": "变化率"},
    "direction": {"en": "Direction", "zh": "方向"},
    "unit": {"en": "Unit", "zh": "单位"},
    "six_twelve_chart": {"en": "The last 6 weeks and 12 month-ends, a year before lighter",
                         "zh": "最近 6 周与 12 个月末，浅色为一年前"},
    "last_weeks": {"en": "6 weeks", "zh": "6 周"},
    "month_ends": {"en": "12 month-ends", "zh": "12 个月末"},
    "month_ends_of": {"en": "12 month-ends: {window}", "zh": "12 个月末：{window}"},
    "this_year": {"en": "This year", "zh": "今年"},
    "year_before": {"en": "A year before", "zh": "一年前"},
    "signal": {"en": "Signal", "zh": "信号"},
    "plan": {"en": "Plan", "zh": "目标"},
    "vs_plan": {"en": "vs plan", "zh": "与目标相比"},
    "owner": {"en": "Owner", "zh": "负责人"},
    "no_plan": {"en": "no plan", "zh": "无目标"},
    "no_owner": {"en": "no owner", "zh": "无负责人"},
    "notes_this_week": {"en": "Notes this week", "zh": "本周记录"},
    "awaiting": {"en": "awaiting {owner}", "zh": "等待 {owner} 说明"},
    "awaiting_no_owner": {"en": "awaiting: no owner", "zh": "等待说明：无负责人"},
    "decision_keep": {"en": "keep", "zh": "保留"},
    "decision_drop": {"en": "drop", "zh": "放弃"},
    "decision_watch": {"en": "watch", "zh": "观察"},
    "decision_fix": {"en": "fix", "zh": "整改"},
    "no_plan_at_all": {"en": "No plan: the warehouse has no targets (the optional source targets: metric, month, "
                             "target, owner), so no figure is compared with one.",
                       "zh": "无目标：数仓中没有目标数据（可选数据源 targets：指标、月份、目标值、负责人），"
                             "因此不与目标比较。"},
    "date": {"en": "Date", "zh": "日期"},
    "week": {"en": "Week", "zh": "周"},
    # funnel
    "funnel": {"en": "Funnel and channels", "zh": "漏斗与渠道"},
    "funnel_note": {"en": "The leads of each channel created in the 90 days to {date} (the young cohort) and how many of "
                          "them are qualified, converted and won by then, the opportunities (deals) its leads opened in "
                          "those 90 days, the channel's spend over them; and the matured cohort, the leads created 90 "
                          "to 179 days before, with their wins, cost per win and return on spend.",
                    "zh": "各渠道在截至 {date} 的 90 天内创建的线索（较新批次），其中截至当日已合格、已转化、已赢单的数量，"
                          "这些线索在这 90 天内产生的商机，以及该渠道同期的投入；成熟批次即 90 至 179 天前创建的线索，"
                          "及其赢单数、单笔赢单成本与投入回报。"},
    "funnel_chart": {"en": "Leads → qualified → converted → won, per channel", "zh": "各渠道：线索 → 合格 → 转化 → 赢单"},
    "stage": {"en": "Stage", "zh": "阶段"},
    "channel": {"en": "Channel", "zh": "渠道"},
    "leads": {"en": "Leads", "zh": "线索数"},
    "spend_chart": {"en": "Spend per channel (90 d)", "zh": "各渠道投入（90天）"},
    "spend": {"en": "Spend", "zh": "投入"},
    "cost_chart": {"en": "Cost per opportunity (90 d) and cost per win of the matured cohort, per channel",
                   "zh": "各渠道单个商机成本（90天）与成熟批次单笔赢单成本"},
    "cost_per_lead": {"en": "Cost per lead", "zh": "单条线索成本"},
    "no_cost": {"en": "{what}: no channel has one (no spend, or no opportunity or win to divide it by).",
                "zh": "{what}：没有任何渠道有此数值（没有投入，或没有商机、赢单可分摊）。"},
    "won": {"en": "Won", "zh": "赢单"},
    # campaigns
    "campaigns": {"en": "Campaigns: keep or drop", "zh": "运营活动：保留还是放弃"},
    "campaigns_note": {
        "en": "Each campaign (channel and campaign) with a lead created or spend dated in the 180 days to {date}, judged "
              "on two cohorts against its channel (the whole channel's figures, as in “{funnel}”). Early signal: the "
              "leads of the last 90 days (young: most have not had time to win) and the opportunities (deals) "
              "opened in those 90 days by its leads, with the cost per opportunity. Late signal: the matured cohort, "
              "its leads created 90 to 179 days before (past most sales cycles), with their wins, the spend of those "
              "90 days, the cost per win and the return on spend (the amount of the cohort's won deals per unit "
              "spent).",
        "zh": "截至 {date} 的 180 天内有新线索或有投入的每个运营活动（渠道与活动），按两批线索与所在渠道对比"
              "（整个渠道的数字，同“{funnel}”）。早期信号：最近 90 天的线索（较新：多数还来不及赢单）及其在这 90 天内"
              "产生的商机，和单个商机成本。后期信号：成熟批次，即 90 至 179 天前创建的线索（已过大多数销售周期），"
              "其赢单数、那 90 天的投入、单笔赢单成本与投入回报（该批线索已赢单金额÷投入）。"},
    "campaigns_reading": {
        "en": "How to read it: “spent, won nothing” (red) is a campaign whose matured leads had spend and won "
              "nothing: the first place to look for one to drop, unless it has another purpose. “Cost per win above "
              "its channel's” (amber) means the channel's other campaigns win more cheaply: weigh it against its "
              "return on spend before moving its budget. “Too young to judge on wins”: no lead of it is 90 days "
              "old yet; read its opportunities instead. Spend without any lead is overhead, and leads that name no "
              "campaign are unattributed: both are listed apart, never judged. The table marks; it does not decide.",
        "zh": "阅读方法：“有投入、无赢单”（红色）指成熟批次的线索有投入却没有赢单：考虑放弃的首要对象，除非该活动另有目的。"
              "“单笔赢单成本高于所在渠道”（黄色）表示同渠道其他活动获客更便宜：调整预算前请对照其投入回报。"
              "“太新，无法按赢单判断”：该活动还没有满 90 天的线索，请看其商机数。没有任何线索的投入属于日常开销，"
              "未注明活动的线索属于未归因：二者单独列出，不做评判。本表只做标记，不做决定。"},
    "campaign": {"en": "Campaign", "zh": "运营活动"},
    "campaigns_judged": {"en": "Campaigns with leads", "zh": "有线索的活动"},
    "leads_young": {"en": "Leads (90 d)", "zh": "线索（90天）"},
    "opportunities": {"en": "Opportunities (90 d)", "zh": "商机（90天）"},
    "cost_per_opportunity": {"en": "Cost per opportunity", "zh": "单个商机成本"},
    "leads_matured": {"en": "Matured leads", "zh": "成熟批次线索"},
    "won_matured": {"en": "Matured won", "zh": "成熟批次赢单"},
    "spend_matured": {"en": "Matured spend", "zh": "成熟批次投入"},
    "cost_per_win_matured": {"en": "Cost per win (matured)", "zh": "单笔赢单成本（成熟批次）"},
    "return_on_spend_matured": {"en": "Return on spend (matured)", "zh": "投入回报（成熟批次）"},
    "channel_cost": {"en": "Channel's {what}", "zh": "渠道{what}"},
    "vs_channel": {"en": "× channel's", "zh": "相对渠道（倍）"},
    "mark": {"en": "Mark", "zh": "标记"},
    "spent_won_nothing": {"en": "spent, won nothing", "zh": "有投入、无赢单"},
    "above_channel": {"en": "cost per win above its channel's", "zh": "单笔赢单成本高于所在渠道"},
    "too_young": {"en": "too young to judge on wins", "zh": "太新，无法按赢单判断"},
    "campaign_opportunity_chart": {"en": "Cost per opportunity per campaign (bar) against its channel's (tick), 90 d",
                                   "zh": "各活动单个商机成本（条）与所在渠道（刻度线），90天"},
    "campaign_win_chart": {"en": "Cost per win of the matured cohort per campaign (bar) against its channel's (tick)",
                           "zh": "各活动成熟批次单笔赢单成本（条）与所在渠道（刻度线）"},
    "no_campaign_opportunity_chart": {"en": "No campaign has both spend and an opportunity in the 90 days: no cost per "
                                            "opportunity to compare.",
                                      "zh": "这 90 天内没有既有投入又有商机的活动，无单个商机成本可比较。"},
    "no_campaign_win_chart": {"en": "No campaign's matured cohort has both spend and a win: no cost per win to compare.",
                              "zh": "没有活动的成熟批次既有投入又有赢单，无单笔赢单成本可比较。"},
    "campaigns_free": {"en": "{n} campaigns with leads and no spend in either cohort: they cost nothing to keep",
                       "zh": "{n} 个有线索、但两批都没有投入的活动：保留不花钱"},
    "campaigns_overhead": {"en": "Overhead: spend without leads", "zh": "日常开销：有投入、无线索"},
    "campaigns_overhead_note": {
        "en": "Spend booked to a campaign that has no lead in either cohort: tooling, retargeting, brand. Not judged "
              "on leads or wins; ask whether it is still worth paying for.",
        "zh": "记在某个活动名下、但两批都没有线索的投入：工具、再营销、品牌等。不按线索或赢单评判；请确认是否仍值得支付。"},
    "campaigns_unattributed": {"en": "Unattributed: leads and spend that name no campaign",
                               "zh": "未归因：未注明活动的线索与投入"},
    "campaigns_unattributed_note": {
        "en": "“unknown” gathers what names no campaign, per channel: never best or worst. A large share here means "
              "the campaign field is not filled in at the source.",
        "zh": "“unknown”按渠道汇总未注明活动的线索与投入：不参与最好、最差的评比。此处占比大，说明源系统没有填写活动字段。"},
    "no_campaigns": {"en": "No campaign has a lead created or spend dated in the 180 days to {date}.",
                     "zh": "截至 {date} 的 180 天内没有任何活动有新线索或投入。"},
    # decisions and follow-ups
    "decisions": {"en": "Decisions and follow-ups", "zh": "决定与跟进"},
    "decisions_note": {"en": "What the review noted and decided (review_notes), read as of {date}: this week's notes, "
                             "every follow-up not closed and due within a week (overdue first), and every decision on a "
                             "campaign with its figures when it was decided and now.",
                       "zh": "复盘会记录与决定（review_notes），截至 {date}：本周记录、一周内到期且未关闭的全部跟进事项"
                             "（逾期的在前），以及每个针对运营活动的决定及其决定时与现在的数字。"},
    "no_notes": {"en": "No notes: the warehouse has no review notes (the optional source review_notes: who noted what, "
                       "decided what, and when they report back).",
                 "zh": "无记录：数仓中没有复盘记录（可选数据源 review_notes：谁记录了什么、决定了什么、何时反馈）。"},
    "notes_of_week": {"en": "Notes of the review week ({first} … {last})", "zh": "本周复盘记录（{first} … {last}）"},
    "no_notes_this_week": {"en": "No note dated this week.", "zh": "本周没有记录。"},
    "open_follow_ups": {"en": "Open follow-ups due by a week after {date}, overdue first",
                        "zh": "截至 {date} 后一周内到期的未关闭跟进事项，逾期的在前"},
    "no_open_follow_ups": {"en": "No follow-up is open and due within the week.", "zh": "一周内没有到期的未关闭跟进事项。"},
    "overdue_by": {"en": "overdue by {n} days", "zh": "逾期 {n} 天"},
    "noted_on": {"en": "Noted on", "zh": "记录日期"},
    "about": {"en": "About", "zh": "对象"},
    "decision": {"en": "Decision", "zh": "决定"},
    "note": {"en": "Note", "zh": "记录"},
    "follow_up_by": {"en": "Follow up by", "zh": "跟进期限"},
    "campaign_decisions": {"en": "Decisions on campaigns", "zh": "运营活动的决定"},
    "campaign_decisions_note": {
        "en": "Each campaign's cost per opportunity (90 d), matured cost per win and spend (90 d) on the day it was "
              "decided and now. A campaign decided “drop” that spent after the decision is flagged.",
        "zh": "各活动在决定当日与现在的单个商机成本（90天）、成熟批次单笔赢单成本与投入（90天）。"
              "决定“放弃”后仍有投入的活动会被标出。"},
    "no_campaign_decisions": {"en": "No decision on a campaign yet.", "zh": "尚无针对运营活动的决定。"},
    "decided_on": {"en": "Decided on", "zh": "决定日期"},
    "cpo_then_now": {"en": "Cost per opportunity: then → now", "zh": "单个商机成本：当时 → 现在"},
    "cpw_then_now": {"en": "Cost per win (matured): then → now", "zh": "单笔赢单成本（成熟批次）：当时 → 现在"},
    "spend_then_now": {"en": "Spend (90 d): then → now", "zh": "投入（90天）：当时 → 现在"},
    "since_decision": {"en": "Since the decision", "zh": "决定之后"},
    "still_spending": {"en": "still spending: {amount} since {date}", "zh": "仍在投入：自 {date} 起 {amount}"},
    "moved_since": {"en": "since kept: cost per opportunity {opp}, per win {win}",
                    "zh": "保留以来：单个商机成本 {opp}，单笔赢单成本 {win}"},
    # customer voice
    "voice": {"en": "Customer voice", "zh": "客户之声"},
    "voice_note": {"en": "Customers' answers to “would you recommend us?” (0–10): NPS = 100 × (promoters, 9–10 − "
                         "detractors, 0–6) ÷ responses, from −100 to +100; the team score is the mean score of the "
                         "team's (and partners') responses. Change is against a week before.",
                   "zh": "客户对“是否愿意推荐我们”（0–10 分）的回答：NPS = 100 ×（推荐者 9–10 分 − 贬损者 0–6 分）÷ 回复数，"
                         "范围 −100 至 +100；团队平均评分为团队（含合作伙伴）回复的平均分。变化为与一周前相比。"},
    "responses": {"en": "Responses", "zh": "回复数"},
    "no_nps_trend": {"en": "No customer response in the 90 days to any date charted: no NPS trend to draw.",
                     "zh": "所绘各日期的 90 天内都没有客户回复，无 NPS 走势可绘。"},
    "no_voice": {"en": "No customer responses in the last 180 days.", "zh": "最近 180 天内没有客户回复。"},
    "negative_projects": {"en": "Projects with a negative NPS (180 d) at {date} over at least {min} answers, worst first",
                          "zh": "截至 {date} 至少有 {min} 条回复且 NPS 为负的项目（180天），最差的在前"},
    "responses_180d": {"en": "Responses (180 d)", "zh": "回复数（180天）"},
    "nps_180d": {"en": "NPS (180 d)", "zh": "NPS（180天）"},
    "no_negative_projects": {"en": "No project with at least {min} answers has a negative NPS over the last 180 days "
                                   "({n} with that many).",
                             "zh": "最近 180 天内，回复不少于 {min} 条的项目中没有 NPS 为负的（共 {n} 个）。"},
    "too_few_answers": {"en": "{n} projects with too few answers to judge (fewer than {min} in 180 days)",
                        "zh": "{n} 个项目回复太少，无法判断（180 天内少于 {min} 条）"},
    "no_project_responses": {"en": "No customer response of the last 180 days names a project.",
                             "zh": "最近 180 天内的客户回复都没有对应项目。"},
    # delivery
    "delivery": {"en": "Delivery", "zh": "交付"},
    "delivery_note": {"en": "Active projects at {date}, red first, then amber. ◆ marks a project whose colour changed "
                            "since {week_ago}.",
                      "zh": "截至 {date} 的进行中项目，红色在前，其次黄色。◆ 表示自 {week_ago} 以来颜色发生变化的项目。"},
    "health_chart": {"en": "Projects by health, a week before and now", "zh": "项目健康度分布：一周前与现在"},
    "burn_chart": {"en": "Budget burn against schedule elapsed, active projects (above the diagonal: spending faster "
                         "than the schedule passes)",
                   "zh": "进行中项目：预算消耗与进度已过比例（对角线以上：花钱快于进度）"},
    "delivery_terms": {"en": "Budget burn = cost to date ÷ budget. Schedule elapsed = the share of start → planned end "
                             "passed at the date (100% once past the planned end: the slip says how far). A burn well "
                             "above the elapsed share spends faster than the project moves. Cost variance = cost to "
                             "date − budget: above 0 is over budget. Slip = days past the planned end.",
                       "zh": "预算消耗 = 至今成本 ÷ 预算。进度已过 = 截至当日已过去的“开始 → 计划结束”比例"
                             "（超过计划结束日即为 100%，超出多少见延误）。预算消耗明显高于进度已过，说明花钱快于项目推进。"
                             "成本偏差 = 至今成本 − 预算：大于 0 即超预算。延误 = 超过计划结束日的天数。"},
    "elapsed": {"en": "Schedule elapsed", "zh": "进度已过"},
    "not_plotted": {"en": "{n} active projects are not in the chart: no budget, or no start or planned end date.",
                    "zh": "{n} 个进行中项目未画入图中：没有预算，或没有开始日期、计划结束日期。"},
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
    # project page (tasks/review/project/): a page per project, 专项盘点
    "proj_title": {"en": "{name} ({project}) as of {date}", "zh": "{name}（{project}）专项盘点，截至 {date}"},
    "proj_title_id": {"en": "Project {project} as of {date}", "zh": "项目 {project} 专项盘点，截至 {date}"},
    "proj_subtitle": {"en": "A project's page: figures as of {date}, in {currency}. Read from {warehouse} at {generated} "
                            "(UTC).",
                      "zh": "项目专项页：数据截至 {date}，金额单位 {currency}。读取自 {warehouse}，"
                            "生成于 {generated}（UTC）。"},
    "proj_back": {"en": "← The weekly review as of {date}", "zh": "← 返回周度经营回顾（截至 {date}）"},
    "proj_summary": {"en": "At a glance", "zh": "概况"},
    "proj_because": {"en": "{colour} at {date} because: {reasons}.", "zh": "{date} 为{colour}，原因：{reasons}。"},
    "proj_also": {"en": "Also {colour}: {reasons}.", "zh": "另有{colour}条件：{reasons}。"},
    "proj_green": {"en": "Green at {date}: within budget and a burn of at most 90%, no milestone overdue, not past the "
                         "planned end.",
                   "zh": "{date} 为绿：未超预算且预算消耗不超过 90%，没有逾期里程碑，未超过计划结束日。"},
    "proj_no_reason": {"en": "{colour} at {date} in the warehouse, though no condition of the health rule holds on the "
                             "figures below: the rule or the figures changed since it was published.",
                       "zh": "数仓中 {date} 为{colour}，但下列数字都不满足健康度规则的条件：规则或数字在发布后有变。"},
    "proj_no_health": {"en": "No health: only active projects have one (state at the date: {state}).",
                       "zh": "无健康度：只有进行中的项目才有（当日状态：{state}）。"},
    "proj_over_budget": {"en": "over budget: cost to date {cost} is {over} above the budget {budget} (cost variance "
                               "above 0)",
                         "zh": "超预算：至今成本 {cost}，比预算 {budget} 高出 {over}（成本偏差大于 0）"},
    "proj_burn_high": {"en": "budget burn {burn}, above 90% (cost to date {cost} of {budget})",
                       "zh": "预算消耗 {burn}，高于 90%（至今成本 {cost}，预算 {budget}）"},
    "proj_overdue_many": {"en": "{n} milestones overdue (2 or more)", "zh": "{n} 个里程碑逾期（2 个及以上）"},
    "proj_overdue_one": {"en": "1 milestone overdue", "zh": "1 个里程碑逾期"},
    "proj_slip_long": {"en": "{n} days past the planned end {end} (more than 14)",
                       "zh": "超过计划结束日 {end} {n} 天（多于 14 天）"},
    "proj_slip_short": {"en": "{n} days past the planned end {end} (1 to 14)",
                        "zh": "超过计划结束日 {end} {n} 天（1 至 14 天）"},
    "proj_since": {"en": "{colour} since {date} ({n} published dates in a row); {before}",
                   "zh": "自 {date} 起为{colour}（连续 {n} 个发布日期）；{before}"},
    "proj_since_before": {"en": "{colour} before that.", "zh": "此前为{colour}。"},
    "proj_since_first": {"en": "so since its first published date.", "zh": "即自首个发布日期起。"},
    "proj_no_colour": {"en": "not active before that.", "zh": "此前不在进行中。"},
    "proj_pace_faster": {"en": "Budget burn {burn} against {elapsed} of the schedule passed: spending {gap} points faster "
                               "than the schedule.",
                         "zh": "预算消耗 {burn}，进度已过 {elapsed}：花钱比进度快 {gap} 个百分点。"},
    "proj_pace_slower": {"en": "Budget burn {burn} against {elapsed} of the schedule passed: spending {gap} points slower "
                               "than the schedule.",
                         "zh": "预算消耗 {burn}，进度已过 {elapsed}：花钱比进度慢 {gap} 个百分点。"},
    "proj_pace_even": {"en": "Budget burn {burn} against {elapsed} of the schedule passed: spending as the schedule "
                             "passes.",
                       "zh": "预算消耗 {burn}，进度已过 {elapsed}：花钱与进度同步。"},
    "proj_attention": {"en": "To act on", "zh": "需要跟进"},
    "proj_att_overdue": {"en": "{n} milestones overdue, the longest “{name}”, by {days} days.",
                         "zh": "{n} 个里程碑逾期，最久的是“{name}”，逾期 {days} 天。"},
    "proj_att_next": {"en": "Next milestone: “{name}”, due {date}.", "zh": "下一个里程碑：“{name}”，{date} 到期。"},
    "proj_att_follow_ups": {"en": "{open} follow-ups open, {overdue} of them overdue (Notes and decisions).",
                            "zh": "{open} 个跟进事项未关闭，其中 {overdue} 个逾期（见“记录与决定”）。"},
    "proj_att_said": {"en": "The customer's latest word, {date}, {score} ({kind}): “{comment}”",
                      "zh": "客户最近一次反馈，{date}，{score} 分（{kind}）：“{comment}”"},
    "proj_state": {"en": "State at the date", "zh": "当日状态"},
    "proj_state_active": {"en": "active", "zh": "进行中"},
    "proj_state_delivered": {"en": "delivered", "zh": "已交付"},
    "proj_state_cancelled": {"en": "cancelled", "zh": "已取消"},
    "proj_state_none": {"en": "not active", "zh": "非进行中"},
    "proj_status_planned": {"en": "planned", "zh": "计划中"},
    "proj_status_active": {"en": "active", "zh": "进行中"},
    "proj_status_on_hold": {"en": "on hold (paused: counted as active)", "zh": "暂停（计为进行中）"},
    "proj_status_delivered": {"en": "delivered", "zh": "已交付"},
    "proj_status_cancelled": {"en": "cancelled", "zh": "已取消"},
    "proj_start": {"en": "Start", "zh": "开始日期"},
    "proj_planned_end": {"en": "Planned end", "zh": "计划结束日期"},
    "proj_actual_end": {"en": "Actual end", "zh": "实际结束日期"},
    "proj_end": {"en": "End", "zh": "结束日期"},
    "proj_deal": {"en": "Deal", "zh": "商机"},
    "proj_status_now": {"en": "Status in the source (latest run)", "zh": "源系统中的状态（最近一次运行）"},
    "proj_segment": {"en": "Region / industry", "zh": "区域 / 行业"},
    "proj_rules": {"en": "The health rule, measure by measure", "zh": "健康度规则，逐项对照"},
    "proj_rules_note": {"en": "Red if any red condition holds, else amber if any amber one does, else green (METRICS.md, "
                              "project_daily health).",
                        "zh": "任一红色条件成立即为红，否则任一黄色条件成立即为黄，否则为绿"
                              "（METRICS.md，project_daily 的 health）。"},
    "proj_measure": {"en": "Measure", "zh": "衡量项"},
    "proj_at_d": {"en": "At {date}", "zh": "{date} 时"},
    "proj_amber_when": {"en": "Amber when", "zh": "黄色条件"},
    "proj_red_when": {"en": "Red when", "zh": "红色条件"},
    "proj_reaches": {"en": "Gives", "zh": "结果"},
    "proj_budget_schedule": {"en": "Budget and schedule", "zh": "预算与进度"},
    "proj_budget": {"en": "Budget", "zh": "预算"},
    "proj_cost_to_date": {"en": "Cost to date", "zh": "至今成本"},
    "proj_cost_split": {"en": "{total} (labour {labour}, expenses {expenses})",
                        "zh": "{total}（人工 {labour}，费用 {expenses}）"},
    "proj_amber_burn": {"en": "90%: above it a burn is amber", "zh": "90%：高于此线为黄"},
    "proj_burn_chart": {"en": "Budget burn against schedule elapsed at every published date, under the health of each "
                              "date (a burn above the elapsed line spends faster than the schedule passes)",
                        "zh": "各发布日期的预算消耗与进度已过比例，上方色条为当日健康度"
                              "（消耗线高于进度线，说明花钱快于进度）"},
    "proj_no_burn": {"en": "No budget burn nor schedule to draw: the project has no budget and no start or planned end "
                           "date.",
                     "zh": "无可绘制的预算消耗与进度：该项目没有预算，也没有开始或计划结束日期。"},
    "proj_no_budget": {"en": "No budget: the burn cannot be drawn, only the schedule.",
                       "zh": "没有预算：只能绘制进度，无法绘制预算消耗。"},
    "proj_milestones": {"en": "Milestones", "zh": "里程碑"},
    "proj_milestones_note": {"en": "{n} milestones at {date}: {overdue} overdue, {open} open, {done} completed. Overdue = "
                                   "due before the date and not completed by it.",
                             "zh": "截至 {date} 共 {n} 个里程碑：逾期 {overdue} 个，未完成 {open} 个，已完成 {done} 个。"
                                   "逾期 = 到期日早于当日且当日仍未完成。"},
    "proj_milestones_differ": {"en": "project_daily published {n} overdue at {date}: the milestones changed in the source "
                                     "since (this list is as the latest run read them).",
                               "zh": "project_daily 发布的 {date} 逾期数为 {n}：此后源系统中的里程碑有变"
                                     "（本表为最近一次运行读取的结果）。"},
    "proj_no_milestones": {"en": "No milestone: the source lists none for this project.",
                           "zh": "无里程碑：源系统中该项目没有里程碑。"},
    "proj_milestone": {"en": "Milestone", "zh": "里程碑"},
    "proj_due": {"en": "Due", "zh": "到期日"},
    "proj_completed": {"en": "Completed", "zh": "完成日期"},
    "proj_overdue_by": {"en": "overdue by {n} days", "zh": "逾期 {n} 天"},
    "proj_due_in": {"en": "due in {n} days", "zh": "{n} 天后到期"},
    "proj_done": {"en": "completed on time", "zh": "按时完成"},
    "proj_done_late": {"en": "completed {n} days late", "zh": "延迟 {n} 天完成"},
    "proj_effort_note": {"en": "{hours} hours and {cost} of labour in {weeks} weeks with time entries, the weeks "
                               "starting {first} … {last} (a week's bar runs Monday to Sunday).",
                         "zh": "{first} 至 {last} 开始的各周中，有工时记录的 {weeks} 周共 {hours} 小时、人工成本 {cost}"
                               "（每根柱为周一至周日）。"},
    "proj_no_effort": {"en": "No time entry of this project in the weeks starting by {date}.",
                       "zh": "截至 {date} 开始的各周内，该项目没有工时记录。"},
    "proj_hours_chart": {"en": "Hours per week, by role", "zh": "每周工时，按角色"},
    "proj_cost_chart": {"en": "Labour cost per week, by phase", "zh": "每周人工成本，按阶段"},
    "proj_heat_hours": {"en": "Hours by role and phase, the whole project", "zh": "按角色与阶段的工时（项目全程）"},
    "proj_heat_cost": {"en": "Labour cost by role and phase, the whole project", "zh": "按角色与阶段的人工成本（项目全程）"},
    "proj_products": {"en": "Products and usage", "zh": "产品与使用"},
    "proj_favourite": {"en": "Favourite product: {product}, the one with the most active users at {date}; the top "
                             "product on {n} of the {of} published dates that have one.",
                       "zh": "最受欢迎的产品：{product}，{date} 活跃用户最多；在有活跃用户的 {of} 个发布日期中，"
                             "有 {n} 个日期排名第一。"},
    "proj_favourite_others": {"en": "Also top: {others}.", "zh": "其他排名第一的产品：{others}。"},
    "proj_top_other": {"en": "{product} on {n}", "zh": "{product}（{n} 个日期）"},
    "proj_no_top_now": {"en": "No product has an active user at {date}; the most often top before: {product}, on {n} of "
                              "{of} published dates.",
                        "zh": "{date} 没有任何产品有活跃用户；此前最常排名第一的是 {product}（{of} 个日期中的 {n} 个）。"},
    "proj_no_top": {"en": "No product of this project has had an active user at any published date.",
                    "zh": "在所有发布日期中，该项目的产品都没有活跃用户。"},
    "proj_products_live": {"en": "Products live", "zh": "在用产品数"},
    "proj_seats_live": {"en": "Seats live", "zh": "在用席位"},
    "proj_active_users": {"en": "Active users", "zh": "活跃用户"},
    "proj_utilisation": {"en": "Seat utilisation", "zh": "席位利用率"},
    "proj_users": {"en": "Users and seats", "zh": "用户与席位"},
    "proj_licences": {"en": "Licences", "zh": "许可"},
    "proj_licence": {"en": "Licence", "zh": "许可编号"},
    "proj_product": {"en": "Product", "zh": "产品"},
    "proj_seats": {"en": "Seats", "zh": "席位"},
    "proj_licence_live": {"en": "live", "zh": "生效中"},
    "proj_licence_ended": {"en": "ended", "zh": "已到期"},
    "proj_licence_later": {"en": "not started", "zh": "未开始"},
    "proj_latest_usage": {"en": "Active users (latest usage)", "zh": "活跃用户（最近一次使用记录）"},
    "proj_usage_after": {"en": "after the date", "zh": "晚于当日"},
    "proj_no_licences": {"en": "No licence: the source lists none for this project.",
                         "zh": "无许可：源系统中该项目没有许可。"},
    "proj_usage_chart": {"en": "Active users and live seats at every published date; below, the seat utilisation",
                         "zh": "各发布日期的活跃用户与在用席位；下方为席位利用率"},
    "proj_no_usage": {"en": "No seat live and no active user at any published date: no usage to draw.",
                      "zh": "所有发布日期都没有在用席位和活跃用户，无使用情况可绘。"},
    "proj_deal_title": {"en": "Deal and sales cycle", "zh": "商机与销售周期"},
    "proj_deal_won": {"en": "Deal {deal}, won: its sales cycle (created → won) was {days} days.",
                      "zh": "商机 {deal} 已赢单：销售周期（创建 → 赢单）为 {days} 天。"},
    "proj_deal_open": {"en": "Deal {deal} is not won by {date} (or not a valid deal): no contract value and no sales "
                             "cycle yet.",
                       "zh": "商机 {deal} 截至 {date} 尚未赢单（或不是有效商机）：还没有合同金额和销售周期。"},
    "proj_no_deal": {"en": "No deal: the project names none.", "zh": "无商机：该项目没有关联商机。"},
    "proj_sales_cycle": {"en": "Sales cycle (days)", "zh": "销售周期（天）"},
    "proj_contract_value": {"en": "Contract value", "zh": "合同金额"},
    "proj_margin": {"en": "Margin to date", "zh": "至今毛利"},
    "proj_margin_pct": {"en": "Margin to date %", "zh": "至今毛利率"},
    "proj_voice": {"en": "What the customer said", "zh": "客户怎么说"},
    "proj_nps": {"en": "NPS (180 d) at {date}: {nps} over {n} customer responses.",
                 "zh": "截至 {date} 的 NPS（180天）：{nps}，共 {n} 条客户回复。"},
    "proj_no_nps": {"en": "No customer response in the 180 days to {date}: no NPS.",
                    "zh": "截至 {date} 的 180 天内没有客户回复，无 NPS。"},
    "proj_voice_note": {"en": "Every response about this project submitted by the date, newest first, comments in full: "
                              "the words matter more than the score. The NPS counts the customer's responses only; "
                              "partners and the team are listed too. Score: 9–10 promoter, 7–8 passive, 0–6 detractor.",
                        "zh": "截至当日关于该项目的全部回复，最新的在前，评论全文照录：文字比分数更重要。"
                              "NPS 只计客户的回复；合作伙伴与团队的回复也一并列出。"
                              "评分：9–10 推荐者，7–8 中立者，0–6 贬损者。"},
    "proj_responses": {"en": "Responses", "zh": "回复"},
    "proj_responses_note": {"en": "{n} responses: {promoters} promoters, {passives} passives, {detractors} detractors.",
                            "zh": "共 {n} 条回复：推荐者 {promoters}，中立者 {passives}，贬损者 {detractors}。"},
    "proj_no_responses": {"en": "No response about this project submitted by {date}.",
                          "zh": "截至 {date} 没有关于该项目的回复。"},
    "proj_respondent": {"en": "Respondent", "zh": "回复人"},
    "proj_respondent_customer": {"en": "Customer", "zh": "客户"},
    "proj_respondent_partner": {"en": "Partner", "zh": "合作伙伴"},
    "proj_score": {"en": "Score", "zh": "评分"},
    "proj_comment": {"en": "Comment", "zh": "评论"},
    "proj_promoter": {"en": "promoter", "zh": "推荐者"},
    "proj_passive": {"en": "passive", "zh": "中立者"},
    "proj_detractor": {"en": "detractor", "zh": "贬损者"},
    "proj_scores_chart": {"en": "Every response's score by its date", "zh": "各回复的评分（按日期）"},
    "proj_notes": {"en": "Notes and decisions", "zh": "记录与决定"},
    "proj_notes_note": {"en": "What the review noted and decided about this project (review_notes whose subject is "
                              "{project}), noted by the date: open follow-ups first (overdue first), then the rest, "
                              "newest first.",
                        "zh": "复盘会关于该项目的记录与决定（subject 为 {project} 的 review_notes），截至当日："
                              "未关闭的跟进事项在前（逾期的最前），其余按日期从新到旧。"},
    "proj_no_notes": {"en": "No review note about this project by {date}.", "zh": "截至 {date} 没有关于该项目的复盘记录。"},
    "proj_follow_up": {"en": "Follow-up", "zh": "跟进状态"},
    "proj_open_due": {"en": "open, due {date}", "zh": "未关闭，{date} 到期"},
    "proj_closed_on": {"en": "closed on {date}", "zh": "{date} 已关闭"},
    "proj_table_absent": {"en": "{what}: no data, the warehouse has no table {table} (a version before the project pages; "
                                "the next run creates and fills it).",
                          "zh": "{what}：无数据，数仓中没有 {table} 表（项目专项页之前的版本；下一次运行会创建并填充）。"},
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


# decimals each unit is written with (ratios as percentages, in percentage points for a change)
DECIMALS = {"ratio": 1, "money": 0, "count": 0, "nps": 1, "score": 2, "days": 1, "hours": 1}


def _shown(x: float, unit: str) -> float:
    """The number as written, rounded: its sign is the written number's (−0.4 people is 0, not −0)."""
    shown = round(100 * x if unit == "ratio" else x, DECIMALS.get(unit, 1))
    return shown + 0.0  # -0.0 + 0.0 is 0.0


def fmt_value(v: object, unit: str, currency: str) -> str:
    """A figure as the page writes it: money with its currency, ratios as percentages."""
    if missing(v):
        return "–"
    x = _shown(float(v), unit)  # type: ignore[arg-type]
    if unit == "ratio":
        return f"{x:.1f}%"
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
    """A change, signed by what is written: ratios in percentage points."""
    if missing(v):
        return "–"
    x = _shown(float(v), unit)  # type: ignore[arg-type]
    sign = "+" if x > 0 else "−" if x < 0 else "±"
    if unit == "ratio":
        return f"{sign}{abs(x):.1f} {'个百分点' if lang == 'zh' else 'pp'}"
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


def fmt_share(v: object) -> str:
    """A share of something (a value against its target): 97%."""
    return "–" if missing(v) or math.isinf(float(v)) else f"{100 * float(v):,.0f}%"  # type: ignore[arg-type]


def fmt_pct(v: object) -> str:
    if missing(v) or math.isinf(float(v)):  # type: ignore[arg-type]
        return "–"
    x = float(v)  # type: ignore[arg-type]
    return f"{'+' if x > 0 else '−' if x < 0 else '±'}{abs(100 * x):.1f}%"
