"""Sync HubSpot into the landing tables, incrementally, and read the canonical entities back.

First sync (no cursor) and full refresh: the list endpoints, every record. Later syncs: records
modified since the cursor minus a safety margin, by search. The stream sync itself (pages landed
one by one, the cursor, the removal of archived records) is tasks/sources/landing.py's.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd

from schemas.config import HubSpotSource, Settings
from tasks.credentials import resolve
from tasks.sources import landing
from tasks.sources.base import SourceError
from tasks.sources.hubspot.api import HubSpotApi
from tasks.sources.hubspot.mapping import (
    COMPANY_PROPERTIES,
    DEAL_PROPERTIES,
    MODIFIED,
    Maps,
    contact_properties,
    deals_frame,
    leads_frame,
    timestamps,
)
from tasks.sources.landing import Page, StreamSync
from tasks.sources.retry import RetryPolicy
from tasks.warehouse.connect import Warehouse

SOURCE = "hubspot"
STREAMS = {"leads": "contacts", "deals": "deals"}  # entity → the stream it is read from


def open_api(conf: HubSpotSource, **http) -> HubSpotApi:
    token = resolve(conf.token, "sources.hubspot.token")
    return HubSpotApi(conf.base_url, token, RetryPolicy(max_attempts=conf.max_attempts),
                      timeout=conf.timeout_seconds, ca_bundle=conf.ca_bundle, **http)


def sync(wh: Warehouse, conf: HubSpotSource, entities: list[str], full_refresh: bool = False,
         api: HubSpotApi | None = None) -> list[StreamSync]:
    """Land the streams that `entities` need; returns what each stream did."""
    own = api is None
    api = api or open_api(conf)
    margin = dt.timedelta(minutes=conf.safety_margin_minutes)
    try:
        streams = dict.fromkeys(STREAMS[e] for e in entities)
        return [sync_stream(api, wh, s, margin, full_refresh, campaign_property=conf.campaign_property)
                for s in streams]
    finally:
        if own:
            api.close()


def sync_stream(api: HubSpotApi, wh: Warehouse, stream: str, margin: dt.timedelta,
                full_refresh: bool = False, campaign_property: str | None = None) -> StreamSync:
    """One stream (contacts or deals); a deals sync also lands the companies of the deals it reads.
    Contacts are read with the property holding their campaign, when one is configured."""
    properties = contact_properties(campaign_property) if stream == "contacts" else DEAL_PROPERTIES

    def read_changes(since: dt.datetime | None) -> Iterator[Page]:
        if since is None:
            pages = api.list_all(stream, properties)
        else:
            pages = api.modified_since(stream, MODIFIED[stream], properties, since)
        for page in pages:
            if stream == "deals" and page:
                yield Page("companies", _relate_deals(api, page))
            yield Page(stream, _records(page, stream))

    return landing.sync_stream(wh, SOURCE, stream, read_changes, margin=margin, full_refresh=full_refresh,
                               side_streams=("companies",) if stream == "deals" else ())


def _relate_deals(api: HubSpotApi, deals: list[dict]) -> pd.DataFrame:
    """Give each deal of the page its contacts and companies (in the deal itself, so they land in its
    payload), and read those companies in batches: a company's name, industry, country and
    target-account flag make the deal's account. Returns the companies, to land."""
    ids = [str(d["id"]) for d in deals]
    contacts = api.associations("deals", "contacts", ids)
    companies = api.associations("deals", "companies", ids)
    for deal_id, deal in zip(ids, deals, strict=True):
        deal["associations"] = {"contacts": contacts.get(deal_id, []), "companies": companies.get(deal_id, [])}
    wanted = sorted({c for cs in companies.values() for c in cs})
    return _records(api.batch_read("companies", wanted, COMPANY_PROPERTIES) if wanted else [], "companies")


def _records(page: list[dict], stream: str) -> pd.DataFrame:
    """A page of HubSpot records as landing records: each record's properties, its timestamps and
    (deals) associations, as HubSpot gave them; modified at its stream's last-modified property."""
    modified = pd.Series([str((r.get("properties") or {}).get(MODIFIED[stream]) or r.get("updatedAt") or "")
                          for r in page], dtype="str")
    return landing.record_frame((str(r["id"]) for r in page), (_payload(r) for r in page),
                                landing.instants(timestamps(modified)))


def _payload(record: dict) -> dict:
    payload = {"properties": record.get("properties") or {}, "createdAt": record.get("createdAt"),
               "updatedAt": record.get("updatedAt")}
    if "associations" in record:
        payload["associations"] = record["associations"]
    return payload


def read_entity(wh: Warehouse, conf: HubSpotSource, entity: str, currency: str) -> pd.DataFrame:
    """The canonical text frame of `leads` or `deals`, from what has been landed."""
    maps = Maps.from_config(conf)
    if entity == "leads":
        frame = leads_frame(landing.read_landed(wh, SOURCE, "contacts"), maps, conf.campaign_property)
    else:
        frame = deals_frame(landing.read_landed(wh, SOURCE, "deals"), landing.read_landed(wh, SOURCE, "companies"),
                            maps, currency)
    frame.attrs.update(source=f"HubSpot {STREAMS[entity]}", locator="record {}", first_position=1)
    return frame


class HubSpotConnector:
    """HubSpot as the registry sees it (tasks/sources/registry.py: Connector)."""

    name = SOURCE
    provides = tuple(STREAMS)
    config_model = HubSpotSource

    def sync(self, wh: Warehouse, conf: HubSpotSource, entities: list[str], full_refresh: bool) -> list[StreamSync]:
        return sync(wh, conf, entities, full_refresh)

    def read_entity(self, wh: Warehouse | None, conf: HubSpotSource, entity: str, settings: Settings) -> pd.DataFrame:
        if wh is None:
            raise SourceError(f"hubspot {entity}: read from the warehouse's landing tables, and no warehouse was given")
        # the currency of a deal that has none (deals_frame)
        return read_entity(wh, conf, entity, settings.reporting_currency)


CONNECTOR = HubSpotConnector()
