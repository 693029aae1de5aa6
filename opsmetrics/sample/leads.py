"""Leads: who showed interest, through which channel, and how far they got."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .campaigns import lead_campaigns
from .schema import CHANNELS
from .timeline import NAT_S, Timeline, at_time, hours, lognormal_clipped

# channel: (share of leads, P(qualified), P(converted | qualified)). Referrals
# and partners are few but good; paid ads and "other" bring volume, not quality.
CHANNEL_MIX = {
    "website": (0.28, 0.25, 0.30), "paid_ads": (0.18, 0.20, 0.28),
    "content": (0.14, 0.22, 0.30), "event": (0.10, 0.40, 0.35),
    "partner": (0.07, 0.45, 0.40), "outbound": (0.12, 0.30, 0.30),
    "referral": (0.06, 0.55, 0.45), "other": (0.05, 0.15, 0.25),
}
assert tuple(CHANNEL_MIX) == CHANNELS


def make_leads(rng: np.random.Generator, tl: Timeline, accounts: pd.DataFrame, n: int,
               r_campaign: np.random.Generator) -> pd.DataFrame:
    """`r_campaign` draws the campaigns (campaigns.py), so the rest of the leads does not depend on them."""
    created = np.minimum(at_time(rng, tl.sample_days(rng, n, growth=0.6)), tl.cap)
    created.sort()
    mix = np.array(list(CHANNEL_MIX.values()))
    ch = rng.choice(len(CHANNELS), size=n, p=mix[:, 0])
    qualified = _later(rng, created, mix[ch, 1], median_days=6, max_days=60, cap=tl.cap)
    converted = _later(rng, qualified, mix[ch, 2], median_days=12, max_days=90, cap=tl.cap)
    # Big companies generate more leads than small ones.
    w = np.sqrt(accounts["size"].to_numpy())
    acc = accounts.iloc[rng.choice(len(accounts), size=n, p=w / w.sum())]
    last = np.fmax(np.fmax(created, qualified), converted)
    updated = np.minimum(last + hours(rng.exponential(36.0, n)), tl.cap)
    industry = np.where(rng.random(n) < 0.02, "", acc["industry"].to_numpy())
    region = np.where(rng.random(n) < 0.02, "", acc["region"].to_numpy())
    return pd.DataFrame({
        "lead_id": np.char.add("LD-", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "created_at": created, "updated_at": updated, "channel": np.array(CHANNELS)[ch],
        "company": acc["account_name"].to_numpy(), "industry": industry, "region": region,
        "qualified_at": qualified, "converted_at": converted,
        "campaign": lead_campaigns(r_campaign, np.array(CHANNELS)[ch], ~np.isnat(converted)),
        "_account_id": acc["account_id"].to_numpy(),
    })


def _later(rng, base, p, median_days, max_days, cap):
    """With probability p (and only if base happened), an instant some days
    after base; NaT when it has not happened by the cap."""
    n = len(base)
    delay = lognormal_clipped(rng, median_days * 24, 0.9, n, 2.0, max_days * 24)
    t = base + hours(delay)
    hit = (rng.random(n) < p) & ~np.isnat(base) & (t <= cap)
    return np.where(hit, t, NAT_S)
