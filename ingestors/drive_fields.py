"""Pure mapping of one Drive v3 File resource (a manifest line) to FreshKB document metadata.

Owner, editor, dates, ACL, status, review date/interval, successor and predecessors come from the
resource as the Drive API returns it; nothing here applies rules or defaults (``kb.lifecycle.rules`` does).
A value that cannot be understood leaves its field empty and produces a warning naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from kb.clock import utc
from kb.config import DriveSettings
from kb.identity import People, normalize_email
from kb.records import ACTIVE, ARCHIVED, DEPRECATED, DRAFT, EVERYONE

FOLDER_MIME = "application/vnd.google-apps.folder"

_STATUSES = {
    ACTIVE: ACTIVE,
    DEPRECATED: DEPRECATED,
    ARCHIVED: ARCHIVED,
    DRAFT: DRAFT,
    "obsolete": DEPRECATED,
    "outdated": DEPRECATED,
}
_LABEL_VALUE_KINDS = ("dateString", "text", "integer", "selection", "user", "value")
_DRIVE_ID_IN_URL = re.compile(r"(?:/d/|[?&]id=)([A-Za-z0-9_-]{10,})")


@dataclass
class DriveMeta:
    """Document fields read from one File resource, plus warnings about values that were ignored."""

    owner: str | None = None
    last_edited_at: datetime | None = None
    last_edited_by: str | None = None
    last_reviewed_at: datetime | None = None
    review_interval_days: int | None = None
    status: str = ACTIVE
    superseded_by: str | None = None
    supersedes: list[str] = field(default_factory=list)
    acl: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    resolution: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def parse_when(value: object, tz: tzinfo) -> datetime | None:
    """ISO date or RFC 3339 datetime as aware UTC; dates and naive times are in ``tz``. None if not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return utc(datetime.combine(date.fromisoformat(text), time(), tz))
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=tz))


def gdrive_id(value: str) -> str | None:
    """``gdrive:<id>`` from a bare fileId, a ``gdrive:`` id or a Drive/Docs URL."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("gdrive:"):
        return value
    m = _DRIVE_ID_IN_URL.search(value)
    if m:
        return f"gdrive:{m.group(1)}"
    if re.fullmatch(r"[A-Za-z0-9_-]+", value):
        return f"gdrive:{value}"
    return None


def _label_value(f: object) -> str | None:
    if isinstance(f, dict):
        for kind in _LABEL_VALUE_KINDS:
            if kind in f:
                return _label_value(f[kind])
        return None
    if isinstance(f, list):
        return _label_value(f[0]) if f else None
    if f is None:
        return None
    return str(f)


def _user_email(f: object) -> object:
    return f.get("emailAddress", f.get("displayName")) if isinstance(f, dict) else f


def label_fields(resource: dict[str, Any]) -> list[tuple[str, list[str], str]]:
    """(where, names, value) for each label field; names are the field id and name if present.

    The Drive v3 shape is ``labelInfo.labels[].fields{fieldId: {dateString: [...], ...}}``; older
    or hand-made manifests use lists or bare values, so every level is read defensively.
    """
    info = resource.get("labelInfo")
    labels = info.get("labels") if isinstance(info, dict) else None
    out: list[tuple[str, list[str], str]] = []
    for label in labels if isinstance(labels, list) else []:
        if not isinstance(label, dict):
            continue
        label_id = str(label.get("id") or label.get("name") or "label")
        fields = label.get("fields")
        items = (
            fields.items()
            if isinstance(fields, dict)
            else (
                (str(f.get("id", i)), f)
                for i, f in enumerate(fields if isinstance(fields, list) else [])
                if isinstance(f, dict)
            )
        )
        for key, f in items:
            names = [str(key)]
            if isinstance(f, dict):
                names += [str(f[k]) for k in ("id", "name", "displayName") if f.get(k)]
                if "user" in f and isinstance(f["user"], list):
                    f = {"user": [_user_email(u) for u in f["user"]]}
            value = _label_value(f)
            if value is not None:
                out.append((f"labels.{label_id}.{key}", names, value))
    return out


class _Lookup:
    """Finds the first of ``keys`` in appProperties, then properties, then label fields."""

    def __init__(self, resource: dict[str, Any]) -> None:
        self.sources: list[tuple[str, list[str], str]] = []
        for bag in ("appProperties", "properties"):
            values = resource.get(bag)
            if isinstance(values, dict):
                self.sources += [(f"{bag}.{k}", [str(k)], str(v)) for k, v in values.items() if v is not None]
        self.sources += label_fields(resource)

    def find(self, keys: list[str]) -> tuple[str, str] | None:
        wanted = {k.casefold() for k in keys}
        for where, names, value in self.sources:
            if value.strip() and any(n.casefold() in wanted for n in names):
                return where, value.strip()
        return None


def acl_from(resource: dict[str, Any]) -> list[str]:
    """ACL from ``permissions`` (any role grants read) plus owners; empty when permissions are absent."""
    permissions = resource.get("permissions")
    if not isinstance(permissions, list):
        return []  # unknown access: kb.lifecycle.rules decides, never guess here
    acl: set[str] = set()
    for p in permissions:
        if not isinstance(p, dict) or p.get("deleted") is True:
            continue
        kind = str(p.get("type", "")).lower()
        email = normalize_email(str(p.get("emailAddress") or ""))
        domain = str(p.get("domain") or "").strip().lower()
        if kind in ("user", "group") and email:
            acl.add(f"{kind}:{email}")
        elif kind == "domain" and domain:
            acl.add(f"domain:{domain}")
        elif kind == "anyone":
            acl.add(EVERYONE)
    for owner in resource.get("owners") or []:
        if isinstance(owner, dict) and owner.get("emailAddress"):
            acl.add(f"user:{normalize_email(str(owner['emailAddress']))}")
    return sorted(acl)


def _person(value: object, people: People, where: str) -> tuple[str, str] | None:
    if not isinstance(value, dict):
        return None
    if value.get("emailAddress"):
        return normalize_email(str(value["emailAddress"])), f"{where}.emailAddress"
    if value.get("displayName"):
        return people.resolve(str(value["displayName"])), f"{where}.displayName"
    return None


def read_meta(resource: dict[str, Any], settings: DriveSettings, people: People, tz: tzinfo) -> DriveMeta:
    """Everything but text, title and path for one File resource."""
    meta = DriveMeta(acl=acl_from(resource), properties=flat_properties(resource))
    if meta.acl:
        meta.resolution["acl"] = "permissions"
    owners = resource.get("owners")
    owner = _person(owners[0], people, "owners[0]") if isinstance(owners, list) and owners else None
    if owner:
        meta.owner, meta.resolution["owner"] = owner
    editor = _person(resource.get("lastModifyingUser"), people, "lastModifyingUser")
    if editor:
        meta.last_edited_by, meta.resolution["last_edited_by"] = editor
    if resource.get("modifiedTime") is not None:
        meta.last_edited_at = parse_when(resource["modifiedTime"], tz)
        if meta.last_edited_at is None:
            meta.warnings.append(f"modifiedTime: unparseable date {resource['modifiedTime']!r}")
        else:
            meta.resolution["last_edited_at"] = "modifiedTime"
    _read_lifecycle(meta, _Lookup(resource), settings, tz)
    return meta


def _read_lifecycle(meta: DriveMeta, lookup: _Lookup, settings: DriveSettings, tz: tzinfo) -> None:
    if found := lookup.find(settings.review_date_keys):
        where, value = found
        meta.last_reviewed_at = parse_when(value, tz)
        if meta.last_reviewed_at is None:
            meta.warnings.append(f"{where}: unparseable date {value!r}")
        else:
            meta.resolution["last_reviewed_at"] = where
    if found := lookup.find(settings.review_interval_keys):
        where, value = found
        m = re.match(r"\s*(\d+)\s*(?:d|days?)?\s*$", value, re.IGNORECASE)
        if m and int(m.group(1)) >= 1:
            meta.review_interval_days = int(m.group(1))
            meta.resolution["review_interval_days"] = where
        else:
            meta.warnings.append(f"{where}: not a number of days {value!r}")
    if found := lookup.find(settings.status_keys):
        where, value = found
        meta.status = _STATUSES.get(value.lower(), ACTIVE)
        meta.resolution["status"] = where
    if found := lookup.find(settings.superseded_by_keys):
        where, value = found
        meta.superseded_by = gdrive_id(value)
        if meta.superseded_by:
            meta.resolution["superseded_by"] = where
        else:
            meta.warnings.append(f"{where}: not a Drive file id {value!r}")
    if found := lookup.find(settings.supersedes_keys):
        where, value = found
        ids = [gdrive_id(v) for v in value.split(",") if v.strip()]
        meta.supersedes = [i for i in ids if i]
        if meta.supersedes:
            meta.resolution["supersedes"] = where


def flat_properties(resource: dict[str, Any]) -> dict[str, Any]:
    """Source facts worth keeping, flattened to strings: custom properties, labels, Drive fields."""
    props: dict[str, Any] = {}
    for key in ("mimeType", "description", "createdTime", "driveId", "md5Checksum"):
        if resource.get(key) not in (None, ""):
            props[key] = str(resource[key])
    for bag in ("appProperties", "properties"):
        values = resource.get(bag)
        if isinstance(values, dict):
            props.update({f"{bag}.{k}": str(v) for k, v in values.items() if v is not None})
    props.update({where: value for where, _names, value in label_fields(resource)})
    return props
