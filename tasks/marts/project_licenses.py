"""project_licenses: every valid licence with the active users of its latest usage row, for the
project pages (not a table of METRICS.md; the users over time are project_daily's)."""
from __future__ import annotations

import pandas as pd

from schemas.tables import PROJECT_LICENSES
from tasks.marts.calendar import NEVER, dates_of
from tasks.marts.facts import Facts


def project_licenses(facts: Facts) -> pd.DataFrame:
    lic, usage = facts.licenses, facts.usage
    latest = usage.sort_values(["license_id", "day"]).drop_duplicates("license_id", keep="last").set_index("license_id")
    day = lic["license_id"].map(latest["day"]).fillna(NEVER).astype("int64")
    out = pd.DataFrame({
        "license_id": lic["license_id"], "project_id": lic["project_id"], "product": lic["product"],
        "seats": lic["seats"].astype("int64"), "start_date": dates_of(lic["start_day"]),
        "end_date": dates_of(lic["end_day"]),
        "active_users_latest": lic["license_id"].map(latest["active_users"]).astype("Int64"),
        "latest_usage_date": dates_of(day),
    })
    return out.sort_values("license_id", ignore_index=True)[PROJECT_LICENSES.names]
