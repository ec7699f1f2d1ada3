"""Google Drive API v3 through ``google-api-python-client``: credentials, listing, downloads and
the changes feed, each call rate-limited and retried by ``ingestors.pull_common.Caller``.

Credentials come from ``credentials_file``: a service account key (``"type": "service_account"``,
optionally impersonating ``subject`` through domain-wide delegation) or OAuth authorized-user
credentials (``"type": "authorized_user"``, as ``gcloud auth application-default login`` or an
OAuth consent flow writes them), both with the read-only scope ``SCOPES``. Credentials Google
refuses (a deleted key, a revoked refresh token) raise ``source_error`` naming the source and file.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httplib2
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from google.oauth2 import credentials as oauth_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from kb.config import SourceConfig
from kb.errors import IngestError

from .drive_fields import FOLDER_MIME
from .pull_common import Caller, Verdict, retry_after, source_error

SCOPES = ["https://www.googleapis.com/auth/drive.readonly"]
FILE_FIELDS = (
    "id,name,mimeType,parents,driveId,createdTime,modifiedTime,version,size,trashed,md5Checksum,"
    "description,webViewLink,properties,appProperties,labelInfo,owners(displayName,emailAddress),"
    "lastModifyingUser(displayName,emailAddress),permissions(type,role,emailAddress,domain,deleted)"
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
# Google-native type -> (export MIME type, file extension) per export_format.
EXPORTS: dict[str, dict[str, tuple[str, str]]] = {
    "application/vnd.google-apps.document": {"office": (DOCX, ".docx"), "markdown": ("text/markdown", ".md")},
    "application/vnd.google-apps.spreadsheet": {"office": (XLSX, ".xlsx"), "markdown": (XLSX, ".xlsx")},
    "application/vnd.google-apps.presentation": {"office": (PPTX, ".pptx"), "markdown": (PPTX, ".pptx")},
}
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
Obj = dict[str, Any]


def reasons(err: HttpError) -> set[str]:
    try:
        body = json.loads(err.content or b"{}")
        return {str(e.get("reason")) for e in body.get("error", {}).get("errors", []) if isinstance(e, dict)}
    except (ValueError, AttributeError):
        return set()


def judge(err: Exception) -> Verdict:
    if isinstance(err, HttpError):
        status = err.resp.status
        if status == 429 or (status == 403 and reasons(err) & _RATE_REASONS):
            return Verdict(True, retry_after(err.resp.get("retry-after")))
        return Verdict(status >= 500)
    if isinstance(err, RefreshError):
        return Verdict(False)
    return Verdict(
        isinstance(err, TransportError | httplib2.HttpLib2Error | socket.timeout | ConnectionError)
    )


def load_credentials(source: SourceConfig) -> Credentials:
    path = source.credentials_file
    try:
        info = json.loads(path.read_text(encoding="utf-8")) if path else None
    except (OSError, ValueError) as err:
        raise source_error(source, f"cannot read credentials_file {path}: {err}") from err
    if not isinstance(info, dict):
        info = {}
    kind = info.get("type")
    try:
        if kind == "service_account":
            creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call, unused-ignore]
                info, scopes=SCOPES
            )
            return creds.with_subject(source.subject) if source.subject else creds  # type: ignore[no-any-return, unused-ignore]
        if kind == "authorized_user":
            user = oauth_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call, unused-ignore]
                info, scopes=SCOPES
            )
            # google-auth ignores the file's token_uri; honour it (Google's own, or a test server).
            return user.with_token_uri(info["token_uri"]) if info.get("token_uri") else user  # type: ignore[no-any-return]
    except (ValueError, GoogleAuthError) as err:
        raise source_error(source, f"credentials_file {path} is not usable: {err}") from err
    raise source_error(
        source,
        f"credentials_file {path} is neither a service account key nor OAuth authorized-user "
        f"credentials (type {kind!r})",
    )


class DriveClient:
    """The Drive calls FreshKB makes; every ``HttpError`` left after the retries propagates,
    except refused credentials, which become ``IngestError`` naming the source."""

    def __init__(self, source: SourceConfig, caller: Caller) -> None:
        self.source = source
        self.caller = caller
        options = {"api_endpoint": f"{source.api_url.rstrip('/')}/drive/v3/"} if source.api_url else None
        self.service = build(
            "drive",
            "v3",
            credentials=load_credentials(source),
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    def _run(self, request: Any) -> Any:
        try:
            return self.caller.call(lambda: request.execute(num_retries=0))
        except RefreshError as err:
            raise self._refused(str(err)) from err
        except HttpError as err:
            if err.resp.status == 401:
                raise self._refused(f"HTTP 401 {reasons(err) or ''}") from err
            raise

    def _refused(self, detail: str) -> IngestError:
        return source_error(
            self.source,
            f"Google refused the credentials in {self.source.credentials_file} ({detail}): the key was "
            "deleted, the refresh token revoked or the delegation removed",
        )

    def _labels(self) -> dict[str, str]:
        return {"includeLabels": ",".join(self.source.labels)} if self.source.labels else {}

    def _pages(self, method: Callable[..., Any], key: str, **kwargs: Any) -> Iterator[Obj]:
        token: str | None = None
        while True:
            page = self._run(method(**kwargs, **({"pageToken": token} if token else {})))
            yield from page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return

    def drive_name(self, drive_id: str) -> str:
        return str(
            self._run(self.service.drives().get(driveId=drive_id, fields="id,name")).get("name") or drive_id
        )

    def folder(self, folder_id: str) -> Obj:
        return self._run(  # type: ignore[no-any-return]
            self.service.files().get(
                fileId=folder_id, fields="id,name,parents,mimeType", supportsAllDrives=True
            )
        )

    def files_in_drive(self, drive_id: str) -> Iterator[Obj]:
        return self._pages(
            self.service.files().list,
            "files",
            corpora="drive",
            driveId=drive_id,
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
            q="trashed = false",
            pageSize=100,
            fields=f"nextPageToken,files({FILE_FIELDS})",
            **self._labels(),
        )

    def children(self, folder_id: str) -> Iterator[Obj]:
        return self._pages(
            self.service.files().list,
            "files",
            corpora="allDrives",
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
            q=f"'{folder_id}' in parents and trashed = false",
            pageSize=100,
            fields=f"nextPageToken,files({FILE_FIELDS})",
            **self._labels(),
        )

    def permissions(self, file_id: str) -> list[Obj]:
        return list(
            self._pages(
                self.service.permissions().list,
                "permissions",
                fileId=file_id,
                supportsAllDrives=True,
                fields="nextPageToken,permissions(type,role,emailAddress,domain,deleted)",
            )
        )

    def content(self, resource: Obj, export_format: str) -> tuple[bytes, str]:
        """(bytes, file name with extension): Google-native files exported, others downloaded."""
        mime, name, file_id = str(resource.get("mimeType", "")), str(resource.get("name", "")), resource["id"]
        if mime in EXPORTS:
            target, ext = EXPORTS[mime][export_format]
            data = self._run(self.service.files().export_media(fileId=file_id, mimeType=target))
            return bytes(data), name if name.lower().endswith(ext) else name + ext
        data = self._run(self.service.files().get_media(fileId=file_id, supportsAllDrives=True))
        return bytes(data), name

    def start_token(self, drive_id: str | None) -> str:
        args = {"driveId": drive_id, "supportsAllDrives": True} if drive_id else {}
        return str(self._run(self.service.changes().getStartPageToken(**args))["startPageToken"])

    def changes(self, token: str, drive_id: str | None) -> tuple[list[Obj], str]:
        """Every change since ``token`` and the token to start from next time."""
        out: list[Obj] = []
        args: Obj = {"driveId": drive_id} if drive_id else {}
        while True:
            page = self._run(
                self.service.changes().list(
                    pageToken=token,
                    includeItemsFromAllDrives=True,
                    supportsAllDrives=True,
                    pageSize=100,
                    fields=f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))",
                    **args,
                    **self._labels(),
                )
            )
            out.extend(page.get("changes", []))
            if page.get("newStartPageToken"):
                return out, str(page["newStartPageToken"])
            token = str(page["nextPageToken"])


def is_folder(resource: Obj) -> bool:
    return resource.get("mimeType") == FOLDER_MIME
