"""Render a corpus as a Google Drive export, the layout ``examples/acme_drive.py`` uses.

``export_info.json``, ``manifest.jsonl`` (one Drive v3 File resource per line, folders first,
plus ``x_local_path``) and ``files/<fileId>/<name>.md``: every page is a Google Doc exported as
Markdown. The handbook is a My Drive folder owned by the maintainers' account with one subfolder
per section (root-level pages sit in the root folder). A page with ``owner_slack`` is owned by
that team's account, the others by the maintainers. Review metadata is in ``appProperties``
(``lastReviewed``: the ``last_reviewed_on`` date; ``reviewIntervalDays``: ``review_in`` in days,
months counted as 30 days like the Notion ingestor does). Every file is readable by anyone with
the link, as the published handbook is. File ids are ``"1" + <32 hex>`` (the corpus id rule), so
a page's Drive doc id is ``gdrive:1<hex>``; links between pages point at the target's Docs URL.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .corpus import Corpus, Doc, channel_display_name, channel_email, section_title
from .text import rewrite_links
from .zips import write_if_changed

DOC_MIME = "application/vnd.google-apps.document"
FOLDER_MIME = "application/vnd.google-apps.folder"
_UNITS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}
_INTERVAL_RE = re.compile(r"^(?:every\s+)?(\d+)\s*(day|week|month|quarter|year)s?$")


def interval_days(value: str) -> int | None:
    m = _INTERVAL_RE.match(" ".join(value.strip().lower().split()))
    return int(m.group(1)) * _UNITS[m.group(2)] if m and int(m.group(1)) > 0 else None


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _perm_id(key: str) -> str:
    return str(int(hashlib.sha1(key.encode()).hexdigest(), 16) % 10**20).zfill(20)


def _user(name: str, email: str) -> dict[str, Any]:
    return {
        "kind": "drive#user",
        "displayName": name,
        "emailAddress": email,
        "me": False,
        "permissionId": _perm_id(email),
    }


def _permissions(name: str, email: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": "drive#permission",
            "id": _perm_id(email),
            "type": "user",
            "role": "owner",
            "emailAddress": email,
            "displayName": name,
            "deleted": False,
        },
        {
            "kind": "drive#permission",
            "id": "anyoneWithLink",
            "type": "anyone",
            "role": "reader",
            "allowFileDiscovery": False,
        },
    ]


def local_name(title: str) -> str:
    return (" ".join(re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", title).split())[:100] or "Untitled") + ".md"


def doc_url(file_id: str) -> str:
    return f"https://docs.google.com/document/d/{file_id}/edit?usp=drivesdk"


class DriveExport:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.spec = corpus.spec
        name = self.spec.maintainers or f"{self.spec.handbook} maintainers"
        self.maintainers = (name, f"{self.spec.name}-maintainers@{self.spec.domain}")
        self.root_id = "1" + self.spec.hex_id("folder:")

    def folder_id(self, slug: str) -> str:
        return self.root_id if not slug else "1" + self.spec.hex_id(f"folder:{slug}")

    def owner(self, doc: Doc) -> tuple[str, str]:
        if doc.owner_channel:
            return channel_display_name(doc.owner_channel), channel_email(doc.owner_channel, self.spec)
        return self.maintainers

    def folder(self, fid: str, name: str, parent: str | None) -> dict[str, Any]:
        when = rfc3339(min(d.created for d in self.corpus.docs))
        entry: dict[str, Any] = {"kind": "drive#file", "id": fid, "name": name, "mimeType": FOLDER_MIME}
        if parent:
            entry["parents"] = [parent]
        entry |= {
            "createdTime": when,
            "modifiedTime": when,
            "trashed": False,
            "webViewLink": f"https://drive.google.com/drive/folders/{fid}",
            "owners": [_user(*self.maintainers)],
            "permissions": _permissions(*self.maintainers),
        }
        return entry

    def text(self, doc: Doc) -> str:
        def target(link: str, image: bool) -> str:
            found = self.corpus.resolve(link, doc)
            if found is None:
                return link
            page, absolute = found
            return absolute if page is None or image else doc_url(page.drive_file_id)

        body = rewrite_links(doc.page.body, target)
        return f"# {doc.title}\n\n{body}\n" if body else f"# {doc.title}\n"

    def file_entry(self, doc: Doc) -> tuple[dict[str, Any], bytes]:
        fid = doc.drive_file_id
        name = local_name(doc.title)
        data = self.text(doc).encode("utf-8")
        owner = self.owner(doc)
        entry: dict[str, Any] = {
            "kind": "drive#file",
            "id": fid,
            "name": doc.title,
            "mimeType": DOC_MIME,
            "parents": [self.folder_id(doc.section)],
            "createdTime": rfc3339(doc.created),
            "modifiedTime": rfc3339(doc.last_edited),
            "webViewLink": doc_url(fid),
            "trashed": False,
        }
        app: dict[str, str] = {}
        reviewed = doc.page.meta.get("last_reviewed_on", "").strip()
        if reviewed:
            try:
                app["lastReviewed"] = date.fromisoformat(reviewed).isoformat()
            except ValueError:
                app["lastReviewed"] = reviewed
        review_in = doc.page.meta.get("review_in", "").strip()
        if review_in:
            days = interval_days(review_in)
            app["reviewIntervalDays"] = str(days) if days else review_in
        if app:
            entry["appProperties"] = app
        entry["owners"] = [_user(*owner)]
        entry["lastModifyingUser"] = _user(*owner)
        entry["permissions"] = _permissions(*owner)
        entry["x_local_path"] = f"files/{fid}/{name}"
        return entry, data

    def build(self, out: Path) -> int:
        """Write the export under ``out``; return the number of files (folders excluded)."""
        slugs = sorted({d.section for d in self.corpus.docs if d.section})
        folders = [self.folder(self.root_id, self.spec.handbook, None)]
        folders += [self.folder(self.folder_id(s), section_title(s, self.spec), self.root_id) for s in slugs]
        docs = sorted(self.corpus.docs, key=lambda d: (d.section, d.created, d.path, d.hex))
        files = []
        for doc in docs:
            entry, data = self.file_entry(doc)
            write_if_changed(out / entry["x_local_path"], data)
            files.append(entry)
        # Drop files of pages no longer in the corpus, so the folder matches the manifest.
        keep = {f["id"] for f in files}
        local = {f["x_local_path"] for f in files}
        if (out / "files").is_dir():
            for folder in sorted((out / "files").iterdir()):
                if folder.name not in keep:
                    shutil.rmtree(folder)
                    continue
                for extra in folder.iterdir():
                    if f"files/{folder.name}/{extra.name}" not in local:
                        extra.unlink()
        lines = [json.dumps(e, ensure_ascii=False, sort_keys=False) for e in folders + files]
        write_if_changed(out / "manifest.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
        info = {
            "exported_at": rfc3339(self.corpus.head_time),
            "exporter": "freshkb evals/corpora/build.py (Drive API v3 File resources)",
            "root_folder_id": self.root_id,
            "timezone": self.spec.timezone,
        }
        write_if_changed(out / "export_info.json", (json.dumps(info, indent=2) + "\n").encode("utf-8"))
        return len(files)
