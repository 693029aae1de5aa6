"""How the weekly review pack shows each portfolio metric: which way is good for the business,
its label and unit in English and Chinese, and the area of the business it belongs to; and the
labels of the contract's values (channels, roles, phases, entities, project health) the pack
shows in its tables and legends.

Declared once here, beside the tables they describe (schemas/tables.py: portfolio_daily); a test
checks that every column of portfolio_daily is declared and every value of the contract labelled.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower", "neutral"]  # higher is better, lower is better, neither
Unit = Literal["count", "money", "ratio", "days", "hours", "nps", "score"]
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class ReviewMetric:
    name: str  # the column of portfolio_daily
    direction: Direction
    unit: Unit
    area: str  # a key of AREAS
    en: str
    zh: str
    # a weekly flow's longer window, whose month-end values its 6-12 chart draws beside its weeks
    # (a week's flow at a month-end is not the month); "": the metric's own month-end values
    monthly: str = ""

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


# the areas, in the order the headline table shows them
AREAS: dict[str, dict[str, str]] = {
    "sales": {"en": "Marketing and sales", "zh": "市场与销售"},
    "customers": {"en": "Customers", "zh": "客户"},
    "delivery": {"en": "Delivery", "zh": "交付"},
    "cost": {"en": "Effort and cost", "zh": "工时与成本"},
    "voice": {"en": "Customer voice", "zh": "客户之声"},
}

# a money unit is the reporting currency's code, in both languages
UNITS: dict[str, dict[str, str]] = {
    "count": {"en": "count", "zh": "个"},
    "ratio": {"en": "%", "zh": "%"},
    "days": {"en": "days", "zh": "天"},
    "hours": {"en": "hours", "zh": "小时"},
    "nps": {"en": "NPS points", "zh": "NPS 分"},
    "score": {"en": "score 0–10", "zh": "分（0–10）"},
}

DIRECTIONS: dict[str, dict[str, str]] = {
    "higher": {"en": "higher is better", "zh": "越高越好"},
    "lower": {"en": "lower is better", "zh": "越低越好"},
    "neutral": {"en": "neutral", "zh": "中性"},
}

_M = ReviewMetric
METRICS: dict[str, ReviewMetric] = {m.name: m for m in (
    _M("leads_created_7d", "higher", "count", "sales", "Leads created (7 d)", "新线索（7天）", "leads_created_30d"),
    _M("leads_created_30d", "higher", "count", "sales", "Leads created (30 d)", "新线索（30天）"),
    _M("leads_qualified_7d", "higher", "count", "sales", "Leads qualified (7 d)", "合格线索（7天）",
       "leads_qualified_30d"),
    _M("leads_qualified_30d", "higher", "count", "sales", "Leads qualified (30 d)", "合格线索（30天）"),
    _M("lead_qualification_rate_90d", "higher", "ratio", "sales", "Lead qualification rate (90 d)",
       "线索合格率（90天）"),
    _M("lead_conversion_rate_90d", "higher", "ratio", "sales", "Lead conversion rate (90 d)", "线索转化率（90天）"),
    _M("deals_created_7d", "higher", "count", "sales", "Deals created (7 d)", "新建商机（7天）", "deals_created_30d"),
    _M("deals_created_30d", "higher", "count", "sales", "Deals created (30 d)", "新建商机（30天）"),
    _M("open_pipeline_count", "higher", "count", "sales", "Open pipeline (deals)", "在途商机数"),
    _M("open_pipeline_amount", "higher", "money", "sales", "Open pipeline amount", "在途商机金额"),
    _M("deals_won_7d", "higher", "count", "sales", "Deals won (7 d)", "赢单数（7天）", "deals_won_30d"),
    _M("deals_won_30d", "higher", "count", "sales", "Deals won (30 d)", "赢单数（30天）"),
    _M("bookings_7d", "higher", "money", "sales", "Bookings (7 d)", "签约额（7天）", "bookings_30d"),
    _M("bookings_30d", "higher", "money", "sales", "Bookings (30 d)", "签约额（30天）"),
    _M("win_rate_90d", "higher", "ratio", "sales", "Win rate (90 d)", "赢单率（90天）"),
    _M("avg_sales_cycle_days_90d", "lower", "days", "sales", "Mean sales cycle (90 d)", "平均销售周期（90天）"),
    _M("median_sales_cycle_days_90d", "lower", "days", "sales", "Median sales cycle (90 d)", "销售周期中位数（90天）"),
    _M("marketing_spend_7d", "neutral", "money", "sales", "Marketing spend (7 d)", "市场投入（7天）",
       "marketing_spend_30d"),
    _M("marketing_spend_30d", "neutral", "money", "sales", "Marketing spend (30 d)", "市场投入（30天）"),
    _M("new_customers_7d", "higher", "count", "customers", "New customers (7 d)", "新客户（7天）",
       "new_customers_30d"),
    _M("new_customers_30d", "higher", "count", "customers", "New customers (30 d)", "新客户（30天）"),
    _M("cac_30d", "lower", "money", "customers", "Customer acquisition cost (30 d)", "获客成本（30天）"),
    _M("customers_total", "higher", "count", "customers", "Customers", "客户总数"),
    _M("key_accounts_total", "higher", "count", "customers", "Key accounts", "重点客户数"),
    _M("renewal_rate_90d", "higher", "ratio", "customers", "Renewal rate (90 d)", "续约率（90天）"),
    _M("active_projects", "neutral", "count", "delivery", "Active projects", "进行中项目"),
    _M("projects_delivered_7d", "higher", "count", "delivery", "Projects delivered (7 d)", "已交付项目（7天）",
       "projects_delivered_90d"),
    _M("projects_delivered_90d", "higher", "count", "delivery", "Projects delivered (90 d)", "已交付项目（90天）"),
    _M("on_time_delivery_rate_90d", "higher", "ratio", "delivery", "On-time delivery rate (90 d)",
       "按期交付率（90天）"),
    _M("milestones_overdue", "lower", "count", "delivery", "Overdue milestones", "逾期里程碑"),
    _M("delivered_margin_pct_90d", "higher", "ratio", "delivery", "Delivered margin (90 d)", "已交付项目毛利率（90天）"),
    _M("hours_7d", "neutral", "hours", "cost", "Hours logged (7 d)", "工时（7天）", "hours_30d"),
    _M("hours_30d", "neutral", "hours", "cost", "Hours logged (30 d)", "工时（30天）"),
    _M("labour_cost_7d", "neutral", "money", "cost", "Labour cost (7 d)", "人工成本（7天）", "labour_cost_30d"),
    _M("labour_cost_30d", "neutral", "money", "cost", "Labour cost (30 d)", "人工成本（30天）"),
    _M("expenses_7d", "lower", "money", "cost", "Expenses (7 d)", "项目费用（7天）", "expenses_30d"),
    _M("expenses_30d", "lower", "money", "cost", "Expenses (30 d)", "项目费用（30天）"),
    _M("feedback_responses_7d", "higher", "count", "voice", "Customer responses (7 d)", "客户反馈数（7天）",
       "feedback_responses_90d"),
    _M("feedback_responses_90d", "higher", "count", "voice", "Customer responses (90 d)", "客户反馈数（90天）"),
    _M("nps_90d", "higher", "nps", "voice", "Customer NPS (90 d)", "客户 NPS（90天）"),
    _M("team_score_avg_90d", "higher", "score", "voice", "Team score (90 d)", "团队平均评分（90天）"),
)}


# the longer windows drawn as the months of a weekly flow's chart, not in a chart of their own
MONTHLY_OF_WEEKLY = frozenset(m.monthly for m in METRICS.values() if m.monthly)


def review_metric(name: str) -> ReviewMetric:
    """The declaration of a portfolio metric; a column not declared yet is shown under its own
    name, neutral, in the last area (the pack never fails on a new column)."""
    return METRICS.get(name) or ReviewMetric(name, "neutral", "count", "voice", name, name)


# the values of the contract (schemas/sources.py) as the pack shows them
CHANNELS: dict[str, dict[str, str]] = {
    "website": {"en": "Website", "zh": "官网"},
    "paid_ads": {"en": "Paid ads", "zh": "付费广告"},
    "content": {"en": "Content", "zh": "内容营销"},
    "event": {"en": "Events", "zh": "活动"},
    "partner": {"en": "Partners", "zh": "合作伙伴"},
    "outbound": {"en": "Outbound", "zh": "外呼拓客"},
    "referral": {"en": "Referrals", "zh": "转介绍"},
    "other": {"en": "Other", "zh": "其他"},
}
ROLES: dict[str, dict[str, str]] = {
    "sales": {"en": "Sales", "zh": "销售"},
    "presales": {"en": "Presales", "zh": "售前"},
    "project_manager": {"en": "Project manager", "zh": "项目经理"},
    "engineer": {"en": "Engineer", "zh": "工程师"},
    "consultant": {"en": "Consultant", "zh": "顾问"},
    "operations": {"en": "Operations", "zh": "运营"},
    "customer_success": {"en": "Customer success", "zh": "客户成功"},
}
PHASES: dict[str, dict[str, str]] = {
    "presales": {"en": "Presales", "zh": "售前"},
    "implementation": {"en": "Implementation", "zh": "实施"},
    "acceptance": {"en": "Acceptance", "zh": "验收"},
    "after_sales": {"en": "After-sales", "zh": "售后"},
}
ENTITIES: dict[str, dict[str, str]] = {
    "leads": {"en": "Leads", "zh": "线索"},
    "deals": {"en": "Deals", "zh": "商机"},
    "marketing_spend": {"en": "Marketing spend", "zh": "市场投入"},
    "projects": {"en": "Projects", "zh": "项目"},
    "milestones": {"en": "Milestones", "zh": "里程碑"},
    "licenses": {"en": "Licences", "zh": "许可"},
    "usage": {"en": "Usage", "zh": "使用情况"},
    "rate_card": {"en": "Rate card", "zh": "费率表"},
    "time_entries": {"en": "Time entries", "zh": "工时记录"},
    "expenses": {"en": "Expenses", "zh": "费用"},
    "feedback": {"en": "Feedback", "zh": "反馈"},
    "targets": {"en": "Targets", "zh": "目标"},
    "review_notes": {"en": "Review notes", "zh": "复盘记录"},
}
HEALTH: dict[str, dict[str, str]] = {
    "red": {"en": "Red", "zh": "红"},
    "amber": {"en": "Amber", "zh": "黄"},
    "green": {"en": "Green", "zh": "绿"},
}
FUNNEL_STAGES: dict[str, dict[str, str]] = {
    "leads_90d": {"en": "Leads", "zh": "线索"},
    "qualified_90d": {"en": "Qualified", "zh": "合格"},
    "converted_90d": {"en": "Converted", "zh": "转化"},
    "won_90d": {"en": "Won", "zh": "赢单"},
}


def value_label(labels: dict[str, dict[str, str]], value: object, lang: str) -> str:
    """A contract value as the pack shows it; one the contract does not know, as it is."""
    found = labels.get(str(value))
    return found[lang] if found else str(value)
