"""Sync HubSpot into the landing tables, incrementally, and read the canonical entities back.

First sync (no cursor) and full refresh: the list endpoints, every record. Later syncs: records
modified since the cursor minus a safety margin, by search. Each page is landed (committed)
before the next is read; the cursor advances when the whole stream is landed.
"""
from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from tasks.sources import landing
from tasks.sources.credentials import resolve
from tasks.sources.http import RetryPolicy
from tasks.sources.hubspot.api import HubSpotApi
from tasks.sources.hubspot.mapping import (
    COMPANY_PROPERTIES,
    CONTACT_PROPERTIES,
    DEAL_PROPERTIES,
    MODIFIED,
    Maps,
    deals_frame,
    leads_frame,
    timestamp,
)
from tasks.warehouse.connect import Warehouse

SOURCE = "hubspot"
DEFAULT_URL = "https://api.hubapi.com"
STREAMS = {"leads": "contacts", "deals": "deals"}  # entity → the stream it is read from
log = logging.getLogger(__name__)


def open_api(conf: dict, **http) -> HubSpotApi:
    token = resolve(conf.get("token", ""), "sources.hubspot.token")
    policy = RetryPolicy(timeout=float(conf.get("timeout_seconds", 30)), max_attempts=int(conf.get("max_attempts", 6)))
    return HubSpotApi(conf.get("base_url", DEFAULT_URL), token, policy, **http)


def sync(wh: Warehouse, conf: dict, entities: list[str], full_refresh: bool = False,
         api: HubSpotApi | None = None) -> list[landing.StreamSync]:
    """Land the streams that `entities` need; returns what each stream did."""
    own = api is None
    api = api or open_api(conf)
    margin = dt.timedelta(minutes=float(conf.get("safety_margin_minutes", 10)))
    try:
        streams = [STREAMS[e] for e in entities]
        return [sync_stream(api, wh, s, margin, full_refresh) for s in dict.fromkeys(streams)]
    finally:
        if own:
            api.close()


def sync_stream(api: HubSpotApi, wh: Warehouse, stream: str, margin: dt.timedelta,
                full_refresh: bool = False) -> landing.StreamSync:
    if full_refresh:
        landing.reset(wh, SOURCE, stream)
    since = landing.cursor(wh, SOURCE, stream)
    props = CONTACT_PROPERTIES if stream == "contacts" else DEAL_PROPERTIES
    if since is None:
        result, pages = landing.StreamSync(stream, "full"), api.list_all(stream, props)
    else:
        result = landing.StreamSync(stream, "incremental")
        pages = api.modified_since(stream, MODIFIED[stream], props, since - margin)
    seen: dict[str, set[str]] = {stream: set(), "companies": set()}
    for page in pages:
        if stream == "deals" and page:
            seen["companies"] |= _land_deal_relations(api, wh, page)
        result.landed += landing.land(wh, SOURCE, stream, [_landed(r, stream) for r in page])
        seen[stream] |= {str(r["id"]) for r in page}
        log.info("HubSpot %s: %d records landed so far", stream, result.landed)
    if result.mode == "full":  # what the source no longer returns was archived or deleted
        result.removed = landing.remove_unseen(wh, SOURCE, stream, seen[stream])
        if stream == "deals":
            result.removed += landing.remove_unseen(wh, SOURCE, "companies", seen["companies"])
    result.cursor = landing.advance_cursor(wh, SOURCE, stream)
    return result


def _land_deal_relations(api: HubSpotApi, wh: Warehouse, deals: list[dict]) -> set[str]:
    """Give each deal of the page its contacts and companies, and land those companies (read in
    batches: a company's name, industry, country and target-account flag make the deal's account)."""
    ids = [str(d["id"]) for d in deals]
    contacts = api.associations("deals", "contacts", ids)
    companies = api.associations("deals", "companies", ids)
    for d in deals:
        d["associations"] = {"contacts": contacts.get(str(d["id"]), []), "companies": companies.get(str(d["id"]), [])}
    wanted = sorted({c for cs in companies.values() for c in cs})
    records = api.batch_read("companies", wanted, COMPANY_PROPERTIES) if wanted else []
    landing.land(wh, SOURCE, "companies", [_landed(r, "companies") for r in records])
    return {str(r["id"]) for r in records}


def _landed(record: dict, stream: str) -> landing.Landed:
    props = record.get("properties") or {}
    modified = timestamp(str(props.get(MODIFIED[stream]) or record.get("updatedAt") or ""))
    payload = {"properties": props, "createdAt": record.get("createdAt"), "updatedAt": record.get("updatedAt")}
    if "associations" in record:
        payload["associations"] = record["associations"]
    return landing.Landed(str(record["id"]), payload, _instant(modified))


def _instant(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        return None  # an unreadable time lands; staging will quarantine the record for it
    return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")).to_pydatetime()


def read_entity(wh: Warehouse, conf: dict, entity: str, currency: str) -> pd.DataFrame:
    """The canonical text frame of `leads` or `deals`, from what has been landed."""
    maps = Maps.from_config(conf)
    if entity == "leads":
        frame = leads_frame(landing.landed(wh, SOURCE, "contacts"), maps)
    else:
        frame = deals_frame(landing.landed(wh, SOURCE, "deals"), landing.landed(wh, SOURCE, "companies"), maps, currency)
    frame.attrs.update(source=f"HubSpot {STREAMS[entity]}", locator="record {}", first_position=1)
    return frame
