"""The customer universe: companies that leads come from and deals are sold to.

Accounts are shared by leads, deals and projects so that an account's name,
industry and region agree wherever it appears (deals copy them, as a CRM does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INDUSTRIES = {
    # industry: (share, name words that fit it)
    "Financial Services": (0.18, ("Bank", "Capital", "Insurance", "Asset Management")),
    "Manufacturing": (0.16, ("Industries", "Manufacturing", "Components", "Machinery")),
    "Healthcare": (0.12, ("Health", "Medical", "Pharma", "Clinics")),
    "Retail": (0.12, ("Retail", "Stores", "Brands", "Foods")),
    "Public Sector": (0.10, ("Transit Authority", "Water Board", "County Services", "Agency")),
    "Technology": (0.14, ("Systems", "Software", "Labs", "Networks")),
    "Energy": (0.08, ("Energy", "Power", "Utilities", "Renewables")),
    "Logistics": (0.10, ("Logistics", "Freight", "Shipping", "Transport")),
}
REGIONS = {"EMEA": 0.35, "North America": 0.35, "APAC": 0.20, "LATAM": 0.10}
_PREFIXES = (
    "Acme", "Globex", "Initech", "Northwind", "Contoso", "Fabrikam", "Umbrella", "Stark",
    "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Wonka", "Oscorp",
    "Aperture", "Pinnacle", "Blue Harbor", "Silverline", "Redwood", "Ironbridge", "Summit",
    "Crescent", "Evergreen", "Brightwater", "Polaris", "Meridian", "Sterling", "Harbor Point",
    "Nordic", "Atlas", "Zenith", "Orion", "Keystone", "Granite", "Vertex", "Cobalt",
    "Falcon", "Lumen",
)
_SUFFIXES = ("", " Group", " Inc.", " Ltd", " AG", " SA", " plc", " GmbH", ", Inc.")
OWNERS = (
    "Alice Martin", "Bruno Silva", "Chen Wei", "Dana Kowalski", "Elif Demir", "Farid Haddad",
    "Grace O'Neill", "Hiro Tanaka", "Isabel Ruiz", "Jonas Berg", "Kavya Rao", "Liam Walsh",
    "Maya Cohen", "Noah Fischer",
)


def make_accounts(rng: np.random.Generator, n: int) -> pd.DataFrame:
    inds = list(INDUSTRIES)
    industry = rng.choice(inds, size=n, p=[INDUSTRIES[i][0] for i in inds])
    region = rng.choice(list(REGIONS), size=n, p=list(REGIONS.values()))
    # Company size drives how often an account shows up and how much it buys.
    size = rng.lognormal(0.0, 1.0, n)
    key = size >= np.quantile(size, 0.88)
    names = _names(rng, industry)
    # A few accounts have no industry or region recorded in the CRM.
    industry = np.where(rng.random(n) < 0.02, "", industry)
    region = np.where(rng.random(n) < 0.015, "", region)
    return pd.DataFrame({
        "account_id": np.char.add("ACC-", np.char.zfill(np.arange(1, n + 1).astype(str), 5)),
        "account_name": names, "industry": industry, "region": region,
        "size": size, "is_key_account": key,
        "owner": rng.choice(OWNERS, size=n),
    })


def _names(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    """Unique names within an industry while the combinations last, then numbered."""
    names = np.empty(len(industry), dtype=object)
    n_comb = len(_PREFIXES) * 4 * len(_SUFFIXES)
    for ind, (_, words) in INDUSTRIES.items():
        idx = np.flatnonzero(industry == ind)
        perm = rng.permutation(n_comb)
        for k, i in enumerate(idx):
            c = perm[k % n_comb]
            p, rest = divmod(c, 4 * len(_SUFFIXES))
            w, s = divmod(rest, len(_SUFFIXES))
            name = f"{_PREFIXES[p]} {words[w]}{_SUFFIXES[s]}"
            names[i] = name if k < n_comb else f"{name} {k // n_comb + 1}"
    return names
