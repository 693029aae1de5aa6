"""The HubSpot connector against the fake HubSpot of tests/fakes: mapping, first and incremental
syncs, rate limits and faults, the 10,000-result search cap, and the cursor's guarantees."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from fakes.hubspot import FakeHubSpot, Fault

from schemas.config import HubSpotSource, parse_settings
from tasks.credentials import Credential
from tasks.sources import landing
from tasks.sources.base import SourceError
from tasks.sources.hubspot.api import HubSpotApi
from tasks.sources.hubspot.mapping import Maps, deals_frame, leads_frame, timestamp
from tasks.sources.hubspot.sync import SOURCE, read_entity, sync, sync_stream
from tasks.sources.retry import RetryPolicy

TOKEN = "pat-na1-planted-token-0000"
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MARGIN = dt.timedelta(minutes=10)


@pytest.fixture
def fake():
    with FakeHubSpot(token=TOKEN) as f:
        yield f


class Api(HubSpotApi):
    """The real client with test timings: short timeouts, and waits recorded instead of slept."""

    def __init__(self, fake: FakeHubSpot, token: str = TOKEN, **policy):
        self.waits: list[float] = []
        super().__init__(fake.url, Credential(token, "environment variable HUBSPOT_TOKEN"),
                         RetryPolicy(**{"backoff": 0.01, "max_wait": 0.05, **policy}), timeout=1.0,
                         sleep=self.waits.append)


def hubspot_source(**conf) -> HubSpotSource:
    """`sources.hubspot` as the connector is given it: validated by the configuration's model."""
    conf = {"token": "env:HUBSPOT_TOKEN", "entities": ["leads", "deals"], **conf}
    return parse_settings({"sources": {"hubspot": conf}}).sources.hubspot


def contact(fake, i: int, modified=T0, **props):
    fake.add_contact(i, {"hs_analytics_source": "ORGANIC_SEARCH", **props}, created=T0 - dt.timedelta(days=30),
                     modified=modified)


# --- mapping ----------------------------------------------------------------------------------------

def landed(rows: list[tuple[str, dict]]) -> pd.DataFrame:
    return pd.DataFrame({"id": [r[0] for r in rows], "payload": [r[1] for r in rows]})


def test_contact_maps_to_a_lead():
    props = {"createdate": "2026-01-01T10:00:00.000Z", "lastmodifieddate": "1767261600000",
             "hs_v2_date_entered_salesqualifiedlead": None,
             "hs_lifecyclestage_salesqualifiedlead_date": "2026-01-05T00:00:00Z",
             "hs_v2_date_entered_opportunity": "2026-01-09T00:00:00Z",
             "hs_lifecyclestage_opportunity_date": "2026-01-08T00:00:00Z",
             "hs_analytics_source": "paid_social", "company": "Acme", "industry": "", "country": "France"}
    lead = leads_frame(landed([("7", {"properties": props})]), Maps()).iloc[0]
    assert lead["lead_id"] == "7" and lead["channel"] == "paid_ads"
    assert lead["updated_at"] == "2026-01-01T10:00:00Z"  # epoch milliseconds become ISO
    assert lead["qualified_at"] == "2026-01-05T00:00:00Z"  # v2 empty: the legacy property
    assert lead["converted_at"] == "2026-01-09T00:00:00Z"  # v2 set: it wins
    assert (lead["industry"], lead["region"]) == ("", "France")
    assert lead["campaign"] == ""  # no campaign_property configured: empty, which staging makes `unknown`


def test_campaign_comes_from_the_configured_contact_property_only():
    props = {"utm_campaign": "  Spring launch ", "hs_analytics_source_data_1": "spring launch",
             "hs_analytics_source_data_2": "best crm software"}
    contacts = landed([("1", {"properties": props}), ("2", {"properties": {"utm_campaign": None}})])
    configured = leads_frame(contacts, Maps(), "utm_campaign").set_index("lead_id")["campaign"]
    assert configured.to_dict() == {"1": "Spring launch", "2": ""}  # null and "" are empty: `unknown`
    # HubSpot's drill-down properties are never taken as a campaign
    assert set(leads_frame(contacts, Maps())["campaign"]) == {""}


@pytest.mark.parametrize("source,channel", [("DIRECT_TRAFFIC", "website"), ("EMAIL_MARKETING", "content"),
                                            ("OFFLINE", "event"), ("REFERRALS", "referral"), ("", "other"),
                                            ("OTHER_CAMPAIGNS", "other"), ("TELEPATHY", "TELEPATHY")])
def test_channel_map_passes_unknown_values_to_validation(source, channel):
    lead = leads_frame(landed([("1", {"properties": {"hs_analytics_source": source}})]), Maps()).iloc[0]
    assert lead["channel"] == channel


def test_deal_takes_its_lowest_contact_and_company_and_closedate_only_when_closed():
    deals = landed([
        ("10", {"properties": {"dealstage": "closedwon", "closedate": "2026-02-01T00:00:00Z", "amount": "5000",
                               "deal_currency_code": "", "dealtype": "existingbusiness"},
                "associations": {"contacts": ["9", "10", "100"], "companies": ["21", "3"]}}),
        ("11", {"properties": {"dealstage": "presentationscheduled", "closedate": "2026-09-01T00:00:00Z",
                               "dealtype": "newbusiness"}, "associations": {}}),
        ("12", {"properties": {"dealstage": "custom-stage-9"}}),
    ])
    companies = landed([("3", {"properties": {"name": "Acme", "industry": "Retail", "country": "Chile",
                                              "hs_is_target_account": "true"}}),
                        ("21", {"properties": {"name": "Other"}})])
    out = deals_frame(deals, companies, Maps(), "USD").set_index("deal_id")
    won, open_, custom = out.loc["10"], out.loc["11"], out.loc["12"]
    assert (won["lead_id"], won["account_id"], won["account_name"]) == ("9", "3", "Acme")
    assert (won["industry"], won["region"], won["is_key_account"]) == ("Retail", "Chile", "true")
    assert (won["stage"], won["deal_type"], won["currency"], won["closed_at"]) == ("won", "renewal", "USD",
                                                                                   "2026-02-01T00:00:00Z")
    assert (open_["stage"], open_["closed_at"], open_["deal_type"]) == ("proposal", "", "new")
    assert custom["stage"] == "custom-stage-9"  # left for validation to quarantine
    assert deals_frame(deals, companies, Maps.from_config(hubspot_source(stage_map={"custom-stage-9": "negotiation"})),
                       "USD").set_index("deal_id").loc["12", "stage"] == "negotiation"


def test_timestamps_iso_or_epoch_milliseconds():
    assert timestamp("2026-01-01T10:00:00.000Z") == "2026-01-01T10:00:00.000Z"
    assert timestamp("1767261600000") == "2026-01-01T10:00:00Z"
    assert timestamp("") == ""


# --- syncing ----------------------------------------------------------------------------------------

def test_first_sync_pages_the_list_then_incremental_search_lands_only_changes(fake, wh):
    for i in range(1, 251):  # modified an hour apart, the last at T0
        contact(fake, i, modified=T0 - dt.timedelta(hours=250 - i))
    api = Api(fake)
    first = sync_stream(api, wh, "contacts", MARGIN)
    assert (first.mode, first.landed, first.cursor) == ("full", 250, T0)
    assert [r.path for r in fake.requests].count("/crm/v3/objects/contacts") == 3  # 100 + 100 + 50
    fake.update("contacts", 7, {"company": "Changed"}, modified=T0 + dt.timedelta(hours=1))
    contact(fake, 251, modified=T0 + dt.timedelta(hours=2))
    fake.requests.clear()
    second = sync_stream(api, wh, "contacts", MARGIN)
    assert second.mode == "incremental" and fake.requests[0].path == "/crm/v3/objects/contacts/search"
    # the two changes, and contact 250 again: modified at the cursor, within the 10-minute margin
    assert second.landed == 3 and second.cursor == T0 + dt.timedelta(hours=2)
    rows = landing.read_landed(wh, SOURCE, "contacts")
    assert len(rows) == 251 and rows["id"].is_unique
    assert rows.set_index("id").loc["7", "payload"]["properties"]["company"] == "Changed"


def test_a_record_modified_just_before_the_cursor_is_not_skipped(fake, wh):
    contact(fake, 1, modified=T0)
    api = Api(fake)
    sync_stream(api, wh, "contacts", MARGIN)
    # a write that committed in HubSpot with a time just before the cursor, after the last sync read
    contact(fake, 2, modified=T0 - dt.timedelta(minutes=3))
    sync_stream(api, wh, "contacts", MARGIN)
    assert set(landing.read_landed(wh, SOURCE, "contacts")["id"]) == {"1", "2"}


def test_deals_land_with_associations_and_their_companies(fake, wh):
    fake.add_company(3, {"name": "Acme", "country": "Chile"}, created=T0, modified=T0)
    fake.add_company(2, {"name": "Beta"}, created=T0, modified=T0)
    contact(fake, 5)
    fake.add_deal(10, {"dealstage": "closedwon", "closedate": "2026-02-01T00:00:00Z", "amount": "5000"},
                  created=T0, modified=T0, contact_ids=[5], company_ids=[3, 2])
    sync(wh, hubspot_source(safety_margin_minutes=10), ["deals"], api=Api(fake))
    frame = read_entity(wh, hubspot_source(), "deals", "USD").iloc[0]
    assert (frame["deal_id"], frame["lead_id"], frame["account_id"], frame["account_name"]) == ("10", "5", "2", "Beta")
    assert set(landing.read_landed(wh, SOURCE, "companies")["id"]) == {"2", "3"}


def test_contacts_are_synced_with_the_campaign_property_and_leads_carry_it(fake, wh):
    contact(fake, 1, first_touch_campaign="Spring launch")
    contact(fake, 2)  # the property never set on this contact: null, so the lead's campaign is unknown
    conf = hubspot_source(entities=["leads"], campaign_property="first_touch_campaign")
    sync(wh, conf, ["leads"], api=Api(fake))
    asked = fake.requests[0].query["properties"].split(",")
    assert "first_touch_campaign" in asked and "hs_analytics_source" in asked  # with the other properties
    leads = read_entity(wh, conf, "leads", "USD").set_index("lead_id")
    assert leads["campaign"].to_dict() == {"1": "Spring launch", "2": ""}
    # without the setting, the property is neither asked for nor read: every campaign is empty
    fake.requests.clear()
    sync(wh, hubspot_source(entities=["leads"]), ["leads"], api=Api(fake), full_refresh=True)
    assert "first_touch_campaign" not in fake.requests[0].query["properties"]
    assert set(read_entity(wh, hubspot_source(), "leads", "USD")["campaign"]) == {""}


def test_incremental_search_asks_for_the_campaign_property_too(fake, wh):
    contact(fake, 1, modified=T0)
    conf = hubspot_source(entities=["leads"], campaign_property="utm_campaign")
    sync(wh, conf, ["leads"], api=Api(fake))
    fake.update("contacts", 1, {"utm_campaign": "Autumn"}, modified=T0 + dt.timedelta(hours=1))
    fake.requests.clear()
    sync(wh, conf, ["leads"], api=Api(fake))
    search = fake.requests[0]
    assert search.path.endswith("/search") and "utm_campaign" in search.json["properties"]
    assert read_entity(wh, conf, "leads", "USD").iloc[0]["campaign"] == "Autumn"


@pytest.mark.parametrize("policy,retry_after", [("SECONDLY", 2), ("TEN_SECONDLY_ROLLING", None)])
def test_rate_limits_wait_and_retry(fake, wh, policy, retry_after):
    contact(fake, 1)
    fake.inject("GET", r"/contacts$", Fault.rate_limit(policy, retry_after=retry_after),
                Fault.rate_limit(policy, retry_after=retry_after))
    api = Api(fake)
    assert sync_stream(api, wh, "contacts", MARGIN).landed == 1
    if retry_after:
        assert api.waits == [2.0, 2.0]  # Retry-After honoured
    else:
        assert len(api.waits) == 2 and all(0 < w <= 0.05 for w in api.waits)  # backoff with jitter


def test_daily_limit_stops_with_a_clear_error_and_keeps_the_cursor(fake, wh):
    contact(fake, 1)
    api = Api(fake)
    sync_stream(api, wh, "contacts", MARGIN)
    fake.inject("POST", r"/search$", Fault.rate_limit("DAILY"))
    with pytest.raises(SourceError, match="daily API limit is reached .*resumes from its cursor"):
        sync_stream(api, wh, "contacts", MARGIN)
    assert api.waits == [] and landing.cursor(wh, SOURCE, "contacts") == T0


@pytest.mark.parametrize("fault", [Fault.server_error(500), Fault.server_error(503), Fault.timeout(1.5)],
                         ids=["500", "503", "timeout"])
def test_server_errors_and_timeouts_are_retried(fake, wh, fault):
    for i in range(1, 151):
        contact(fake, i)
    fake.inject("GET", r"/contacts$", fault, fault)
    api = Api(fake)
    assert sync_stream(api, wh, "contacts", MARGIN).landed == 150
    assert len(api.waits) == 2


def test_retries_are_bounded(fake, wh):
    contact(fake, 1)
    fake.inject("GET", r"/contacts$", *[Fault.server_error(500)] * 10)
    with pytest.raises(SourceError, match=r"HubSpot GET /crm/v3/objects/contacts: gave up after 3 attempts"):
        sync_stream(Api(fake, max_attempts=3), wh, "contacts", MARGIN)


@pytest.mark.parametrize("token", ["", "pat-wrong"])
def test_a_refused_token_stops_at_once_naming_where_it_came_from(fake, wh, token):
    contact(fake, 1)
    api = Api(fake, token=token)
    with pytest.raises(SourceError) as err:
        sync_stream(api, wh, "contacts", MARGIN)
    assert "refused the token from environment variable HUBSPOT_TOKEN (HTTP 401" in str(err.value)
    assert TOKEN not in str(err.value) and (not token or token not in str(err.value))
    assert api.waits == [] and len(fake.requests) == 1


def test_empty_pages_that_offer_a_next_page_are_followed(fake, wh):
    contact(fake, 1, modified=T0 - dt.timedelta(days=1))
    api = Api(fake)
    sync_stream(api, wh, "contacts", MARGIN)
    for i in range(2, 122):
        contact(fake, i)
    fake.inject("POST", r"/search$", Fault.empty_page(next_after="0"))  # no results, yet a next page
    assert sync_stream(api, wh, "contacts", MARGIN).landed == 121  # 120 changed, and contact 1 (margin)


def test_search_past_10000_results_restarts_from_the_last_id(fake, wh):
    contact(fake, 1, modified=T0 - dt.timedelta(days=1))
    api = Api(fake)
    sync_stream(api, wh, "contacts", MARGIN)
    for i in range(2, 10_052):
        contact(fake, i, modified=T0)
    fake.requests.clear()
    result = sync_stream(api, wh, "contacts", MARGIN)
    assert result.landed == 10_051 - 1 + 1  # every changed record once (10,050), and contact 1 is outside
    searches = [r.json for r in fake.requests if r.path.endswith("/search")]
    assert all(int(s.get("after", 0)) + s["limit"] <= 10_000 for s in searches)
    restarted = [s for s in searches if any(f["propertyName"] == "hs_object_id" for f in s["filterGroups"][0]["filters"])]
    assert restarted, "the search should restart with hs_object_id > the last id"
    assert len(landing.read_landed(wh, SOURCE, "contacts")) == 10_051


def test_a_crash_mid_sync_loses_and_duplicates_nothing(fake, wh):
    contact(fake, 1, modified=T0 - dt.timedelta(days=1))
    api = Api(fake, max_attempts=2)
    sync_stream(api, wh, "contacts", MARGIN)
    for i in range(2, 452):
        contact(fake, i, modified=T0)
    # the second search page fails for good: the first page (contacts 1-200: contact 1 is within the
    # margin) is landed, the cursor does not move
    fake.inject("POST", r"/search$", None, Fault.server_error(500), Fault.server_error(500))
    with pytest.raises(SourceError):
        sync_stream(api, wh, "contacts", MARGIN)
    assert len(landing.read_landed(wh, SOURCE, "contacts")) == 200
    assert landing.cursor(wh, SOURCE, "contacts") == T0 - dt.timedelta(days=1)
    sync_stream(api, wh, "contacts", MARGIN)
    rows = landing.read_landed(wh, SOURCE, "contacts")
    assert len(rows) == 451 and rows["id"].is_unique and landing.cursor(wh, SOURCE, "contacts") == T0


def test_full_refresh_rereads_everything_and_drops_archived_records(fake, wh):
    for i in range(1, 6):
        contact(fake, i)
    api = Api(fake)
    sync_stream(api, wh, "contacts", MARGIN)
    fake.archive("contacts", 3)
    incremental = sync_stream(api, wh, "contacts", MARGIN)
    assert incremental.removed == 0 and len(landing.read_landed(wh, SOURCE, "contacts")) == 5
    full = sync_stream(api, wh, "contacts", MARGIN, full_refresh=True)
    assert (full.mode, full.landed, full.removed) == ("full", 4, 1)
    assert set(landing.read_landed(wh, SOURCE, "contacts")["id"]) == {"1", "2", "4", "5"}
