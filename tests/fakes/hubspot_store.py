"""The records, associations and pipelines behind the fake HubSpot API (see hubspot.py), and the
bodies of its endpoints.  Shapes follow HubSpot's CRM v3 objects, search and batch endpoints, the
v4 associations batch read and the v3 pipelines endpoint (docs/hubspot-api-notes.md)."""
from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from . import hubspot_query as q

TYPES = {  # accepted spellings -> canonical plural
    "contacts": "contacts", "contact": "contacts", "0-1": "contacts",
    "companies": "companies", "company": "companies", "0-2": "companies",
    "deals": "deals", "deal": "deals", "0-3": "deals",
}
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal"}
LASTMODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
DEFAULT_PROPERTIES = {  # returned when a request names no properties
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"),
}
SEARCHABLE = {  # what a free-text `query` looks at
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
    "companies": ("website", "phone", "name", "domain"),
    "deals": ("dealname", "pipeline", "dealstage", "description", "dealtype"),
}
# (from, to) -> (typeId, v3 type name) of the unlabeled association, and of the "Primary" one
# where HubSpot has it (a deal's or contact's primary company: the first company given).
ASSOCIATION_TYPES: dict[tuple[str, str], tuple[tuple[int, str], tuple[int, str] | None]] = {
    ("deals", "contacts"): ((3, "deal_to_contact"), None),
    ("contacts", "deals"): ((4, "contact_to_deal"), None),
    ("deals", "companies"): ((341, "deal_to_company_unlabeled"), (5, "deal_to_company")),
    ("companies", "deals"): ((342, "company_to_deal_unlabeled"), (6, "company_to_deal")),
    ("contacts", "companies"): ((279, "contact_to_company_unlabeled"), (1, "contact_to_company")),
    ("companies", "contacts"): ((280, "company_to_contact_unlabeled"), (2, "company_to_contact")),
}
DEAL_STAGES = (  # id, label, probability, closed: HubSpot's default "Sales Pipeline"
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
)
LIST_MAX, SEARCH_MAX, SEARCH_DEFAULT, SEARCH_CAP, BATCH_MAX, ASSOC_BATCH_MAX = 100, 200, 10, 10_000, 100, 1000


class ApiError(Exception):
    def __init__(self, status: int, message: str, category: str | None = "VALIDATION_ERROR", **extra: Any):
        super().__init__(message)
        self.status, self.body = status, error_body(message, category, **extra)


def error_body(message: str, category: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    body.update(extra)
    if category:
        body["category"] = category
    return body


def object_type(name: str) -> str:
    try:
        return TYPES[name.lower()]
    except KeyError:
        raise ApiError(400, f"Unable to infer object type from: {name}") from None


def now_iso() -> str:
    return q.iso(datetime.now(UTC))


@dataclass
class Record:
    type: str
    id: str
    properties: dict[str, str | None]
    created_at: str
    updated_at: str
    archived: bool = False
    archived_at: str | None = None

    def order(self) -> tuple:  # HubSpot's default search order: creation, then id
        return (q.sort_key("createdate", self.created_at), _id_key(self))


def _id_key(record: Record) -> tuple:
    return (0, int(record.id), "") if record.id.isdigit() else (1, 0, record.id)


@dataclass
class Store:
    base_url: str = ""
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {t: {} for t in SINGULAR})
    index: dict[str, dict[str, Record]] = field(default_factory=lambda: {t: {} for t in SINGULAR})
    links: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    pipelines: list[dict[str, Any]] = field(default_factory=lambda: [default_pipeline()])
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- test-side changes ---------------------------------------------------------------------
    def put(self, otype: str, oid: Any, properties: dict[str, Any], created: Any, modified: Any,
            archived: bool = False, indexed: bool = True) -> Record:
        otype, oid = object_type(otype), str(oid)
        props = {k: None if v is None else str(v) for k, v in properties.items()}
        props.setdefault("createdate", q.iso(created))
        props.setdefault(LASTMODIFIED[otype], q.iso(modified))
        props["hs_object_id"] = oid
        record = Record(otype, oid, props, q.iso(created), q.iso(modified), archived,
                        q.iso(modified) if archived else None)
        with self.lock:
            self.records[otype][oid] = record
            if indexed:
                self.index[otype][oid] = replace(record, properties=dict(props))
        return record

    def update(self, otype: str, oid: Any, properties: dict[str, Any], modified: Any = None,
               indexed: bool = True) -> Record:
        with self.lock:
            record = self.get(otype, oid)
            stamp = q.iso(modified if modified is not None else datetime.now(UTC))
            record.properties.update({k: None if v is None else str(v) for k, v in properties.items()})
            if LASTMODIFIED[record.type] not in properties:
                record.properties[LASTMODIFIED[record.type]] = stamp
            record.updated_at = stamp
            if indexed:
                self.reindex(record.type, record.id)
            return record

    def archive(self, otype: str, oid: Any, when: Any = None) -> Record:
        with self.lock:
            record = self.get(otype, oid)
            record.archived = True
            record.archived_at = q.iso(when if when is not None else datetime.now(UTC))
            self.reindex(record.type, record.id)
            return record

    def reindex(self, otype: str | None = None, oid: str | None = None) -> None:
        with self.lock:
            for t in [object_type(otype)] if otype else list(SINGULAR):
                for r in [self.get(t, oid)] if oid else list(self.records[t].values()):
                    self.index[t][r.id] = replace(r, properties=dict(r.properties))

    def get(self, otype: str, oid: Any) -> Record:
        otype = object_type(otype)
        try:
            return self.records[otype][str(oid)]
        except KeyError:
            raise KeyError(f"no {SINGULAR[otype]} {oid} in the fake") from None

    def associate(self, from_type: str, from_id: Any, to_type: str, to_ids: list[Any]) -> None:
        from_type, to_type = object_type(from_type), object_type(to_type)
        with self.lock:
            for to_id in map(str, to_ids):
                for key, other in (((from_type, str(from_id), to_type), to_id),
                                   ((to_type, to_id, from_type), str(from_id))):
                    if other not in self.links.setdefault(key, []):
                        self.links[key].append(other)

    def associated(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, list[tuple[int, str, str | None]]]]:
        """[(to_id, [(typeId, v3 name, v4 label)])], ids in numeric order."""
        unlabeled, primary = ASSOCIATION_TYPES.get((from_type, to_type), (None, None))
        if unlabeled is None:
            return []
        out = []
        for to_id in sorted(self.links.get((from_type, from_id, to_type), []), key=lambda i: (len(i), i)):
            types = []
            if primary is not None:
                owner, company = ((from_type, from_id), to_id) if to_type == "companies" else ((to_type, to_id), from_id)
                if self.links.get((owner[0], owner[1], "companies"), [None])[0] == company:
                    types.append((primary[0], primary[1], "Primary"))
            types.append((unlabeled[0], unlabeled[1], None))
            out.append((to_id, types))
        return out

    # -- serialisation ------------------------------------------------------------------------
    def wanted(self, otype: str, names: list[str] | None) -> list[str]:
        if not names:
            return list(DEFAULT_PROPERTIES[otype])
        return sorted(set(names) | {"hs_object_id", "createdate", LASTMODIFIED[otype]})

    def to_json(self, r: Record, names: list[str], associations: list[str] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {"id": r.id, "properties": {n: r.properties.get(n) for n in sorted(names)},
                               "createdAt": r.created_at, "updatedAt": r.updated_at, "archived": r.archived}
        if r.archived:
            out["archivedAt"] = r.archived_at
        assoc = {}
        for to_type in associations:
            found = [{"id": to_id, "type": name}
                     for to_id, types in self.associated(r.type, r.id, to_type) for _, name, _ in types]
            if found:
                assoc[to_type] = {"results": found}
        if assoc:
            out["associations"] = assoc
        return out

    # -- endpoints ----------------------------------------------------------------------------
    def list_objects(self, otype: str, path: str, query: dict[str, str]) -> dict[str, Any]:
        otype = object_type(otype)
        limit = _int(query.get("limit", "10"), "limit")
        if not 1 <= limit <= LIST_MAX:
            raise ApiError(400, f"limit must be between 1 and {LIST_MAX}; got {limit}.")
        archived = query.get("archived", "false").lower() == "true"
        names = self.wanted(otype, _split(query.get("properties")))
        assoc = [object_type(a) for a in _split(query.get("associations")) if a.lower() in TYPES]
        start = _decode_cursor(query["after"]) if query.get("after") else None
        with self.lock:
            rows = sorted((r for r in self.records[otype].values() if r.archived == archived), key=_id_key)
            if start is not None:
                rows = [r for r in rows if _id_key(r) >= start]
            body: dict[str, Any] = {"results": [self.to_json(r, names, assoc) for r in rows[:limit]]}
        if len(rows) > limit:
            after = _encode_cursor(_id_key(rows[limit]))
            link = f"{self.base_url}{path}?{urlencode({**query, 'after': after})}"
            body["paging"] = {"next": {"after": after, "link": link}}
        return body

    def read_object(self, otype: str, oid: str, query: dict[str, str]) -> dict[str, Any]:
        otype = object_type(otype)
        archived = query.get("archived", "false").lower() == "true"
        with self.lock:
            record = self._lookup(otype, oid, query.get("idProperty"))
            if record is None or record.archived != archived:
                raise ApiError(404, "resource not found", None)
            assoc = [object_type(a) for a in _split(query.get("associations")) if a.lower() in TYPES]
            return self.to_json(record, self.wanted(otype, _split(query.get("properties"))), assoc)

    def search(self, otype: str, body: dict[str, Any]) -> dict[str, Any]:
        otype = object_type(otype)
        limit = _int(body.get("limit") if body.get("limit") is not None else SEARCH_DEFAULT, "limit")
        if not 1 <= limit <= SEARCH_MAX:
            raise ApiError(400, f"limit must be between 1 and {SEARCH_MAX}; got {limit}.")
        after = _int(body.get("after") if body.get("after") not in (None, "") else 0, "after")
        if after < 0:
            raise ApiError(400, f"after must not be negative; got {after}.")
        if after + limit > SEARCH_CAP:
            raise ApiError(400, f"The search endpoints are limited to {SEARCH_CAP} total results for any given "
                                f"query; after ({after}) plus limit ({limit}) pages beyond {SEARCH_CAP}.")
        try:
            groups, sorts = q.parse_filter_groups(body), q.parse_sorts(body.get("sorts"))
        except q.QueryError as exc:
            raise ApiError(400, str(exc)) from None
        text = str(body.get("query") or "").strip().lower()
        props = body.get("properties")
        names = self.wanted(otype, _split(props) if isinstance(props, str) else props)
        with self.lock:  # search reads the index: archived records and unindexed changes are left out
            hits = [r for r in self.index[otype].values() if not r.archived and q.matches(r.properties, groups)
                    and (not text or any(text in str(r.properties.get(p) or "").lower() for p in SEARCHABLE[otype]))]
            hits = q.ordered(hits, lambda r: r.properties, sorts, Record.order)
            out: dict[str, Any] = {"total": len(hits),
                                   "results": [self.to_json(r, names) for r in hits[after:after + limit]]}
        if after + limit < len(hits):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return out

    def batch_read(self, otype: str, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        otype, started = object_type(otype), now_iso()
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
            raise ApiError(400, "Invalid input JSON: inputs must be a list of {\"id\": ...} objects.")
        if len(inputs) > BATCH_MAX:
            raise ApiError(400, f"Batch input size must be less than or equal to {BATCH_MAX}; got {len(inputs)}.")
        archived = query.get("archived", "false").lower() == "true"
        names = self.wanted(otype, body.get("properties"))
        results, missing, seen = [], [], set()
        with self.lock:
            for item in inputs:
                key = str(item["id"])
                record = self._lookup(otype, key, body.get("idProperty"))
                if record is None or record.archived != archived:
                    missing.append(key)
                elif record.id not in seen:
                    seen.add(record.id)
                    results.append(self.to_json(record, names))
        out: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if missing:
            out["numErrors"] = 1
            out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                              "message": f"Could not get some {SINGULAR[otype].upper()} objects, they may be "
                                         "deleted or not exist. Check that ids are valid.",
                              "context": {"ids": missing}}]
        out.update(startedAt=started, completedAt=now_iso())
        return (207 if missing else 200), out

    def associations_batch_read(self, from_type: str, to_type: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        from_type, to_type, started = object_type(from_type), object_type(to_type), now_iso()
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
            raise ApiError(400, "Invalid input JSON: inputs must be a list of {\"id\": ...} objects.")
        if len(inputs) > ASSOC_BATCH_MAX:
            raise ApiError(400, f"Batch input size must be less than or equal to {ASSOC_BATCH_MAX}; got {len(inputs)}.")
        results, errors = [], []
        with self.lock:
            for item in inputs:
                oid = str(item["id"])
                record = self.records[from_type].get(oid)
                found = self.associated(from_type, oid, to_type) if record and not record.archived else []
                found = [(t, ty) for t, ty in found if t in self.records[to_type] and not self.records[to_type][t].archived]
                if found:
                    results.append({"from": {"id": oid}, "to": [
                        {"toObjectId": int(t) if t.isdigit() else t,
                         "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label}
                                              for type_id, _, label in types]} for t, types in found]})
                else:
                    errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                                   "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                                   "message": f"No {SINGULAR[to_type]} is associated with {SINGULAR[from_type]} {oid}.",
                                   "context": {"fromObjectId": [oid], "fromObjectType": [SINGULAR[from_type]],
                                               "toObjectType": [SINGULAR[to_type]]}})
        out: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        out.update(startedAt=started, completedAt=now_iso())
        return (207 if errors else 200), out

    def list_pipelines(self, otype: str, pipeline_id: str | None = None) -> dict[str, Any]:
        if object_type(otype) != "deals":
            return {"results": []}
        if pipeline_id is None:
            return {"results": self.pipelines}
        for pipeline in self.pipelines:
            if pipeline["id"] == pipeline_id:
                return pipeline
        raise ApiError(404, f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND")

    def _lookup(self, otype: str, key: str, id_property: str | None) -> Record | None:
        if not id_property or id_property == "hs_object_id":
            return self.records[otype].get(key)
        return next((r for r in self.records[otype].values() if r.properties.get(id_property) == key), None)


def default_pipeline(created: str = "2020-01-01T00:00:00.000Z") -> dict[str, Any]:
    stages = [{"label": label, "displayOrder": order, "metadata": {"isClosed": str(closed).lower(),
                                                                    "probability": prob},
               "id": sid, "createdAt": created, "updatedAt": created, "archived": False,
               "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}
              for order, (sid, label, prob, closed) in enumerate(DEAL_STAGES)]
    return {"label": "Sales Pipeline", "displayOrder": 0, "id": "default", "stages": stages,
            "createdAt": created, "updatedAt": created, "archived": False}


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ApiError(400, f"{name} must be an integer; got {value!r}.") from None


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _encode_cursor(key: tuple) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}:{key[2]}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple:
    try:
        kind, num, text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":", 2)
        return (int(kind), int(num), text)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, f"Invalid after cursor: {cursor}") from None
