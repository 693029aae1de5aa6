"""Landed HubSpot records → the canonical `leads` and `deals` text frames (SOURCES.md, "HubSpot
(CRM v3) mapping"). Values stay text: staging parses and validates them like any file's. A value
the maps do not know is passed on as it is, so validation quarantines it: nothing is guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from schemas.config import HubSpotSource
from schemas.sources import DEALS, LEADS

CHANNELS = {"ORGANIC_SEARCH": "website", "DIRECT_TRAFFIC": "website", "PAID_SEARCH": "paid_ads",
            "PAID_SOCIAL": "paid_ads", "EMAIL_MARKETING": "content", "SOCIAL_MEDIA": "content",
            "OFFLINE": "event", "REFERRALS": "referral", "OTHER_CAMPAIGNS": "other", "": "other"}
STAGES = {"appointmentscheduled": "discovery", "qualifiedtobuy": "discovery", "presentationscheduled": "proposal",
          "decisionmakerboughtin": "proposal", "contractsent": "negotiation", "closedwon": "won",
          "closedlost": "lost"}
DEAL_TYPES = {"newbusiness": "new", "existingbusiness": "renewal"}

CONTACT_PROPERTIES = ["createdate", "lastmodifieddate", "hs_v2_date_entered_salesqualifiedlead",
                      "hs_lifecyclestage_salesqualifiedlead_date", "hs_v2_date_entered_opportunity",
                      "hs_lifecyclestage_opportunity_date", "hs_analytics_source", "company", "industry", "country"]
DEAL_PROPERTIES = ["createdate", "hs_lastmodifieddate", "dealstage", "closedate", "amount", "deal_currency_code",
                   "dealtype", "hubspot_owner_id"]
COMPANY_PROPERTIES = ["name", "industry", "country", "hs_is_target_account", "hs_lastmodifieddate"]
MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate", "companies": "hs_lastmodifieddate"}
EPOCH_MILLISECONDS = r"\d{10,}"  # how some date properties come; an ISO text is never all digits


@dataclass(frozen=True)
class Maps:
    """The value maps, each extendable from the configuration (custom stages, sources, types)."""

    channels: dict[str, str] = field(default_factory=lambda: dict(CHANNELS))
    stages: dict[str, str] = field(default_factory=lambda: dict(STAGES))
    deal_types: dict[str, str] = field(default_factory=lambda: dict(DEAL_TYPES))

    @classmethod
    def from_config(cls, conf: HubSpotSource) -> Maps:
        """The built-in maps, extended (or overridden) by the configuration's."""
        return cls({**CHANNELS, **conf.channel_map}, {**STAGES, **conf.stage_map}, {**DEAL_TYPES, **conf.deal_type_map})


def timestamps(texts: pd.Series) -> pd.Series:
    """HubSpot sends ISO 8601, or epoch milliseconds for some date properties: ISO either way
    (`Z`, and a fraction only when there is one)."""
    epoch = texts.str.fullmatch(EPOCH_MILLISECONDS)
    if not epoch.any():
        return texts
    moments = pd.to_datetime(texts[epoch].astype("int64"), unit="ms", utc=True)
    fraction = moments.dt.strftime(".%f").where(moments.dt.microsecond != 0, "")
    return texts.mask(epoch, moments.dt.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z")


def timestamp(text: str) -> str:
    """One value as `timestamps` gives it."""
    return timestamps(pd.Series([text], dtype="str")).iloc[0]


def contact_properties(campaign_property: str | None = None) -> list[str]:
    """The contact properties a sync asks HubSpot for: the mapping's, and the configured property
    that holds the lead's campaign (`sources.hubspot.campaign_property`), if any."""
    extra = [campaign_property] if campaign_property and campaign_property not in CONTACT_PROPERTIES else []
    return CONTACT_PROPERTIES + extra


def leads_frame(contacts: pd.DataFrame, maps: Maps, campaign_property: str | None = None) -> pd.DataFrame:
    """Landed contacts (`id`, `payload`) → leads. The campaign is the contact property
    `campaign_property` names; without one it is empty, which staging makes `unknown`: none of
    HubSpot's own properties is a campaign reliably (its drill-downs mix campaigns with search terms
    and referring pages)."""
    props = _properties(_payloads(contacts), contact_properties(campaign_property))
    source = props["hs_analytics_source"]
    return pd.DataFrame({
        "lead_id": contacts["id"],
        "created_at": timestamps(props["createdate"]),
        "updated_at": timestamps(props["lastmodifieddate"]),
        "channel": source.str.upper().map(maps.channels).fillna(source),
        "company": props["company"],
        "industry": props["industry"],
        "region": props["country"],
        # the v2 lifecycle property where it is set, else the legacy one
        "qualified_at": timestamps(_first_set(props["hs_v2_date_entered_salesqualifiedlead"],
                                              props["hs_lifecyclestage_salesqualifiedlead_date"])),
        "converted_at": timestamps(_first_set(props["hs_v2_date_entered_opportunity"],
                                              props["hs_lifecyclestage_opportunity_date"])),
        "campaign": props[campaign_property] if campaign_property else "",
    }, columns=LEADS.names).astype("str").reset_index(drop=True)


def deals_frame(deals: pd.DataFrame, companies: pd.DataFrame, maps: Maps, currency: str) -> pd.DataFrame:
    """Landed deals (`id`, `payload` with their associations) and companies → deals. A deal's lead
    and account are its lowest associated contact and company; a deal without a currency code is
    in `currency`."""
    payloads = _payloads(deals)
    props = _properties(payloads, DEAL_PROPERTIES)
    account = _lowest(_associated(payloads, "companies"))
    by_id = _properties(_payloads(companies), COMPANY_PROPERTIES).set_axis(companies["id"].tolist())
    by_id = by_id[~by_id.index.duplicated(keep="last")]  # landed ids are unique; a frame built by hand may repeat one
    acct = by_id.reindex(account.tolist()).fillna("").set_axis(props.index)  # no company: every field empty
    stage = props["dealstage"].map(maps.stages).fillna(props["dealstage"])
    return pd.DataFrame({
        "deal_id": deals["id"],
        "lead_id": _lowest(_associated(payloads, "contacts")),
        "account_id": account,
        "account_name": acct["name"],
        "industry": acct["industry"],
        "region": acct["country"],
        "deal_type": props["dealtype"].map(maps.deal_types).fillna(props["dealtype"]),
        "stage": stage,
        "amount": props["amount"],
        "currency": props["deal_currency_code"].mask(props["deal_currency_code"] == "", currency),
        "created_at": timestamps(props["createdate"]),
        # on an open deal closedate is the *expected* close date: not a fact yet
        "closed_at": timestamps(props["closedate"]).where(stage.isin(["won", "lost"]), ""),
        "owner": props["hubspot_owner_id"],
        "is_key_account": acct["hs_is_target_account"],
        "updated_at": timestamps(props["hs_lastmodifieddate"]),
    }, columns=DEALS.names).astype("str").reset_index(drop=True)


def _payloads(landed: pd.DataFrame) -> pd.DataFrame:
    """Landed payloads one column per field (properties, associations, …), indexed like `landed`."""
    return pd.DataFrame(landed["payload"].tolist(), index=landed.index, dtype="object")


def _properties(payloads: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The properties `names` as text: null, "" and missing are all empty."""
    properties = payloads["properties"].tolist() if "properties" in payloads else []
    values = pd.DataFrame(properties, index=payloads.index, columns=names, dtype="object")
    return values.astype("str").fillna("").apply(lambda column: column.str.strip())


def _associated(payloads: pd.DataFrame, kind: str) -> pd.Series:
    """Per deal, the ids of its associated `kind` (contacts, companies): a list, or missing."""
    if "associations" not in payloads:
        return pd.Series(index=payloads.index, dtype="object")
    return payloads["associations"].str.get(kind)


def _lowest(ids: pd.Series) -> pd.Series:
    """Per row, the lowest of its ids (HubSpot ids are numbers written as text: shorter is lower),
    "" when it has none."""
    each = ids.explode().dropna().astype("str")
    ranked = pd.DataFrame({"id": each, "length": each.str.len()}).sort_values(["length", "id"])
    return ranked.groupby(level=0)["id"].first().reindex(ids.index, fill_value="").astype("str")


def _first_set(*texts: pd.Series) -> pd.Series:
    """Per row, the first of `texts` that is not empty."""
    out = texts[0]
    for text in texts[1:]:  # over the candidate columns, not the rows
        out = out.mask(out == "", text)
    return out
