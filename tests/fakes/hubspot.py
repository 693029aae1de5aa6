"""A local fake of HubSpot's CRM API for connector tests: a ThreadingHTTPServer on 127.0.0.1.

    with FakeHubSpot(token="pat-test-123") as fake:
        fake.add_contact("1", {"firstname": "Ada"}, created=..., modified=...)
        fake.inject("POST", r"/search$", Fault.rate_limit("SECONDLY", retry_after=1))
        ...requests against fake.url...
        assert fake.requests[0].path == "/crm/v3/objects/contacts/search"

Endpoints: GET /crm/v3/objects/{type}[/{id}], POST /crm/v3/objects/{type}/search,
POST /crm/v3/objects/{type}/batch/read, POST /crm/v4/associations/{from}/{to}/batch/read and
GET /crm/v3/pipelines/deals[/{id}], for contacts, companies and deals.  What the real API does and
what the fake copies of it is in docs/hubspot-api-notes.md; records, search and association logic
are in hubspot_store.py and hubspot_query.py.
"""
from __future__ import annotations

import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from .hubspot_store import ApiError, Store, error_body, now_iso

__all__ = ["FakeHubSpot", "Fault", "RecordedRequest", "fake_hubspot_fixture"]

AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
                "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
RATE_MESSAGES = {"SECONDLY": "You have reached your secondly limit.",
                 "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
                 "DAILY": "You have reached your daily limit."}
DAILY_LIMIT, TEN_SECOND_MAX, SECONDLY_MAX = 250_000, 100, 10
ROUTES = [(method, re.compile(pattern), name) for method, pattern, name in (
    ("GET", r"^/crm/v3/objects/([^/]+)$", "list"),
    ("POST", r"^/crm/v3/objects/([^/]+)/search$", "search"),
    ("POST", r"^/crm/v3/objects/([^/]+)/batch/read$", "batch_read"),
    ("GET", r"^/crm/v3/objects/([^/]+)/([^/]+)$", "read"),
    ("POST", r"^/crm/v4/associations/([^/]+)/([^/]+)/batch/read$", "associations"),
    ("GET", r"^/crm/v3/pipelines/([^/]+)$", "pipelines"),
    ("GET", r"^/crm/v3/pipelines/([^/]+)/([^/]+)$", "pipeline"),
)]


class RecordedRequest(NamedTuple):
    method: str
    path: str
    query: dict[str, str]  # repeated parameters joined with commas, as HubSpot reads them
    json: Any  # the parsed body, or None
    headers: dict[str, str]  # Authorization present but its value replaced by "<redacted>"


@dataclass(frozen=True)
class Fault:
    """A scripted failure for `FakeHubSpot.inject`."""
    kind: str
    status: int = 200
    policy: str | None = None
    retry_after: int | None = None
    seconds: float = 0.0
    body: Any = None

    @classmethod
    def rate_limit(cls, policy: str = "TEN_SECONDLY_ROLLING", retry_after: int | None = None) -> Fault:
        """429 with HubSpot's RATE_LIMIT body and X-HubSpot-RateLimit-* headers; Retry-After only if given."""
        if policy not in RATE_MESSAGES:
            raise ValueError(f"policy must be one of {sorted(RATE_MESSAGES)}")
        return cls("rate_limit", 429, policy=policy, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500, body: Any = None) -> Fault:
        """5xx with a JSON error envelope, or `body` (bytes are sent as text/html, like a gateway page)."""
        if status not in (500, 502, 503, 504):
            raise ValueError("status must be 500, 502, 503 or 504")
        return cls("server_error", status, body=body)

    @classmethod
    def timeout(cls, seconds: float) -> Fault:
        """Hold the request `seconds` before answering normally, so a shorter client timeout fires."""
        return cls("timeout", seconds=seconds)

    @classmethod
    def unauthorized(cls) -> Fault:
        """401 INVALID_AUTHENTICATION even with the right token (a revoked or expired one)."""
        return cls("unauthorized", 401)

    @classmethod
    def empty_page(cls, next_after: str | None = None) -> Fault:
        """200 with no results (and a paging.next.after only if `next_after` is given)."""
        return cls("empty_page", 200, body=next_after)


class FakeHubSpot:
    def __init__(self, token: str = "pat-test-123", host: str = "127.0.0.1", port: int = 0):
        self.token = token
        self.requests: list[RecordedRequest] = []
        self.statuses: list[int] = []  # the status answered to each request, aligned with `requests`
        self._rules: list[tuple[str, re.Pattern[str], deque[Fault]]] = []
        self._log_lock = threading.Lock()
        self._local = threading.local()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.store = Store(base_url=self.url)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-hubspot", daemon=True)
        self._thread.start()

    # -- data ---------------------------------------------------------------------------------
    def add_contact(self, id: Any, properties: dict[str, str | None] | None = None, created: Any = None,
                    modified: Any = None, archived: bool = False, company_ids: Iterable[Any] = (),
                    indexed: bool = True) -> None:
        self._add("contacts", id, properties, created, modified, archived, indexed, companies=company_ids)

    def add_company(self, id: Any, properties: dict[str, str | None] | None = None, created: Any = None,
                    modified: Any = None, archived: bool = False, contact_ids: Iterable[Any] = (),
                    indexed: bool = True) -> None:
        self._add("companies", id, properties, created, modified, archived, indexed, contacts=contact_ids)

    def add_deal(self, id: Any, properties: dict[str, str | None] | None = None, created: Any = None,
                 modified: Any = None, archived: bool = False, contact_ids: Iterable[Any] = (),
                 company_ids: Iterable[Any] = (), indexed: bool = True) -> None:
        """The first of `company_ids` is the deal's primary company."""
        self._add("deals", id, properties, created, modified, archived, indexed,
                  contacts=contact_ids, companies=company_ids)

    def _add(self, otype: str, oid: Any, properties: dict | None, created: Any, modified: Any,
             archived: bool, indexed: bool, **links: Iterable[Any]) -> None:
        created = created if created is not None else datetime.now(UTC)
        self.store.put(otype, oid, properties or {}, created, modified if modified is not None else created,
                       archived, indexed)
        for to_type, ids in links.items():
            self.store.associate(otype, oid, to_type, list(ids))

    def update(self, object_type: str, id: Any, properties: dict[str, str | None] | None = None,
               modified: Any = None, indexed: bool = True) -> None:
        """Change a record; its last-modified property and updatedAt become `modified` (default: now).
        With indexed=False, search keeps seeing the old version until `reindex()` (HubSpot's search
        is eventually consistent)."""
        self.store.update(object_type, id, properties or {}, modified, indexed)

    def archive(self, object_type: str, id: Any, when: Any = None) -> None:
        self.store.archive(object_type, id, when)

    def associate(self, from_type: str, from_id: Any, to_type: str, to_ids: Iterable[Any]) -> None:
        self.store.associate(from_type, from_id, to_type, list(to_ids))

    def reindex(self) -> None:
        """Make every change visible to search."""
        self.store.reindex()

    def record(self, object_type: str, id: Any) -> dict[str, Any]:
        """The stored record as the API would return it, with every property."""
        with self.store.lock:
            r = self.store.get(object_type, id)
            return self.store.to_json(r, list(r.properties))

    @property
    def pipelines(self) -> list[dict[str, Any]]:
        """The deal pipelines served by GET /crm/v3/pipelines/deals (editable)."""
        return self.store.pipelines

    # -- faults -------------------------------------------------------------------------------
    def inject(self, method: str, path_regex: str, *faults: Fault) -> None:
        """Faults for requests whose method matches (or method "*") and whose path (without the
        query) matches `path_regex` (re.search); each matching request consumes the next one."""
        with self._log_lock:
            self._rules.append((method.upper(), re.compile(path_regex), deque(faults)))

    @property
    def faults_left(self) -> int:
        return sum(len(r[2]) for r in self._rules)

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._log_lock:
            for rule_method, pattern, faults in self._rules:
                if faults and rule_method in ("*", method) and pattern.search(path):
                    return faults.popleft()
        return None

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closing.is_set():
            self._closing.set()
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeHubSpot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one request --------------------------------------------------------------------------
    def _handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
                ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(raw_path)
        path = parts.path
        query = {k: ",".join(v) for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body, bad_json = None, None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError as exc:
                bad_json = exc
        shown = {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in headers.items()}
        with self._log_lock:
            self.requests.append(RecordedRequest(method, path, query, body, shown))
            self.statuses.append(0)  # filled in when the answer is sent
            self._local.index = len(self.statuses) - 1
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if auth != f"Bearer {self.token}":
            return _unauthorized()
        route = _route(method, path)
        fault = self._next_fault(method, path)
        if fault is not None:
            if fault.kind == "timeout":
                self._closing.wait(fault.seconds)
            else:
                return self._fault_response(fault, route)
        if bad_json is not None:
            return _error(400, f"Invalid input JSON on line {getattr(bad_json, 'lineno', 1)}, column "
                               f"{getattr(bad_json, 'colno', 1)}: {getattr(bad_json, 'msg', bad_json)}")
        if method == "POST" and not isinstance(body, dict):
            return _error(400, "Invalid input JSON: the request body must be a JSON object.")
        if route is None:
            return _error(404, "resource not found", None)
        name, args = route
        rate_headers = {} if name == "search" else self._rate_headers()
        try:
            status, out = self._dispatch(name, args, path, query, body or {})
        except ApiError as exc:
            return exc.status, exc.body, {"X-HubSpot-Correlation-Id": exc.body["correlationId"], **rate_headers}
        return status, out, {"X-HubSpot-Correlation-Id": str(uuid.uuid4()), **rate_headers}

    def _dispatch(self, name: str, args: tuple[str, ...], path: str, query: dict[str, str],
                  body: dict[str, Any]) -> tuple[int, Any]:
        s = self.store
        if name == "list":
            return 200, s.list_objects(args[0], path, query)
        if name == "read":
            return 200, s.read_object(args[0], args[1], query)
        if name == "search":
            return 200, s.search(args[0], body)
        if name == "batch_read":
            return s.batch_read(args[0], body, query)
        if name == "associations":
            return s.associations_batch_read(args[0], args[1], body)
        if name == "pipelines":
            return 200, s.list_pipelines(args[0])
        return 200, s.list_pipelines(args[0], args[1])

    def _rate_headers(self, policy: str | None = None) -> dict[str, str]:
        used = len(self.requests)
        return {"X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
                "X-HubSpot-RateLimit-Daily-Remaining": "0" if policy == "DAILY" else str(max(DAILY_LIMIT - used, 0)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                "X-HubSpot-RateLimit-Max": str(TEN_SECOND_MAX),
                "X-HubSpot-RateLimit-Remaining": "0" if policy == "TEN_SECONDLY_ROLLING" else str(TEN_SECOND_MAX - 1),
                "X-HubSpot-RateLimit-Secondly": str(SECONDLY_MAX),
                "X-HubSpot-RateLimit-Secondly-Remaining": "0" if policy == "SECONDLY" else str(SECONDLY_MAX - 1)}

    def _fault_response(self, fault: Fault, route: tuple[str, tuple[str, ...]] | None
                        ) -> tuple[int, Any, dict[str, str]]:
        if fault.kind == "unauthorized":
            return _unauthorized()
        if fault.kind == "rate_limit":
            body = {"status": "error", "message": RATE_MESSAGES[fault.policy], "errorType": "RATE_LIMIT",
                    "correlationId": str(uuid.uuid4()), "policyName": fault.policy, "requestId": str(uuid.uuid4())}
            headers = {"X-HubSpot-Correlation-Id": body["correlationId"], **self._rate_headers(fault.policy)}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return 429, body, headers
        if fault.kind == "server_error":
            body = fault.body if fault.body is not None else error_body(
                "internal error" if fault.status == 500 else "The service is temporarily unavailable.",
                "INTERNAL_ERROR" if fault.status == 500 else None)
            return fault.status, body, {}
        name = route[0] if route else ""  # empty_page
        if name == "search":
            body = {"total": 0, "results": []}
        elif name in ("batch_read", "associations"):
            body = {"status": "COMPLETE", "results": [], "startedAt": now_iso(), "completedAt": now_iso()}
        else:
            body = {"results": []}
        if fault.body is not None:
            body["paging"] = {"next": {"after": fault.body}}
        return 200, body, self._rate_headers()


def _route(method: str, path: str) -> tuple[str, tuple[str, ...]] | None:
    for route_method, pattern, name in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return name, match.groups()
    return None


def _error(status: int, message: str, category: str | None = "VALIDATION_ERROR") -> tuple[int, Any, dict[str, str]]:
    body = error_body(message, category)
    return status, body, {"X-HubSpot-Correlation-Id": body["correlationId"]}


def _unauthorized() -> tuple[int, Any, dict[str, str]]:
    status, body, headers = _error(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION")
    return status, body, {**headers, "x-hubspot-auth-failure": "401 Unauthorized"}


def _handler_for(fake: FakeHubSpot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                status, body, headers = fake._handle(self.command, self.path, dict(self.headers.items()), raw)
            except Exception as exc:  # a bug in the fake: answer 500 rather than hang the client
                status, body, headers = 500, error_body(f"fake HubSpot error: {exc!r}", "INTERNAL_ERROR"), {}
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            index = getattr(fake._local, "index", None)
            if index is not None:
                fake.statuses[index] = status
                fake._local.index = None
            try:
                self.send_response(status)
                kind = "text/html" if isinstance(body, bytes) else "application/json;charset=utf-8"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout fault)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


try:
    import pytest
except ImportError:  # pragma: no cover - the fake also works without pytest
    pass
else:
    @pytest.fixture(name="fake_hubspot")
    def fake_hubspot_fixture() -> Iterable[FakeHubSpot]:
        """The `fake_hubspot` fixture: a started FakeHubSpot (token "pat-test-123"), closed after the
        test.  To use it, import it into a test module or conftest:
        `from fakes.hubspot import fake_hubspot_fixture  # noqa: F401`."""
        with FakeHubSpot() as fake:
            yield fake
