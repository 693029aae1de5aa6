"""Campaigns: the operating actions behind the leads and the spend of each channel.

Each channel has a handful of named campaigns. Some bring leads and get spend, some only get spend
(tooling, retargeting: no lead names them), some bring leads without spend of their own (a free
trial, cold sequences). Many leads name no campaign (organic traffic, a referral by word of mouth).
Campaigns differ in quality: a lead that converts came more likely through a good one, which is
what `campaign_daily` is there to show.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .schema import CHANNELS


class Campaign(NamedTuple):
    name: str
    leads: float  # share of the channel's leads that name a campaign (0: it brings none)
    quality: float  # how much likelier a converting lead came through it
    spend: float  # share of the channel's spend rows (0: no spend of its own)
    cost: float  # its spend per row, relative to the channel's


# channel: (share of its leads that name no campaign, its campaigns)
CAMPAIGNS: dict[str, tuple[float, tuple[Campaign, ...]]] = {
    "website": (0.55, (Campaign("Free trial", 0.6, 1.2, 0, 0), Campaign("Pricing page chat", 0.4, 1.6, 0, 0),
                       Campaign("SEO tooling", 0, 0, 0.6, 1.0), Campaign("Site optimisation", 0, 0, 0.4, 1.2))),
    "paid_ads": (0.12, (Campaign("Brand Search", 0.35, 1.5, 0.3, 0.7), Campaign("Competitor Search", 0.25, 1.0, 0.25, 1.3),
                        Campaign("LinkedIn ABM", 0.4, 0.6, 0.3, 1.4), Campaign("Retargeting", 0, 0, 0.15, 0.5))),
    "content": (0.25, (Campaign("Whitepaper", 0.45, 0.8, 0.4, 0.8), Campaign("Webinar series", 0.35, 1.4, 0.45, 1.2),
                       Campaign("Newsletter", 0.2, 1.0, 0, 0), Campaign("Customer stories", 0, 0, 0.15, 1.0))),
    "event": (0.10, (Campaign("Trade show", 0.5, 0.8, 0.5, 1.3), Campaign("Roadshow", 0.3, 1.2, 0.3, 0.6),
                     Campaign("User conference", 0.2, 1.8, 0.2, 1.0))),
    "partner": (0.30, (Campaign("Partner MDF", 0.6, 1.0, 0.6, 1.0), Campaign("Co-marketing", 0.4, 1.3, 0.4, 1.0))),
    "outbound": (0.20, (Campaign("Intent data", 0.5, 1.3, 0.5, 1.0), Campaign("Cold sequences", 0.5, 0.8, 0, 0),
                        Campaign("Sales tooling", 0, 0, 0.5, 1.0))),
    "referral": (0.45, (Campaign("Referral bonus", 1.0, 1.0, 1.0, 1.0),)),
    "other": (0.60, (Campaign("Misc", 1.0, 1.0, 0.4, 1.0), Campaign("Sponsorship", 0, 0, 0.6, 1.0))),
}
assert tuple(CAMPAIGNS) == CHANNELS


def lead_campaigns(rng: np.random.Generator, channel: np.ndarray, converted: np.ndarray) -> np.ndarray:
    """The campaign each lead names ("" for none): by the campaigns' shares, converted leads
    weighted by quality; a few written with stray white space, or as a CRM's placeholder `unknown`."""
    out = np.full(len(channel), "", dtype=object)
    for ch, (none_share, campaigns) in CAMPAIGNS.items():
        idx = np.flatnonzero(channel == ch)
        bringing = [c for c in campaigns if c.leads > 0]
        names = np.array([c.name for c in bringing], dtype=object)
        share = np.array([c.leads for c in bringing])
        quality = np.array([c.quality for c in bringing])
        weight = share[None, :] * np.where(converted[idx, None], quality[None, :], 1.0)
        cumulative = np.cumsum(weight / weight.sum(axis=1, keepdims=True), axis=1)
        pick = np.minimum((rng.random(len(idx))[:, None] > cumulative).sum(axis=1), len(names) - 1)
        named = rng.random(len(idx)) >= none_share
        out[idx] = np.where(named, names[pick], "")
    return _stray(rng, out)


def spend_campaigns(rng: np.random.Generator, channel: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The campaign of each of a channel's `n` spend rows and its cost factor."""
    spending = [c for c in CAMPAIGNS[channel][1] if c.spend > 0]
    share = np.array([c.spend for c in spending])
    pick = rng.choice(len(spending), size=n, p=share / share.sum())
    names = np.array([c.name for c in spending], dtype=object)[pick]
    return _stray(rng, names), np.array([c.cost for c in spending])[pick]


def _stray(rng: np.random.Generator, names: np.ndarray) -> np.ndarray:
    """About 1% written with a leading or doubled trailing space (trimmed by the pipeline), and 0.5%
    of the unnamed ones as `unknown`, which is the same as none."""
    r = rng.random(len(names))
    named = names != ""
    out = names.copy()
    out[named & (r < 0.005)] = np.char.add(" ", out[named & (r < 0.005)].astype(str))
    out[named & (r >= 0.005) & (r < 0.01)] = np.char.add(out[named & (r >= 0.005) & (r < 0.01)].astype(str), "  ")
    out[~named & (r < 0.005)] = "unknown"
    return out.astype(object)
