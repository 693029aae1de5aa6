"""HubSpot's CRM API as the connector uses it: list and search paging, batch reads, associations,
and what each HubSpot answer means for a retry (see docs/hubspot-api-notes.md)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import requests

from tasks.credentials import Credential
from tasks.sources.base import SourceError
from tasks.sources.http import Fail, HttpSource, Retry, Verdict
from tasks.sources.retry import RetryPolicy

LIST_LIMIT, SEARCH_LIMIT, BATCH_LIMIT = 100, 200, 100
SEARCH_CAP = 10_000  # HubSpot answers 400 when paging a search past 10,000 results
MAX_EMPTY_PAGES = 5  # an empty page that still offers a next page: follow it, a few times at most


def classify(response: requests.Response, token_origin: str) -> Verdict:
    """Good (2xx, 207 included), retry (secondly/ten-secondly 429, 5xx), or stop (the rest)."""
    status = response.status_code
    if status < 300:
        return None
    body = _json(response)
    message = str(body.get("message", "")).strip() or response.reason
    if status == 429:
        policy = body.get("policyName", "unknown")
        if policy == "DAILY":
            return Fail("HubSpot's daily API limit is reached (policy DAILY); the sync stops here and "
                        "resumes from its cursor on the next run")
        retry_after = response.headers.get("Retry-After")
        wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
        return Retry(f"rate limited (429, policy {policy})", wait)
    what = " ".join(filter(None, (f"HTTP {status}", body.get("category"))))
    if status in (401, 403):
        return Fail(f"HubSpot refused the token from {token_origin} ({what}); check that it is valid and "
                    "has the CRM read scopes")
    if status >= 500:
        return Retry(f"{what} from HubSpot")
    return Fail(f"{what}: {message}")


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class HubSpotApi:
    def __init__(self, base_url: str, token: Credential, policy: RetryPolicy | None = None, **http) -> None:
        """`http`: HttpSource's other settings (timeout, and sleep and rng for the tests)."""
        self.http = HttpSource("HubSpot", base_url, lambda r: classify(r, token.origin),
                               headers={"Authorization": f"Bearer {token.value}", "Accept": "application/json"},
                               policy=policy or RetryPolicy(), **http)

    def _get(self, path: str, **params) -> dict:
        return self.http.request("GET", path, params=params).json()

    def _post(self, path: str, body: dict) -> dict:
        return self.http.request("POST", path, json=body).json()

    def list_all(self, object_type: str, properties: list[str]) -> Iterator[list[dict]]:
        """Every (non-archived) record, page by page: the first sync and full refreshes."""
        after, empty = None, 0
        while True:
            params = {"limit": LIST_LIMIT, "properties": ",".join(properties), "archived": "false"}
            if after:
                params["after"] = after
            page = self._get(f"/crm/v3/objects/{object_type}", **params)
            results = page.get("results") or []
            yield results
            after, empty = _next(page, after, results, empty)
            if after is None:
                return

    def modified_since(self, object_type: str, modified_property: str, properties: list[str],
                       since: dt.datetime) -> Iterator[list[dict]]:
        """Records modified at or after `since`, by search sorted on hs_object_id. Before paging
        past the 10,000-result cap the search restarts with `hs_object_id > the last id seen`."""
        last_id = None
        while True:
            filters = [{"propertyName": modified_property, "operator": "GTE",
                        "value": str(int(since.timestamp() * 1000))}]
            if last_id is not None:
                filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": last_id})
            after, empty = None, 0
            while True:
                body = {"filterGroups": [{"filters": filters}], "properties": properties, "limit": SEARCH_LIMIT,
                        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]}
                if after:
                    body["after"] = after
                page = self._post(f"/crm/v3/objects/{object_type}/search", body)
                results = page.get("results") or []
                yield results
                if results:
                    last_id = results[-1]["id"]
                after, empty = _next(page, after, results, empty)
                if after is None:
                    return
                if int(after) + SEARCH_LIMIT > SEARCH_CAP:
                    break  # the next page would cross the cap: restart after last_id

    def batch_read(self, object_type: str, ids: list[str], properties: list[str]) -> list[dict]:
        out = []
        for chunk in _chunks(ids, BATCH_LIMIT):
            body = {"properties": properties, "inputs": [{"id": i} for i in chunk]}
            out += self._post(f"/crm/v3/objects/{object_type}/batch/read", body).get("results") or []
        return out

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """from id → the ids of its associated `to_type` records (v4 batch read)."""
        out: dict[str, list[str]] = {}
        for chunk in _chunks(ids, BATCH_LIMIT):
            body = {"inputs": [{"id": i} for i in chunk]}
            page = self._post(f"/crm/v4/associations/{from_type}/{to_type}/batch/read", body)
            for result in page.get("results") or []:
                targets = {str(t["toObjectId"]) for t in result.get("to") or []}
                out[str(result["from"]["id"])] = sorted(targets)
        return out

    def close(self) -> None:
        self.http.close()


def _next(page: dict, after: str | None, results: list, empty: int) -> tuple[str | None, int]:
    """The next page's cursor (None: done), counting empty pages that still offer a next one."""
    nxt = ((page.get("paging") or {}).get("next") or {}).get("after")
    if not nxt or nxt == after:
        return None, empty
    empty = 0 if results else empty + 1
    if empty > MAX_EMPTY_PAGES:
        raise SourceError(f"HubSpot returned {empty} empty pages in a row that still offered a next page")
    return str(nxt), empty


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
