""""Delivery": the active projects, red and amber first, each with its budget burn beside the share
of its schedule that has passed (burn alone has nothing to be compared with)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from schemas.review import HEALTH
from tasks.review import charts
from tasks.review.paths import project_href
from tasks.review.sections.common import Context, Raw, Section, esc, para, table, when
from tasks.review.text import fmt_change, fmt_value, missing

HEALTH_RANK = {"red": 0, "amber": 1, "green": 2}


def schedule_elapsed(projects: pd.DataFrame, directory: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """The share of each project's schedule (start → planned end) passed at D, from 0 to 1: past the
    planned end it stays 1 (how far past is the slip). A project planned to end on its start day has
    all of it passed once started; without dates in project_directory, null."""
    dates = directory.set_index("project_id")[["start_date", "planned_end_date"]] if not directory.empty else \
        pd.DataFrame(columns=["start_date", "planned_end_date"])
    start = pd.to_datetime(projects["project_id"].map(dates["start_date"]))
    end = pd.to_datetime(projects["project_id"].map(dates["planned_end_date"]))
    passed = (pd.Timestamp(as_of) - start).dt.days.astype("float64")
    length = (end - start).dt.days.astype("float64")
    share = passed / length.where(length > 0)
    share = share.where(length > 0, (passed >= 0).astype("float64").where(length.notna()))
    return share.clip(0, 1)


def delivery(ctx: Context) -> Section:
    w, d = ctx.words, ctx.data
    active = d.projects[d.projects["state"] == "active"].copy() if not d.projects.empty else d.projects
    if active.empty:
        return Section("delivery", w("delivery"), para(w("no_data")))
    colour = {h: v[ctx.lang] for h, v in HEALTH.items()}
    before = (d.projects_week_ago[d.projects_week_ago["state"] == "active"].set_index("project_id")["health"]
              if not d.projects_week_ago.empty else None)
    active["rank"] = active["health"].map(HEALTH_RANK).fillna(3)
    active["elapsed"] = schedule_elapsed(active, d.directory, d.as_of)
    active = active.sort_values(["rank", "schedule_slip_days", "cost_variance"], ascending=[True, False, False],
                                kind="stable")
    parts = [para(w("delivery_note", date=when(d.as_of), week_ago=when(d.week_ago))), para(w("delivery_terms"))]
    if before is None:
        parts.append(para(w("no_week_ago", date=when(d.week_ago))))
    periods = [w("week_ago"), w("now")]
    counts = []
    for period, frame in ((periods[0], d.projects_week_ago), (periods[1], d.projects)):
        if frame.empty:
            continue
        c = frame[frame["state"] == "active"]["health"].value_counts()
        counts += [{"period": period, "health": colour[h], "projects": int(c.get(h, 0)), "rank": HEALTH_RANK[h]}
                   for h in HEALTH]
    parts.append(ctx.chart("health", charts.health_chart(pd.DataFrame(counts), periods=periods,
                                                         colours=list(colour.values()),
                                                         words=ctx.chart_words("projects", "health")),
                           w("health_chart")))
    burn = active.assign(burn=active["budget_burn"].astype("float64") * 100, elapsed=active["elapsed"] * 100,
                         health=active["health"].map(colour).fillna("–"),
                         project=[ctx.names.project_text(p) for p in active["project_id"]])
    plotted = burn[["project", "health", "burn", "elapsed", "cost_variance", "schedule_slip_days",
                    "milestones_overdue"]].dropna(subset=["burn", "elapsed"])
    left_out, burn = len(burn) - len(plotted), plotted
    if not burn.empty:  # projects without a budget or dates have no point to plot
        parts.append(ctx.chart("burn", charts.burn_chart(
            burn, colours=list(colour.values()), currency=ctx.currency,
            words=ctx.chart_words("budget_burn", "elapsed", "slip", "health", "project", "cost_variance", "overdue")),
            w("burn_chart")))
    if left_out:
        parts.append(para(w("not_plotted", n=left_out)))

    def row(r) -> list[object]:
        was = None if before is None else before.get(r.project_id)
        changed = before is not None and (was is None or was != r.health)
        marker = ""
        if changed:
            text = w("new_project") if was is None or missing(was) else w("was", colour=colour.get(was, was))
            marker = f' <span class="changed">◆ {esc(text)}</span>'
        chip = f'<span class="chip {esc(r.health)}"></span>{esc(colour.get(r.health, r.health))}'
        name = ctx.names.project(r.project_id)
        if r.health in ("red", "amber"):  # its page, written beside the pack (tasks/review/project/)
            name = f'<a class="project-page" href="{esc(project_href(r.project_id, d.as_of, ctx.lang))}">{name}</a>'
        return [Raw(name + marker), ctx.names.account(r.account_id), Raw(chip),
                fmt_value(r.budget_burn, "ratio", ctx.currency), fmt_value(r.elapsed, "ratio", ctx.currency),
                fmt_change(r.cost_variance, "money", ctx.currency, ctx.lang),
                fmt_value(r.schedule_slip_days, "count", ctx.currency),
                fmt_value(r.milestones_overdue, "count", ctx.currency)]

    headers = [w("project"), w("account"), w("health"), w("budget_burn"), w("elapsed"), w("cost_variance"), w("slip"),
               w("overdue")]
    urgent = active[active["health"].isin(["red", "amber"])]
    green = active[~active["health"].isin(["red", "amber"])]
    parts.append(table(headers, [row(r) for r in urgent.itertuples()], "projects",
                       [str(h) for h in urgent["health"]], numeric=(3, 4, 5, 6, 7)))
    if not green.empty:
        parts.append(f"<details><summary>{esc(w('green_projects', n=len(green)))}</summary>"
                     + table(headers, [row(r) for r in green.itertuples()], "projects",
                             [str(h) for h in green["health"]], numeric=(3, 4, 5, 6, 7)) + "</details>")
    return Section("delivery", w("delivery"), "".join(parts))
