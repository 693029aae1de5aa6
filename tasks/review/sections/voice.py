""""Customer voice": the NPS trend, the responses, the team score, the projects customers are unhappy with."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from tasks.review.sections.common import Context, Section, esc, para, table, when
from tasks.review.sections.headline import metric_table, six_twelve
from tasks.review.text import fmt_value, missing

VOICE_METRICS = ("feedback_responses_7d", "feedback_responses_90d", "nps_90d", "team_score_avg_90d")


def customer_responses_180d(portfolio: pd.DataFrame, as_of: dt.date) -> float:
    """Customer responses in the 180 days to `as_of`: those of the 90 days to D and to D − 90 (W90(D)
    and W90(D − 90) are W180(D)); the first alone when D − 90 is not published."""
    by_date = portfolio.set_index("as_of_date")["feedback_responses_90d"] if "feedback_responses_90d" in portfolio \
        else pd.Series(dtype="float64")
    return float(sum(by_date.get(pd.Timestamp(day), 0) or 0 for day in (as_of, as_of - dt.timedelta(days=90))
                     if not missing(by_date.get(pd.Timestamp(day)))))


def project_nps(projects: pd.DataFrame, min_responses: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The projects of project_daily at D with customer responses in the 180 days: (judged, too few).
    Judged: at least `min_responses` answers and a negative nps_180d, lowest NPS first, then the
    most responses, then by project id (one or two answers at −100 are an anecdote, not a verdict).
    Too few: every project with fewer answers, most answers first."""
    if projects.empty or "nps_180d" not in projects:
        return projects.iloc[0:0], projects.iloc[0:0]
    p = projects.assign(nps_180d=pd.to_numeric(projects["nps_180d"], errors="coerce"),
                        feedback_responses_180d=pd.to_numeric(projects["feedback_responses_180d"], errors="coerce"))
    answered = p[p["feedback_responses_180d"] > 0]
    enough = answered["feedback_responses_180d"] >= min_responses
    judged = answered[enough & (answered["nps_180d"] < 0)].sort_values(
        ["nps_180d", "feedback_responses_180d", "project_id"], ascending=[True, False, True], kind="stable",
        ignore_index=True)
    few = answered[~enough].sort_values(["feedback_responses_180d", "project_id"], ascending=[False, True],
                                        kind="stable", ignore_index=True)
    return judged, few


def customer_voice(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    parts = [para(w("voice_note"))]
    names = [n for n in VOICE_METRICS if n in d.portfolio.columns]
    if names:
        parts.append(metric_table(ctx, names))
    with_responses = (d.projects[pd.to_numeric(d.projects["feedback_responses_180d"], errors="coerce") > 0]
                      if not d.projects.empty and "feedback_responses_180d" in d.projects else d.projects.iloc[0:0])
    if customer_responses_180d(d.portfolio, d.as_of) == 0 and with_responses.empty:
        return Section("voice", w("voice"), "".join(parts) + para(w("no_voice")))
    # the NPS of the 90 days, weekly and at month-ends, on an axis that fits its values
    parts.append(six_twelve(ctx, ["nps_90d"], "voice-nps") or para(w("no_nps_trend")))
    parts.append(f"<h3>{esc(w('negative_projects', date=when(d.as_of), min=ctx.min_responses))}</h3>")
    judged, few = project_nps(d.projects, ctx.min_responses)
    names_of = ctx.names
    if with_responses.empty:
        parts.append(para(w("no_project_responses")))
    elif judged.empty:
        parts.append(para(w("no_negative_projects", n=len(with_responses) - len(few), min=ctx.min_responses),
                          "calm"))
    else:
        parts.append(table([w("project"), w("account"), w("responses_180d"), w("nps_180d")], [
            [names_of.project(r.project_id), names_of.account(r.account_id),
             fmt_value(r.feedback_responses_180d, "count", ctx.currency), fmt_value(r.nps_180d, "nps", ctx.currency)]
            for r in judged.itertuples()], "compact", numeric=(2, 3)))
    if not few.empty:
        parts.append(f"<details><summary>{esc(w('too_few_answers', n=len(few), min=ctx.min_responses))}</summary>"
                     + table([w("project"), w("account"), w("responses_180d")], [
                         [names_of.project(r.project_id), names_of.account(r.account_id),
                          fmt_value(r.feedback_responses_180d, "count", ctx.currency)] for r in few.itertuples()],
                         "compact", numeric=(2,)) + "</details>")
    return Section("voice", w("voice"), "".join(parts))
