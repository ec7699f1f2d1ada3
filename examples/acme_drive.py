"""Write the Acme Google Drive export: export_info.json, manifest.jsonl and files/<fileId>/<name>.

The manifest holds one Drive API v3 File resource per line (folders included) plus
``x_local_path``, as the export script described in shared/reference/drive-export.md writes it.
Google Docs and Sheets are exported as docx/xlsx; PDFs and Markdown files are stored as
uploaded. Files under "Engineering Shared" live in a shared drive: they have a ``driveId`` and
no ``owners``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import acme_files
from acme_common import EXPORT_ISO, Source, drive_id, hex_id, write_if_changed

ROOT_FOLDER = "Acme Shared"
SHARED_DRIVE = "Engineering Shared"
SHARED_DRIVE_ID = "0A" + hex_id("shared-drive", SHARED_DRIVE, 17)
ROOT_OWNER = "Omar Haddad"
FOLDER_TIME = "2022-01-10T09:00:00.000Z"

# The Drive API reports people with their email; config.toml's [[people]] maps the same names.
EMAILS = {
    "Alice Chen": "alice.chen@acme.com",
    "Ben Ortiz": "ben.ortiz@acme.com",
    "Priya Nair": "priya.nair@acme.com",
    "Marcus Webb": "marcus.webb@acme.com",
    "Lena Fischer": "lena.fischer@acme.com",
    "Sam Okafor": "sam.okafor@acme.com",
    "Hana Sato": "hana.sato@acme.com",
    "Dana Kim": "dana.kim@acme.com",
    "Raj Patel": "raj.patel@acme.com",
    "Tom Becker": "tom.becker@acme.com",
    "Grace Liu": "grace.liu@acme.com",
    "Omar Haddad": "omar.haddad@acme.com",
}
# Folder-level sharing: restricted spaces are shared with their group only.
FOLDER_SHARE = {"Security": ["group:security@acme.com:writer"], "HR": ["group:hr@acme.com:writer"]}

MIME = {
    "docx": (
        "application/vnd.google-apps.document",
        "https://docs.google.com/document/d/{}/edit?usp=drivesdk",
    ),
    "xlsx": (
        "application/vnd.google-apps.spreadsheet",
        "https://docs.google.com/spreadsheets/d/{}/edit?usp=drivesdk",
    ),
    "pdf": ("application/pdf", "https://drive.google.com/file/d/{}/view?usp=drivesdk"),
    "md": ("text/markdown", "https://drive.google.com/file/d/{}/view?usp=drivesdk"),
}
FOLDER_MIME = "application/vnd.google-apps.folder"


def user(name: str) -> dict[str, Any]:
    return {
        "kind": "drive#user",
        "displayName": name,
        "emailAddress": EMAILS[name],
        "me": False,
        "permissionId": perm_id(EMAILS[name]),
    }


def perm_id(key: str) -> str:
    return str(int(hashlib.sha1(key.encode()).hexdigest(), 16) % 10**20).zfill(20)


def permissions(owner: str | None, share: list[str]) -> list[dict[str, Any]]:
    """Expand ``type:address:role[:deleted]`` shorthands into Drive permission resources."""
    perms: list[dict[str, Any]] = []
    if owner:
        perms.append(
            {
                "kind": "drive#permission",
                "id": perm_id(EMAILS[owner]),
                "type": "user",
                "role": "owner",
                "emailAddress": EMAILS[owner],
                "displayName": owner,
                "deleted": False,
            }
        )
    for item in share:
        kind, *rest = item.split(":")
        if kind == "anyone":
            perms.append(
                {
                    "kind": "drive#permission",
                    "id": "anyoneWithLink",
                    "type": "anyone",
                    "role": rest[0],
                    "allowFileDiscovery": False,
                }
            )
            continue
        address, role = rest[0], rest[1]
        perm: dict[str, Any] = {"kind": "drive#permission", "type": kind, "role": role}
        if kind == "domain":
            perm |= {
                "id": hex_id("perm", address, 20) + "k",
                "domain": address,
                "displayName": "Acme",
                "allowFileDiscovery": True,
            }
        else:
            perm |= {"id": perm_id(address), "emailAddress": address}
        perm["deleted"] = len(rest) > 2 and rest[2] == "deleted"
        perms.append(perm)
    return perms


def folder_entries(paths: list[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Folder resources for every folder the files use, parents first; and path -> id."""
    entries: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    shared_root = {
        "kind": "drive#file",
        "id": SHARED_DRIVE_ID,
        "name": SHARED_DRIVE,
        "mimeType": FOLDER_MIME,
        "driveId": SHARED_DRIVE_ID,
        "createdTime": FOLDER_TIME,
        "modifiedTime": FOLDER_TIME,
        "trashed": False,
        "webViewLink": f"https://drive.google.com/drive/folders/{SHARED_DRIVE_ID}",
    }
    root_id = drive_id("", ROOT_FOLDER)
    ids[SHARED_DRIVE], ids[ROOT_FOLDER] = SHARED_DRIVE_ID, root_id
    entries.append(folder(root_id, ROOT_FOLDER, [], None))
    entries.append(shared_root)
    for path in paths:
        if path.startswith(SHARED_DRIVE + "/"):
            parent, name = path.rsplit("/", 1)
            ids[path] = drive_id("", path)
            entries.append(folder(ids[path], name, [ids[parent]], SHARED_DRIVE_ID))
        elif path not in ids:
            ids[path] = drive_id("", f"{ROOT_FOLDER}/{path}")
            entries.append(folder(ids[path], path, [root_id], None))
    return entries, ids


def folder(fid: str, name: str, parents: list[str], drive: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": "drive#file", "id": fid, "name": name, "mimeType": FOLDER_MIME}
    if parents:
        entry["parents"] = parents
    if drive:
        entry["driveId"] = drive
    entry |= {
        "createdTime": FOLDER_TIME,
        "modifiedTime": FOLDER_TIME,
        "trashed": False,
        "webViewLink": f"https://drive.google.com/drive/folders/{fid}",
    }
    if drive is None:
        entry["owners"] = [user(ROOT_OWNER)]
        share = FOLDER_SHARE.get(name, ["domain:acme.com:reader"])
        entry["permissions"] = permissions(ROOT_OWNER, share)
    else:
        entry["permissions"] = permissions(None, ["group:engineering@acme.com:organizer"])
    return entry


def file_bytes(src: Source, title: str) -> bytes:
    m = src.meta
    author = m.get("owner") or m["last_modifying"]
    fmt = m["format"]
    if fmt == "docx":
        return acme_files.docx_bytes(
            title, src.body, author, m["last_modifying"], m["created"], m["modified"]
        )
    if fmt == "pdf":
        return acme_files.pdf_bytes(title, src.body, author, m["modified"])
    if fmt == "xlsx":
        return acme_files.xlsx_bytes(src.body, author, m["created"], m["modified"])
    return acme_files.md_bytes(title, src.body)


def file_entry(src: Source, folder_ids: dict[str, str], names: dict[str, str], out: Path) -> dict[str, Any]:
    m = src.meta
    title, fmt, folder_path = m["name"], m["format"], m["folder"]
    fid = names[title]
    native = fmt in ("docx", "xlsx")
    name = title if native else f"{title}.{fmt}"
    local_name = f"{title}.{fmt}"
    data = file_bytes(src, title)
    write_if_changed(out / "files" / fid / local_name, data)
    mime, view = MIME[fmt]
    entry: dict[str, Any] = {
        "kind": "drive#file",
        "id": fid,
        "name": name,
        "mimeType": mime,
        "parents": [folder_ids[folder_path]],
    }
    shared = folder_path.startswith(SHARED_DRIVE + "/")
    if shared:
        entry["driveId"] = SHARED_DRIVE_ID
    entry |= {
        "createdTime": m["created"],
        "modifiedTime": m["modified"],
        "webViewLink": view.format(fid),
        "trashed": bool(m.get("trashed", False)),
    }
    if not native:
        entry |= {"md5Checksum": hashlib.md5(data).hexdigest(), "size": str(len(data))}
    if app := m.get("app_properties"):
        entry["appProperties"] = {
            k: (names[v[1:]] if str(v).startswith("@") else str(v)) for k, v in app.items()
        }
    if not shared:
        entry["owners"] = [user(m["owner"])]
    entry["lastModifyingUser"] = user(m["last_modifying"])
    entry["permissions"] = permissions(None if shared else m["owner"], list(m.get("share", [])))
    entry["x_local_path"] = f"files/{fid}/{local_name}"
    return entry


def build(sources: list[Source], out: Path) -> int:
    """Write the export under ``out``; return the number of (non-folder) files."""
    paths = sorted({s.meta["folder"] for s in sources}, key=lambda p: (p.count("/"), p))
    folders, folder_ids = folder_entries(paths)
    names = {}
    for s in sources:
        base = SHARED_DRIVE if s.meta["folder"].startswith(SHARED_DRIVE) else ROOT_FOLDER
        names[s.meta["name"]] = drive_id(base, f"{s.meta['folder']}/{s.meta['name']}")
    files = [file_entry(s, folder_ids, names, out) for s in sources]
    # Drop files of documents no longer in the sources, so the folder matches the manifest.
    for stale in (out / "files").iterdir():
        if stale.name not in {f["id"] for f in files}:
            shutil.rmtree(stale)
    lines = [json.dumps(e, ensure_ascii=False) for e in folders + files]
    write_if_changed(out / "manifest.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    info = {
        "exported_at": EXPORT_ISO,
        "exporter": "acme-drive-export 1.4 (Drive API v3)",
        "root_folder_id": folder_ids[ROOT_FOLDER],
        "timezone": "America/New_York",
    }
    write_if_changed(out / "export_info.json", (json.dumps(info, indent=2) + "\n").encode("utf-8"))
    return len(files)
