"""A loopback HTTP server implementing the parts of Google Drive API v3 and Google's OAuth 2.0
token endpoint that ``ingestors.drive_api`` calls, written from the public API reference:

- ``POST /token``: the JWT-bearer grant of a service account (the assertion's RS256 signature is
  checked against the key's public half, its ``scope`` and ``sub`` recorded) and the
  refresh-token grant of OAuth authorized-user credentials; ``revoked`` answers ``invalid_grant``;
- ``GET /drive/v3/files`` (``q``: ``'<id>' in parents and trashed = false`` or
  ``trashed = false``; ``corpora``/``driveId``; ``pageToken``/``pageSize`` capped at
  ``max_page_size``), ``files/<id>`` (``alt=media`` downloads), ``files/<id>/export``
  (``mimeType``; 403 ``exportSizeLimitExceeded`` past 10 MB), ``files/<id>/permissions``,
  ``drives/<id>``, ``changes/startPageToken`` and ``changes`` (``pageToken``, ``driveId``);
- ``Authorization: Bearer`` with an issued access token (401 otherwise); injected faults per
  path (``fail``), 429 carrying ``Retry-After``.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt

from tests.loopback import LoopbackServer, QuietHandler

Obj = dict[str, Any]
EXPORT_LIMIT = 10 * 1024 * 1024


class DriveState:
    def __init__(self, public_key: Any = None, refresh_token: str = "1//refresh") -> None:
        self.public_key = public_key
        self.refresh_token = refresh_token
        self.revoked = False
        self.tokens: set[str] = set()
        self.grants: list[Obj] = []  # JWT claims or refresh grants seen at /token
        self.files: dict[str, Obj] = {}
        self.content: dict[str, bytes] = {}
        self.exports: dict[str, dict[str, bytes]] = {}
        self.permissions: dict[str, list[Obj]] = {}
        self.drives: dict[str, str] = {}
        self.changes: list[Obj] = []
        self.max_page_size = 2
        self.faults: dict[str, list[int]] = defaultdict(list)
        self.log: list[tuple[str, str]] = []
        self.queries: list[Obj] = []  # query parameters of every files.list
        self.lock = threading.Lock()

    def fail(self, path: str, *statuses: int) -> None:
        self.faults[path].extend(statuses)

    def calls(self, prefix: str) -> int:
        return sum(1 for _m, p in self.log if p.startswith(prefix))

    def add(
        self, resource: Obj, content: bytes | None = None, exports: dict[str, bytes] | None = None
    ) -> None:
        resource.setdefault("version", "1")
        self.files[resource["id"]] = resource
        if content is not None:
            self.content[resource["id"]] = content
            resource["size"] = str(len(content))
        if exports is not None:
            self.exports[resource["id"]] = exports

    def change(self, file_id: str, *, removed: bool = False) -> None:
        """Record a change to ``file_id`` (bumping its version) in the changes feed."""
        res = self.files.get(file_id)
        if res is not None and not removed:
            res["version"] = str(int(res.get("version", "1")) + 1)
        entry: Obj = {"kind": "drive#change", "fileId": file_id, "removed": removed}
        if res is not None and not removed:
            entry["file"] = dict(res)
        entry["_drive"] = (res or {}).get("driveId")
        self.changes.append(entry)


def _error(status: int, reason: str, message: str) -> Obj:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
        }
    }


_IN_PARENTS = re.compile(r"^'([^']+)' in parents and trashed = false$")


class _Handler(QuietHandler):
    server: DriveServer

    def do_POST(self) -> None:
        st = self.server.state
        form = {
            k: v[0]
            for k, v in parse_qs(
                self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            ).items()
        }
        if urlparse(self.path).path != "/token":
            return self.send_json(404, _error(404, "notFound", "not found"))
        if st.revoked:
            return self.send_json(
                400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            )
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            # google-auth always addresses the assertion to Google's token endpoint, whatever token_uri is.
            claims = jwt.decode(
                form["assertion"],
                st.public_key,
                algorithms=["RS256"],
                audience="https://oauth2.googleapis.com/token",
            )
            st.grants.append(claims)
        elif form.get("grant_type") == "refresh_token" and form.get("refresh_token") == st.refresh_token:
            st.grants.append({"refresh_token": form["refresh_token"], "client_id": form.get("client_id")})
        else:
            return self.send_json(400, {"error": "invalid_grant", "error_description": "Bad grant."})
        token = f"ya29.test-{len(st.tokens)}"
        st.tokens.add(token)
        self.send_json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def do_GET(self) -> None:
        st = self.server.state
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        with st.lock:
            st.log.append(("GET", url.path))
            fault = st.faults[url.path].pop(0) if st.faults[url.path] else None
        auth = self.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in st.tokens or st.revoked:
            return self.send_json(401, _error(401, "authError", "Invalid Credentials"))
        if fault is not None:
            headers = {"Retry-After": "1"} if fault == 429 else None
            reason = {429: "rateLimitExceeded", 403: "userRateLimitExceeded"}.get(fault, "backendError")
            return self.send_json(fault, _error(fault, reason, "injected"), headers)
        parts = url.path.removeprefix("/drive/v3/").split("/")
        self._route(parts, q)

    def _route(self, parts: list[str], q: Obj) -> None:
        st = self.server.state
        if parts == ["files"]:
            st.queries.append(q)
            return self.send_json(200, self._page(self._list(q), q, "files"))
        if len(parts) >= 2 and parts[0] == "files" and parts[1] in st.files:
            fid = parts[1]
            if len(parts) == 2 and q.get("alt") == "media":
                return self.send_bytes(200, st.content.get(fid, b""), "application/octet-stream")
            if len(parts) == 2:
                return self.send_json(200, st.files[fid])
            if parts[2] == "export":
                data = st.exports.get(fid, {}).get(q.get("mimeType", ""))
                if data is None:
                    return self.send_json(
                        400, _error(400, "badRequest", "Export only supports Docs Editors files.")
                    )
                if len(data) > EXPORT_LIMIT:
                    return self.send_json(
                        403, _error(403, "exportSizeLimitExceeded", "This file is too large to be exported.")
                    )
                return self.send_bytes(200, data, q["mimeType"])
            if parts[2] == "permissions":
                return self.send_json(200, self._page(st.permissions.get(fid, []), q, "permissions"))
        if len(parts) == 2 and parts[0] == "drives" and parts[1] in st.drives:
            return self.send_json(200, {"kind": "drive#drive", "id": parts[1], "name": st.drives[parts[1]]})
        if parts == ["changes", "startPageToken"]:
            return self.send_json(
                200, {"kind": "drive#startPageToken", "startPageToken": str(len(st.changes))}
            )
        if parts == ["changes"]:
            return self.send_json(200, self._changes(q))
        self.send_json(404, _error(404, "notFound", f"File not found: {'/'.join(parts)}"))

    def _list(self, q: Obj) -> list[Obj]:
        st = self.server.state
        wanted = set(filter(None, q.get("includeLabels", "").split(",")))
        # labelInfo carries only the labels asked for with includeLabels, as in the API.
        live = [
            {**f, "labelInfo": {"labels": [x for x in f["labelInfo"]["labels"] if x["id"] in wanted]}}
            if "labelInfo" in f
            else f
            for f in st.files.values()
            if not f.get("trashed")
        ]
        if q.get("corpora") == "drive":
            return [f for f in live if f.get("driveId") == q.get("driveId")]
        m = _IN_PARENTS.match(q.get("q", ""))
        return [f for f in live if m and m.group(1) in (f.get("parents") or [])]

    def _page(self, items: list[Obj], q: Obj, key: str) -> Obj:
        size = min(int(q.get("pageSize") or 100), self.server.state.max_page_size)
        start = int(q.get("pageToken") or 0)
        out: Obj = {key: items[start : start + size]}
        if start + size < len(items):
            out["nextPageToken"] = str(start + size)
        return out

    def _changes(self, q: Obj) -> Obj:
        st = self.server.state
        start = int(q["pageToken"])
        drive = q.get("driveId")
        picked = [
            {k: v for k, v in c.items() if k != "_drive"}
            for c in st.changes[start : start + st.max_page_size]
            if c.get("_drive") == drive
        ]
        end = start + st.max_page_size
        if end < len(st.changes):
            return {"changes": picked, "nextPageToken": str(end)}
        return {"changes": picked, "newStartPageToken": str(len(st.changes))}


class DriveServer(LoopbackServer[DriveState]):
    def __init__(self, state: DriveState) -> None:
        super().__init__(state, _Handler)
