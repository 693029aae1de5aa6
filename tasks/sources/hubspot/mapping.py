"""Landed HubSpot records → the canonical `leads` and `deals` text frames (SOURCES.md, "HubSpot
(CRM v3) mapping"). Values stay text: staging parses and validates them like any file's. A value
the maps do not know is passed on as it is, so validation quarantines it: nothing is guessed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

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


@dataclass(frozen=True)
class Maps:
    """The value maps, each extendable from the configuration (custom stages, sources, types)."""

    channels: dict[str, str] = field(default_factory=lambda: dict(CHANNELS))
    stages: dict[str, str] = field(default_factory=lambda: dict(STAGES))
    deal_types: dict[str, str] = field(default_factory=lambda: dict(DEAL_TYPES))

    @classmethod
    def from_config(cls, conf: dict) -> Maps:
        return cls({**CHANNELS, **(conf.get("channel_map") or {})}, {**STAGES, **(conf.get("stage_map") or {})},
                   {**DEAL_TYPES, **(conf.get("deal_type_map") or {})})


def value(props: dict, name: str) -> str:
    """A property as text: null, "" and missing are all empty."""
    v = props.get(name)
    return "" if v is None else str(v).strip()


def timestamp(text: str) -> str:
    """HubSpot sends ISO 8601, or epoch milliseconds for some date properties: ISO either way."""
    if text.isdigit() and len(text) >= 10:
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC).isoformat().replace("+00:00", "Z")
    return text


def first(*texts: str) -> str:
    return next((t for t in texts if t), "")


def lowest(ids: list[str]) -> str:
    """The lowest id (HubSpot ids are numbers written as text)."""
    return min(ids, key=lambda i: (len(i), i)) if ids else ""


def leads_frame(contacts: pd.DataFrame, maps: Maps) -> pd.DataFrame:
    rows = []
    for cid, p in zip(contacts["id"], contacts["payload"]):
        props = p["properties"]
        source = value(props, "hs_analytics_source")
        rows.append({
            "lead_id": cid,
            "created_at": timestamp(value(props, "createdate")),
            "updated_at": timestamp(value(props, "lastmodifieddate")),
            "channel": maps.channels.get(source.upper(), source),
            "company": value(props, "company"),
            "industry": value(props, "industry"),
            "region": value(props, "country"),
            "qualified_at": timestamp(first(value(props, "hs_v2_date_entered_salesqualifiedlead"),
                                            value(props, "hs_lifecyclestage_salesqualifiedlead_date"))),
            "converted_at": timestamp(first(value(props, "hs_v2_date_entered_opportunity"),
                                            value(props, "hs_lifecyclestage_opportunity_date"))),
        })
    return pd.DataFrame(rows, columns=LEADS.names, dtype="str")


def deals_frame(deals: pd.DataFrame, companies: pd.DataFrame, maps: Maps, currency: str) -> pd.DataFrame:
    company = {cid: p["properties"] for cid, p in zip(companies["id"], companies["payload"])}
    rows = []
    for did, p in zip(deals["id"], deals["payload"]):
        props, assoc = p["properties"], p.get("associations") or {}
        account = lowest(assoc.get("companies") or [])
        acct = company.get(account, {})
        stage_raw = value(props, "dealstage")
        stage = maps.stages.get(stage_raw, stage_raw)
        deal_type = value(props, "dealtype")
        rows.append({
            "deal_id": did,
            "lead_id": lowest(assoc.get("contacts") or []),
            "account_id": account,
            "account_name": value(acct, "name"),
            "industry": value(acct, "industry"),
            "region": value(acct, "country"),
            "deal_type": maps.deal_types.get(deal_type, deal_type),
            "stage": stage,
            "amount": value(props, "amount"),
            "currency": value(props, "deal_currency_code") or currency,
            "created_at": timestamp(value(props, "createdate")),
            # on an open deal closedate is the *expected* close date: not a fact yet
            "closed_at": timestamp(value(props, "closedate")) if stage in ("won", "lost") else "",
            "owner": value(props, "hubspot_owner_id"),
            "is_key_account": value(acct, "hs_is_target_account"),
            "updated_at": timestamp(value(props, "hs_lastmodifieddate")),
        })
    return pd.DataFrame(rows, columns=DEALS.names, dtype="str")
