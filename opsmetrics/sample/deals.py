"""Deals: new business from converted leads and sales' own prospecting,
expansions of existing customers, and yearly renewals of won deals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .timeline import DAY, NAT_S, Timeline, at_time, hours, lognormal_clipped

# deal_type: (median cycle days, sigma, min, max, P(won) when closed)
_CYCLE = {"new": (55, 0.6, 7, 270, 0.19), "expansion": (40, 0.6, 5, 200, 0.45),
          "renewal": (21, 0.5, 3, 90, 0.72)}
_CHANNEL_WIN = {"referral": 0.08, "partner": 0.08, "event": 0.03, "paid_ads": -0.05, "other": -0.05}


def make_deals(rng: np.random.Generator, tl: Timeline, accounts: pd.DataFrame,
               leads: pd.DataFrame, direct_share: float = 0.65) -> pd.DataFrame:
    acc = accounts.set_index("account_id")
    base = pd.concat([_from_leads(rng, tl, leads), _direct(rng, tl, accounts, direct_share, leads)],
                     ignore_index=True)
    base["deal_type"] = "new"
    base["is_key_account"] = acc.loc[base["account_id"], "is_key_account"].to_numpy()
    _decide(rng, tl, base)
    # A customer's later deals are expansions, not new business.
    first_won = base[base["stage"] == "won"].groupby("account_id")["closed_at"].min()
    won_before = first_won.reindex(base["account_id"]).to_numpy(dtype="datetime64[s]")
    later = ~np.isnat(won_before) & (base["created_at"].to_numpy() > won_before)
    base.loc[later, "deal_type"] = "expansion"
    _decide(rng, tl, base, later)
    deals = pd.concat([base, _expansions(rng, tl, first_won, acc)], ignore_index=True)
    size = acc.loc[deals["account_id"], "size"].to_numpy()
    mult = np.where(deals["deal_type"] == "expansion", 0.45, 1.0) * size ** 0.35
    deals["amount"] = np.round(lognormal_clipped(rng, 300_000, 0.8, len(deals), 25_000, 1.5e6)
                               * np.clip(mult, 0.3, 1.6), -2)
    deals = pd.concat([deals, _renewals(rng, tl, deals, acc)], ignore_index=True)
    return _finish(rng, tl, deals, acc)


def _from_leads(rng, tl, leads):
    conv = leads[leads["converted_at"].notna()]
    created = np.minimum(conv["converted_at"].to_numpy() + hours(rng.uniform(0, 72, len(conv))), tl.cap)
    return pd.DataFrame({"lead_id": conv["lead_id"].to_numpy(), "account_id": conv["_account_id"].to_numpy(),
                         "created_at": created, "_channel": conv["channel"].to_numpy()})


def _direct(rng, tl, accounts, share, leads):
    """Deals sales found without a lead (outbound calls, existing contacts)."""
    n = int(round(share * leads["converted_at"].notna().sum()))
    w = accounts["size"].to_numpy()
    created = np.minimum(at_time(rng, tl.sample_days(rng, n, growth=0.5, weekend=0.05)), tl.cap)
    return pd.DataFrame({"lead_id": "", "account_id": accounts["account_id"].to_numpy()[
        rng.choice(len(accounts), size=n, p=w / w.sum())], "created_at": created, "_channel": ""})


def _decide(rng, tl, d, mask=None):
    """Draw each deal's close instant and outcome; deals whose close lies
    beyond the cap are still open, at a stage matching their progress."""
    idx = np.flatnonzero(np.ones(len(d), bool) if mask is None else mask)
    dtype = d["deal_type"].to_numpy()[idx]
    created = d["created_at"].to_numpy()[idx]
    params = np.array([_CYCLE[t] for t in dtype], dtype=float).reshape(-1, 5)
    cycle = np.exp(rng.normal(np.log(params[:, 0]), params[:, 1])).clip(params[:, 2], params[:, 3])
    close = created + hours(cycle * 24 + rng.normal(0, 3, len(idx)))
    close = np.maximum(close, created)
    p_win = params[:, 4] + pd.Series(d["_channel"].to_numpy()[idx]).map(_CHANNEL_WIN).fillna(0).to_numpy()
    p_win = np.where(d["is_key_account"].to_numpy()[idx], p_win * 1.1, p_win)
    closed = close <= tl.cap
    won = closed & (rng.random(len(idx)) < p_win)
    progress = (tl.cap - created) / np.maximum(close - created, np.timedelta64(1, "s"))
    open_stage = np.select([progress < 0.35, progress < 0.7], ["discovery", "proposal"], "negotiation")
    stage = np.where(won, "won", np.where(closed, "lost", open_stage))
    if "stage" not in d:
        d["stage"], d["closed_at"] = "", np.full(len(d), NAT_S)
    d.loc[d.index[idx], "stage"] = stage
    d.loc[d.index[idx], "closed_at"] = np.where(closed, close, NAT_S)


def _expansions(rng, tl, first_won, acc):
    """Some customers buy more 3-18 months after their first win, without a lead."""
    pick = first_won[rng.random(len(first_won)) < 0.5]
    created = pick.to_numpy() + hours(rng.uniform(90, 540, len(pick)) * 24)
    keep = created <= tl.cap
    d = pd.DataFrame({"lead_id": "", "account_id": pick.index[keep], "created_at": created[keep],
                      "_channel": "", "deal_type": "expansion"})
    d["is_key_account"] = acc.loc[d["account_id"], "is_key_account"].to_numpy()
    _decide(rng, tl, d)
    return d


def _renewals(rng, tl, deals, acc):
    """Subscriptions renew yearly: a renewal deal opens 3-9 weeks before the
    anniversary of each won deal; renewals of renewals keep the amount."""
    out, parents = [], deals[deals["stage"] == "won"]
    while len(parents):
        parents = parents[rng.random(len(parents)) < 0.9]
        created = parents["closed_at"].to_numpy() + (365 - rng.integers(20, 63, len(parents))) * DAY
        keep = created <= tl.cap
        p = parents[keep]
        factor = np.where(p["deal_type"] == "renewal", rng.uniform(0.95, 1.12, len(p)),
                          rng.uniform(0.2, 0.35, len(p)))
        r = pd.DataFrame({"lead_id": "", "account_id": p["account_id"].to_numpy(),
                          "created_at": created[keep], "_channel": "", "deal_type": "renewal",
                          "amount": np.round(np.maximum(p["amount"].to_numpy() * factor, 5000), -2)})
        r["is_key_account"] = acc.loc[r["account_id"], "is_key_account"].to_numpy()
        _decide(rng, tl, r)
        out.append(r)
        parents = r[r["stage"] == "won"]
    return pd.concat(out, ignore_index=True) if out else None


def _finish(rng, tl, d, acc):
    d = d.sort_values("created_at", kind="stable").reset_index(drop=True)
    n = len(d)
    created, closed = d["created_at"].to_numpy(), d["closed_at"].to_numpy()
    # Closed deals are touched shortly after closing; open ones any time since creation.
    open_touch = created + (tl.cap - created) * rng.random(n) ** 2
    updated = np.where(np.isnat(closed), open_touch, closed + hours(rng.exponential(48, n)))
    d["updated_at"] = np.minimum(updated, tl.cap).astype("datetime64[s]")
    d["deal_id"] = np.char.add("D-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    a = acc.loc[d["account_id"]]
    for col in ("account_name", "industry", "region", "owner"):
        d[col] = a[col].to_numpy()
    return d
