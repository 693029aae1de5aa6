"""Tests of the fake HubSpot CRM API itself (tests/fakes/hubspot.py), through `requests`."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from fakes.hubspot import (
    FakeHubSpot,
    Fault,
    fake_hubspot_fixture,  # noqa: F401  (the `fake_hubspot` fixture)
)

TOKEN = "pat-test-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime(2024, 1, 1, tzinfo=UTC)
STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
          "contractsent", "closedwon", "closedlost"]


def ms(dt: datetime) -> str:
    return str(int(dt.timestamp() * 1000))


def get(fake: FakeHubSpot, path: str, **params):
    return requests.get(fake.url + path, params=params, headers=AUTH, timeout=10)


def post(fake: FakeHubSpot, path: str, body, **kwargs):
    return requests.post(fake.url + path, json=body, headers=AUTH, timeout=kwargs.pop("timeout", 10), **kwargs)


def search(fake: FakeHubSpot, otype: str, body):
    return post(fake, f"/crm/v3/objects/{otype}/search", body)


def add_contacts(fake: FakeHubSpot, n: int, start: int = 1) -> None:
    for i in range(start, start + n):
        fake.add_contact(i, {"firstname": f"c{i}", "country": "DE" if i % 2 else "FR",
                             "hs_analytics_source": "ORGANIC_SEARCH"},
                         created=T0 + timedelta(hours=i), modified=T0 + timedelta(hours=i, minutes=30))


def assert_error(resp: requests.Response, status: int, category: str | None) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["status"] == "error" and body["message"] and body["correlationId"]
    assert body.get("category") == category
    assert resp.headers["Content-Type"].startswith("application/json")
    return body


@pytest.fixture
def fake():
    with FakeHubSpot(token=TOKEN) as started:
        yield started


# -- list / read ----------------------------------------------------------------------------------

def test_paging_250_contacts_in_pages_of_100_returns_each_once(fake):
    add_contacts(fake, 250)
    seen, pages, after = [], 0, None
    while True:
        params = {"limit": 100, **({"after": after} if after else {})}
        body = get(fake, "/crm/v3/objects/contacts", **params).json()
        pages += 1
        seen += [r["id"] for r in body["results"]]
        if "paging" not in body:
            break
        after = body["paging"]["next"]["after"]
        assert not after.isdigit()  # opaque cursor, not an offset
        assert body["paging"]["next"]["link"].startswith(fake.url + "/crm/v3/objects/contacts?")
    assert pages == 3
    assert seen == [str(i) for i in range(1, 251)]  # sorted by id, each once


def test_properties_parameter_returns_those_plus_hubspot_defaults(fake):
    fake.add_contact(7, {"firstname": "Ada", "company": "Acme", "industry": "Tech",
                                 "hs_lifecyclestage_salesqualifiedlead_date": "1704067200000"},
                             created=T0, modified=T0 + timedelta(milliseconds=1500))
    body = get(fake, "/crm/v3/objects/contacts", properties="company,country,"
               "hs_lifecyclestage_salesqualifiedlead_date").json()
    [record] = body["results"]
    assert record["properties"] == {
        "company": "Acme", "country": None, "createdate": "2024-01-01T00:00:00.000Z",
        "hs_lifecyclestage_salesqualifiedlead_date": "1704067200000",  # kept as the test gave it
        "hs_object_id": "7", "lastmodifieddate": "2024-01-01T00:00:01.500Z"}
    assert record["createdAt"] == "2024-01-01T00:00:00.000Z"
    assert record["updatedAt"] == "2024-01-01T00:00:01.500Z"
    assert record["archived"] is False and "associations" not in record
    default = get(fake, "/crm/v3/objects/contacts").json()["results"][0]["properties"]
    assert set(default) == {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}
    # repeated `properties` parameters work too
    repeated = get(fake, "/crm/v3/objects/contacts", properties=["industry", "company"]).json()
    assert {"industry", "company"} <= set(repeated["results"][0]["properties"])


def test_a_custom_contact_property_comes_back_wherever_it_is_asked_for(fake):
    # teams keep a lead's first-touch campaign in a custom property (SOURCES.md: campaign_property)
    fake.add_contact(1, {"utm_campaign": "Spring launch"}, created=T0, modified=T0)
    fake.add_contact(2, {}, created=T0, modified=T0)
    listed = get(fake, "/crm/v3/objects/contacts", properties="utm_campaign").json()["results"]
    assert [r["properties"]["utm_campaign"] for r in listed] == ["Spring launch", None]  # never set: null
    found = search(fake, "contacts", {"properties": ["utm_campaign"], "filterGroups": [{"filters": [
        {"propertyName": "utm_campaign", "operator": "EQ", "value": "Spring launch"}]}]}).json()["results"]
    assert [(r["id"], r["properties"]["utm_campaign"]) for r in found] == [("1", "Spring launch")]
    batch = post(fake, "/crm/v3/objects/contacts/batch/read",
                 {"properties": ["utm_campaign"], "inputs": [{"id": "1"}]}).json()["results"]
    assert batch[0]["properties"]["utm_campaign"] == "Spring launch"
    assert "utm_campaign" not in get(fake, "/crm/v3/objects/contacts").json()["results"][0]["properties"]


def test_deals_with_associations(fake):
    fake.add_company(20, {"name": "Beta"}, created=T0, modified=T0)
    fake.add_company(10, {"name": "Acme"}, created=T0, modified=T0)
    fake.add_contact(3, {}, created=T0, modified=T0)
    fake.add_deal(500, {"dealstage": "closedwon", "amount": "1200.50", "deal_currency_code": "EUR"},
                          created=T0, modified=T0, contact_ids=[3], company_ids=[20, 10])
    fake.add_deal(501, {"dealstage": "qualifiedtobuy"}, created=T0, modified=T0)
    body = get(fake, "/crm/v3/objects/deals", associations="contacts,companies",
               properties="dealstage,amount,deal_currency_code").json()
    first, second = body["results"]
    assert first["properties"]["hs_lastmodifieddate"] == "2024-01-01T00:00:00.000Z"
    assert "lastmodifieddate" not in first["properties"]
    assert first["associations"]["contacts"] == {"results": [{"id": "3", "type": "deal_to_contact"}]}
    assert first["associations"]["companies"]["results"] == [
        {"id": "10", "type": "deal_to_company_unlabeled"},
        {"id": "20", "type": "deal_to_company"},  # the primary company (given first)
        {"id": "20", "type": "deal_to_company_unlabeled"}]
    assert "associations" not in second  # no associations: no key
    one = get(fake, "/crm/v3/objects/deals/500", associations="companies").json()
    assert one["id"] == "500" and {a["id"] for a in one["associations"]["companies"]["results"]} == {"10", "20"}
    assert_error(get(fake, "/crm/v3/objects/deals/404404"), 404, None)


def test_list_validation(fake):
    assert_error(get(fake, "/crm/v3/objects/contacts", limit=101), 400, "VALIDATION_ERROR")
    assert_error(get(fake, "/crm/v3/objects/widgets"), 400, "VALIDATION_ERROR")
    assert_error(get(fake, "/crm/v3/objects/contacts", after="%%%"), 400, "VALIDATION_ERROR")


# -- search ---------------------------------------------------------------------------------------

def test_search_gte_lastmodifieddate_sorted_by_object_id(fake):
    add_contacts(fake, 30)
    since = T0 + timedelta(hours=20, minutes=30)  # contacts 20..30 were modified at or after this
    for value in (ms(since), "2024-01-01T20:30:00.000Z", "2024-01-01T21:30:00+01:00"):
        body = search(fake, "contacts", {
            "filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": value}]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "properties": ["country", "hs_analytics_source"], "limit": 5}).json()
        assert body["total"] == 11
        assert [r["id"] for r in body["results"]] == ["20", "21", "22", "23", "24"]
        assert body["paging"] == {"next": {"after": "5"}}
        first = body["results"][0]
        assert set(first["properties"]) == {"country", "hs_analytics_source", "createdate", "hs_object_id",
                                            "lastmodifieddate"}
        assert "associations" not in first  # search never returns associations
    desc = search(fake, "contacts", {
        "filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": ms(since)}]}],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}], "limit": 200,
        "after": "8"}).json()
    assert [r["id"] for r in desc["results"]] == ["22", "21", "20"] and "paging" not in desc


def test_search_operators_and_filter_groups(fake):
    fake.add_deal(1, {"dealstage": "closedwon", "amount": "900", "closedate": "2024-03-01T00:00:00.000Z",
                              "dealtype": "newbusiness"}, created=T0, modified=T0)
    fake.add_deal(2, {"dealstage": "closedlost", "amount": "1500", "closedate": ms(T0 + timedelta(days=90))},
                          created=T0, modified=T0)
    fake.add_deal(3, {"dealstage": "contractsent", "amount": "80", "dealtype": None},
                          created=T0, modified=T0)

    def ids(*groups, **extra) -> list[str]:
        resp = search(fake, "deals", {"filterGroups": [{"filters": list(g)} for g in groups], **extra})
        assert resp.status_code == 200, resp.text
        return sorted(r["id"] for r in resp.json()["results"])

    def f(prop, op, value=None, **kw):
        return {"propertyName": prop, "operator": op, **({"value": value} if value is not None else {}), **kw}

    assert ids([f("dealstage", "EQ", "closedwon")]) == ["1"]
    assert ids([f("dealstage", "NEQ", "closedwon")]) == ["2", "3"]
    assert ids([f("dealstage", "IN", values=["closedwon", "closedlost"])]) == ["1", "2"]
    assert ids([f("dealstage", "NOT_IN", values=["closedwon"])]) == ["2", "3"]
    assert ids([f("amount", "GT", "100")]) == ["1", "2"]  # numbers compare as numbers
    assert ids([f("amount", "LTE", 900)]) == ["1", "3"]
    assert ids([f("amount", "LT", "80")]) == []
    assert ids([f("closedate", "BETWEEN", ms(T0 + timedelta(days=59)), highValue="2024-04-01T00:00:00Z")]) == ["1", "2"]
    assert ids([f("closedate", "HAS_PROPERTY")]) == ["1", "2"]
    assert ids([f("dealtype", "NOT_HAS_PROPERTY")]) == ["2", "3"]
    # AND within a group, OR across groups
    assert ids([f("amount", "GT", "100"), f("dealstage", "EQ", "closedlost")]) == ["2"]
    assert ids([f("dealstage", "EQ", "closedwon")], [f("amount", "LT", "100")]) == ["1", "3"]
    assert ids() == ["1", "2", "3"]
    assert ids(query="contract") == ["3"]


def test_search_validation_and_archived_left_out(fake):
    add_contacts(fake, 3)
    fake.archive("contacts", 2)
    body = assert_error(search(fake, "contacts", {"limit": 201}), 400, "VALIDATION_ERROR")
    assert "200" in body["message"]
    assert search(fake, "contacts", {"limit": 200}).json()["total"] == 2
    assert search(fake, "contacts", {}).json()["total"] == 2  # default page size 10
    too_many = {"filterGroups": [{"filters": [{"propertyName": "country", "operator": "HAS_PROPERTY"}]}] * 6}
    assert_error(search(fake, "contacts", too_many), 400, "VALIDATION_ERROR")
    bad_op = {"filterGroups": [{"filters": [{"propertyName": "country", "operator": "LIKE", "value": "x"}]}]}
    assert_error(search(fake, "contacts", bad_op), 400, "VALIDATION_ERROR")
    bad_json = requests.post(fake.url + "/crm/v3/objects/contacts/search", data="{nope",
                             headers={**AUTH, "Content-Type": "application/json"}, timeout=10)
    assert_error(bad_json, 400, "VALIDATION_ERROR")


def test_contacts_use_lastmodifieddate_not_hs_lastmodifieddate(fake):
    add_contacts(fake, 3)
    flt = {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": ms(T0)}
    assert search(fake, "contacts", {"filterGroups": [{"filters": [flt]}]}).json()["total"] == 0
    flt["propertyName"] = "lastmodifieddate"
    assert search(fake, "contacts", {"filterGroups": [{"filters": [flt]}]}).json()["total"] == 3


@pytest.fixture(scope="module")
def big_fake():
    with FakeHubSpot(token=TOKEN) as fake:
        add_contacts(fake, 10_050)
        yield fake


def test_search_stops_at_10000_results(big_fake):
    base = {"sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 200,
            "properties": ["country"]}
    seen, after = [], None
    for _ in range(50):
        body = search(big_fake, "contacts", {**base, **({"after": after} if after else {})}).json()
        assert body["total"] == 10_050  # the real count, not capped
        seen += [r["id"] for r in body["results"]]
        after = body["paging"]["next"]["after"]
    assert len(seen) == len(set(seen)) == 10_000 and seen[-1] == "10000"
    assert after == "10000"  # HubSpot still offers the next page ...
    body = assert_error(search(big_fake, "contacts", {**base, "after": after}), 400, "VALIDATION_ERROR")
    assert "10000" in body["message"]  # ... but asking for it fails
    assert_error(search(big_fake, "contacts", {**base, "after": "9900"}), 400, "VALIDATION_ERROR")
    assert search(big_fake, "contacts", {**base, "after": "9900", "limit": 100}).status_code == 200


def test_restarting_the_search_after_the_last_id_gets_the_rest(big_fake):
    """The connector's strategy: sort by hs_object_id, and when the 10,000 cap is near, start a new
    search filtered on hs_object_id > the last id seen."""
    seen: list[str] = []
    last_id, searches = None, 0
    while True:
        searches += 1
        filters = [{"propertyName": "country", "operator": "HAS_PROPERTY"}]
        if last_id:
            filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": last_id})
        after, got_here = 0, 0
        while True:
            body = search(big_fake, "contacts", {
                "filterGroups": [{"filters": filters}], "limit": 200, "after": str(after),
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]}).json()
            seen += [r["id"] for r in body["results"]]
            got_here += len(body["results"])
            if "paging" not in body:
                break
            after = int(body["paging"]["next"]["after"])
            if after + 200 > 10_000:
                break
        if "paging" not in body:
            break
        last_id = seen[-1]
    assert searches == 2 and got_here == 50
    assert len(seen) == len(set(seen)) == 10_050


# -- batch read, associations, pipelines ------------------------------------------------------

def test_batch_read_companies(fake):
    fake.add_company(10, {"name": "Acme", "industry": "COMPUTER_SOFTWARE", "country": "Germany",
                                  "hs_is_target_account": "true", "domain": "acme.example"}, created=T0, modified=T0)
    fake.add_company(11, {"name": "Beta", "industry": None, "country": "France"}, created=T0, modified=T0)
    fake.add_company(12, {"name": "Gone"}, created=T0, modified=T0, archived=True)
    props = ["name", "industry", "country", "hs_is_target_account"]
    resp = post(fake, "/crm/v3/objects/companies/batch/read",
                {"properties": props, "inputs": [{"id": "11"}, {"id": "10"}]})
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "COMPLETE" and body["startedAt"] and body["completedAt"]
    assert [r["id"] for r in body["results"]] == ["11", "10"]
    assert body["results"][1]["properties"] == {
        "country": "Germany", "createdate": "2024-01-01T00:00:00.000Z", "hs_is_target_account": "true",
        "hs_lastmodifieddate": "2024-01-01T00:00:00.000Z", "hs_object_id": "10", "industry": "COMPUTER_SOFTWARE",
        "name": "Acme"}
    assert body["results"][0]["properties"]["industry"] is None
    partial = post(fake, "/crm/v3/objects/companies/batch/read",
                   {"properties": props, "inputs": [{"id": "10"}, {"id": "12"}, {"id": "99"}]})
    assert partial.status_code == 207
    body = partial.json()
    assert [r["id"] for r in body["results"]] == ["10"]
    assert body["numErrors"] == 1
    [error] = body["errors"]
    assert error["category"] == "OBJECT_NOT_FOUND" and error["context"] == {"ids": ["12", "99"]}
    assert "COMPANY" in error["message"]
    by_domain = post(fake, "/crm/v3/objects/companies/batch/read",
                     {"properties": ["name"], "idProperty": "domain", "inputs": [{"id": "acme.example"}]}).json()
    assert [r["id"] for r in by_domain["results"]] == ["10"]
    too_many = {"properties": ["name"], "inputs": [{"id": str(i)} for i in range(101)]}
    assert_error(post(fake, "/crm/v3/objects/companies/batch/read", too_many), 400, "VALIDATION_ERROR")


def test_v4_association_batch_read(fake):
    fake.add_company(10, {}, created=T0, modified=T0)
    fake.add_contact(1, {}, created=T0, modified=T0)
    fake.add_contact(2, {}, created=T0, modified=T0)
    fake.add_deal(7, {}, created=T0, modified=T0, contact_ids=[2, 1], company_ids=[10])
    fake.add_deal(8, {}, created=T0, modified=T0)
    resp = post(fake, "/crm/v4/associations/deals/contacts/batch/read", {"inputs": [{"id": "7"}]})
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "COMPLETE"
    assert body["results"] == [{"from": {"id": "7"}, "to": [
        {"toObjectId": 1, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]},
        {"toObjectId": 2, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]}]}]
    companies = post(fake, "/crm/v4/associations/deal/company/batch/read",
                     {"inputs": [{"id": "7"}, {"id": "8"}]})
    assert companies.status_code == 207
    body = companies.json()
    assert body["results"][0]["to"][0]["associationTypes"] == [
        {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"},
        {"category": "HUBSPOT_DEFINED", "typeId": 341, "label": None}]
    assert body["numErrors"] == 1
    assert body["errors"][0]["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert body["errors"][0]["context"]["fromObjectId"] == ["8"]
    back = post(fake, "/crm/v4/associations/contacts/deals/batch/read", {"inputs": [{"id": "1"}]}).json()
    assert back["results"][0]["to"] == [
        {"toObjectId": 7, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 4, "label": None}]}]


def test_deal_pipeline(fake):
    body = get(fake, "/crm/v3/pipelines/deals").json()
    [pipeline] = body["results"]
    assert pipeline["id"] == "default" and pipeline["label"] == "Sales Pipeline"
    assert [s["id"] for s in pipeline["stages"]] == STAGES
    closed = {s["id"]: s["metadata"]["isClosed"] for s in pipeline["stages"]}
    assert closed["closedwon"] == closed["closedlost"] == "true" and closed["contractsent"] == "false"
    assert {s["id"]: s["metadata"]["probability"] for s in pipeline["stages"]}["closedwon"] == "1.0"
    assert get(fake, "/crm/v3/pipelines/deals/default").json()["stages"][0]["label"] == "Appointment Scheduled"


# -- faults and auth ------------------------------------------------------------------------------

@pytest.mark.parametrize("policy,retry_after", [("SECONDLY", 1), ("TEN_SECONDLY_ROLLING", None), ("DAILY", 3600)])
def test_rate_limit_faults(fake, policy, retry_after):
    add_contacts(fake, 2)
    fake.inject("GET", r"^/crm/v3/objects/contacts$", Fault.rate_limit(policy, retry_after=retry_after))
    resp = get(fake, "/crm/v3/objects/contacts")
    assert resp.status_code == 429
    body = resp.json()
    assert body["status"] == "error" and body["errorType"] == "RATE_LIMIT" and body["policyName"] == policy
    assert body["correlationId"] and "limit" in body["message"]
    if retry_after is None:
        assert "Retry-After" not in resp.headers
    else:
        assert resp.headers["Retry-After"] == str(retry_after)
    remaining = {"SECONDLY": "X-HubSpot-RateLimit-Secondly-Remaining",
                 "TEN_SECONDLY_ROLLING": "X-HubSpot-RateLimit-Remaining",
                 "DAILY": "X-HubSpot-RateLimit-Daily-Remaining"}[policy]
    assert resp.headers[remaining] == "0"
    assert resp.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(resp.headers["X-HubSpot-RateLimit-Max"]) > 0
    again = get(fake, "/crm/v3/objects/contacts")  # the fault was used up
    assert again.status_code == 200 and len(again.json()["results"]) == 2
    assert fake.statuses == [429, 200] and fake.faults_left == 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_fault(fake, status):
    fake.inject("POST", r"/search$", Fault.server_error(status))
    assert search(fake, "contacts", {}).status_code == status
    assert search(fake, "contacts", {}).status_code == 200


def test_server_error_fault_with_a_gateway_page(fake):
    fake.inject("GET", r"/objects/", Fault.server_error(502, body=b"<html><body>502 Bad Gateway</body></html>"))
    resp = get(fake, "/crm/v3/objects/deals")
    assert resp.status_code == 502 and resp.headers["Content-Type"] == "text/html" and b"Bad Gateway" in resp.content


def test_faults_are_consumed_in_order_by_matching_requests_only(fake):
    fake.inject("*", r"/objects/deals", Fault.server_error(503), Fault.rate_limit("SECONDLY"),
                        Fault.empty_page())
    fake.add_deal(1, {}, created=T0, modified=T0)
    assert get(fake, "/crm/v3/objects/contacts").status_code == 200  # no match: untouched
    assert get(fake, "/crm/v3/objects/deals").status_code == 503
    assert search(fake, "deals", {}).status_code == 429
    empty = get(fake, "/crm/v3/objects/deals")
    assert empty.status_code == 200 and empty.json() == {"results": []}
    assert get(fake, "/crm/v3/objects/deals").json()["results"][0]["id"] == "1"
    fake.inject("POST", r"/search$", Fault.empty_page())
    assert search(fake, "deals", {}).json() == {"total": 0, "results": []}


def test_timeout_fault_trips_the_client_timeout(fake):
    fake.inject("GET", r"/objects/contacts", Fault.timeout(2.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(fake.url + "/crm/v3/objects/contacts", headers=AUTH, timeout=0.3)
    assert get(fake, "/crm/v3/objects/contacts").status_code == 200


def test_unauthorized(fake):
    no_token = requests.get(fake.url + "/crm/v3/objects/contacts", timeout=10)
    wrong = requests.get(fake.url + "/crm/v3/objects/contacts",
                         headers={"Authorization": "Bearer pat-wrong"}, timeout=10)
    for resp in (no_token, wrong):
        body = assert_error(resp, 401, "INVALID_AUTHENTICATION")
        assert "Authentication credentials not found" in body["message"]
    fake.inject("GET", r".", Fault.unauthorized())  # a token revoked mid-run
    assert_error(get(fake, "/crm/v3/objects/contacts"), 401, "INVALID_AUTHENTICATION")
    assert get(fake, "/crm/v3/objects/contacts").status_code == 200
    logged = fake.requests[1]
    assert logged.headers["Authorization"] == "<redacted>" and "pat-wrong" not in repr(fake.requests)
    assert "Authorization" not in fake.requests[0].headers


# -- changes after the fact -----------------------------------------------------------------------

def test_update_and_archive_are_visible_to_the_next_request(fake):
    add_contacts(fake, 3)
    later = T0 + timedelta(days=30)
    fake.update("contacts", 2, {"country": "ES", "hs_v2_date_entered_opportunity": ms(later)}, modified=later)
    fake.archive("contacts", 3)
    listed = get(fake, "/crm/v3/objects/contacts", properties="country").json()["results"]
    assert [r["id"] for r in listed] == ["1", "2"]
    assert listed[1]["properties"]["country"] == "ES"
    assert listed[1]["properties"]["lastmodifieddate"] == listed[1]["updatedAt"] == "2024-01-31T00:00:00.000Z"
    recent = search(fake, "contacts", {"filterGroups": [{"filters": [
        {"propertyName": "lastmodifieddate", "operator": "GT", "value": "2024-01-15T00:00:00Z"}]}]}).json()
    assert [r["id"] for r in recent["results"]] == ["2"]
    archived = get(fake, "/crm/v3/objects/contacts", archived="true").json()["results"]
    assert [r["id"] for r in archived] == ["3"] and archived[0]["archived"] is True and archived[0]["archivedAt"]
    assert_error(get(fake, "/crm/v3/objects/contacts/3"), 404, None)
    assert fake.record("contacts", 2)["properties"]["hs_v2_date_entered_opportunity"] == ms(later)


def test_search_is_eventually_consistent_when_asked(fake):
    add_contacts(fake, 2)
    fake.update("contacts", 1, {"country": "IT"}, modified=T0 + timedelta(days=9), indexed=False)
    fake.add_contact(9, {"country": "IT"}, created=T0, modified=T0, indexed=False)
    flt = {"filterGroups": [{"filters": [{"propertyName": "country", "operator": "EQ", "value": "it"}]}]}
    assert search(fake, "contacts", flt).json()["total"] == 0  # not indexed yet
    assert get(fake, "/crm/v3/objects/contacts/1", properties="country").json()["properties"]["country"] == "IT"
    fake.reindex()
    assert search(fake, "contacts", flt).json()["total"] == 2


def test_request_log(fake):
    search(fake, "deals", {"limit": 3, "properties": ["dealstage"]})
    get(fake, "/crm/v3/objects/deals", limit=5, properties=["amount", "dealstage"])
    first, second = fake.requests
    assert first.method == "POST" and first.path == "/crm/v3/objects/deals/search"
    assert first.json == {"limit": 3, "properties": ["dealstage"]} and first.query == {}
    assert second.query == {"limit": "5", "properties": "amount,dealstage"} and second.json is None
    method, path, query, body, headers = second
    assert headers["Authorization"] == "<redacted>"


def test_the_module_fixture_serves_with_the_default_token(fake_hubspot):
    assert fake_hubspot.token == TOKEN and fake_hubspot.url.startswith("http://127.0.0.1:")
    assert get(fake_hubspot, "/crm/v3/objects/companies").json() == {"results": []}
