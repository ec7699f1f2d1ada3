"""A small Notion workspace in API form, served by ``tests.ingestors.notion_server``.

Engineering (page, root)
├── blocks: heading, paragraph with bold and a page mention, paragraph with a web link and
│           italics, paragraph with a date mention and an inline equation, link to "Personal
│           notes", lists (one nested), to-do, code, table, toggle with a child, callout, image
│           with a caption, divider, child page "Runbooks", child database "Wiki"
├── Runbooks (page)
└── Wiki (database -> data source): rows
    ├── Deploy guide: Owner alice, Verification verified by bob 2026-09-01 -> 2026-12-01
    └── Old deploy guide: Status Deprecated, Superseded by Deploy guide, unverified
Personal notes (page at the workspace level, outside the root)

``export_files()`` is the same workspace (under the Engineering root) as Notion's "Markdown & CSV"
export writes it (``/work/shared/reference/notion-export.md`` and the real sample): relative
file links, ``- [x]  `` to-dos, ``<aside>`` callouts, ``<details>`` toggles, four-space blank lines
around nested children, ``| --- |`` tables, no final newline.
"""

from __future__ import annotations

from typing import Any

from tests.ingestors.notion_server import NotionState

Obj = dict[str, Any]

ENG = "11111111-1111-4111-8111-111111111111"
RUNBOOKS = "22222222-2222-4222-8222-222222222222"
DB = "33333333-3333-4333-8333-333333333333"
DS = "44444444-4444-4444-8444-444444444444"
DEPLOY = "55555555-5555-4555-8555-555555555555"
OLD = "66666666-6666-4666-8666-666666666666"
NOTES = "77777777-7777-4777-8777-777777777777"
TOGGLE = "88888888-8888-4888-8888-888888888888"
TABLE = "99999999-9999-4999-8999-999999999999"
REVIEWERS = "12121212-1212-4212-8212-121212121212"
ALICE = "aaaaaaaa-0000-4000-8000-00000000000a"
BOB = "bbbbbbbb-0000-4000-8000-00000000000b"


def hexid(uuid: str) -> str:
    return uuid.replace("-", "")


def rt(text: str, **notes: Any) -> Obj:
    annotations = {"bold": False, "italic": False, "code": False, **notes}
    return {
        "type": "text",
        "text": {"content": text, "link": None},
        "annotations": annotations,
        "plain_text": text,
        "href": None,
    }


def link(text: str, url: str) -> Obj:
    return {**rt(text), "text": {"content": text, "link": {"url": url}}, "href": url}


def mention(page_id: str, title: str) -> Obj:
    return {
        "type": "mention",
        "mention": {"type": "page", "page": {"id": page_id}},
        "annotations": {"bold": False, "italic": False, "code": False},
        "plain_text": title,
        "href": f"https://www.notion.so/{hexid(page_id)}",
    }


def date_mention(start: str) -> Obj:
    return {
        "type": "mention",
        "mention": {"type": "date", "date": {"start": start, "end": None, "time_zone": None}},
        "annotations": {"bold": False, "italic": False, "code": False},
        "plain_text": start,
        "href": None,
    }


def equation(expression: str) -> Obj:
    return {
        "type": "equation",
        "equation": {"expression": expression},
        "annotations": {"bold": False, "italic": False, "code": False},
        "plain_text": expression,
        "href": None,
    }


def block(kind: str, text: str = "", *, bid: str = "", children: bool = False, **extra: Any) -> Obj:
    body: Obj = {"rich_text": [rt(text)] if text else [], **extra}
    return {
        "object": "block",
        "id": bid or f"b-{kind}-{abs(hash(text)) % 10**8}",
        "type": kind,
        "has_children": children,
        kind: body,
    }


def page(pid: str, title: str, parent: Obj, edited: str, props: Obj | None = None) -> Obj:
    return {
        "object": "page",
        "id": pid,
        "created_time": "2026-01-05T09:00:00.000Z",
        "last_edited_time": edited,
        "created_by": {"object": "user", "id": ALICE},
        "last_edited_by": {"object": "user", "id": BOB},
        "in_trash": False,
        "archived": False,
        "parent": parent,
        "url": f"https://www.notion.so/{hexid(pid)}",
        "properties": {
            "title" if parent.get("type") != "data_source_id" else "Name": {
                "id": "title",
                "type": "title",
                "title": [rt(title)],
            },
            **(props or {}),
        },
    }


def person(uid: str) -> Obj:
    return {"object": "user", "id": uid}


def workspace(state: NotionState) -> NotionState:
    state.users = [
        {
            "object": "user",
            "id": ALICE,
            "type": "person",
            "name": "Alice Chen",
            "person": {"email": "Alice.Chen@acme.com"},
        },
        {
            "object": "user",
            "id": BOB,
            "type": "person",
            "name": "Bob Ortiz",
            "person": {"email": "bob.ortiz@acme.com"},
        },
        {
            "object": "user",
            "id": "cccccccc-0000-4000-8000-00000000000c",
            "type": "bot",
            "name": "FreshKB",
            "bot": {},
        },
    ]
    ws = {"type": "workspace", "workspace": True}
    state.pages[ENG] = page(ENG, "Engineering", ws, "2026-11-01T10:00:00.000Z")
    state.pages[RUNBOOKS] = page(
        RUNBOOKS, "Runbooks", {"type": "page_id", "page_id": ENG}, "2026-11-02T10:00:00.000Z"
    )
    state.pages[NOTES] = page(NOTES, "Personal notes", ws, "2026-11-03T10:00:00.000Z")
    row_parent = {"type": "data_source_id", "data_source_id": DS, "database_id": DB}
    state.pages[DEPLOY] = page(
        DEPLOY,
        "Deploy guide",
        row_parent,
        "2026-11-04T10:00:00.000Z",
        {
            "Owner": {"id": "o", "type": "people", "people": [person(ALICE)]},
            "Status": {"id": "s", "type": "select", "select": {"name": "Active"}},
            "Tags": {"id": "t", "type": "multi_select", "multi_select": [{"name": "deploy"}, {"name": "ci"}]},
            "Verification": {
                "id": "v",
                "type": "verification",
                "verification": {
                    "state": "verified",
                    "verified_by": person(BOB),
                    "date": {
                        "start": "2026-09-01T00:00:00.000Z",
                        "end": "2026-12-01T00:00:00.000Z",
                        "time_zone": None,
                    },
                },
            },
        },
    )
    state.pages[OLD] = page(
        OLD,
        "Old deploy guide",
        row_parent,
        "2021-03-01T10:00:00.000Z",
        {
            "Status": {"id": "s", "type": "select", "select": {"name": "Deprecated"}},
            "Superseded by": {"id": "r", "type": "relation", "relation": [{"id": DEPLOY}], "has_more": False},
            "Verification": {
                "id": "v",
                "type": "verification",
                "verification": {"state": "unverified", "verified_by": None, "date": None},
            },
        },
    )
    state.sources[DS] = {
        "object": "data_source",
        "id": DS,
        "title": [rt("Wiki")],
        "parent": {"type": "database_id", "database_id": DB},
        "database_parent": {"type": "page_id", "page_id": ENG},
        "properties": {},
        "in_trash": False,
        "archived": False,
    }
    state.blocks[ENG] = [
        block("heading_1", "Overview"),
        {
            **block("paragraph", ""),
            "paragraph": {
                "rich_text": [
                    rt("We ship "),
                    rt("daily", bold=True),
                    rt(". See "),
                    mention(DEPLOY, "Deploy guide"),
                ]
            },
        },
        {
            **block("paragraph", ""),
            "paragraph": {
                "rich_text": [
                    rt("Read the "),
                    link("style guide", "https://example.com/style"),
                    rt(" before "),
                    rt("any", italic=True),
                    rt(" change."),
                ]
            },
        },
        {
            **block("paragraph", ""),
            "paragraph": {
                "rich_text": [
                    rt("Freeze starts "),
                    date_mention("2026-12-01"),
                    rt("; rollouts cost "),
                    equation("O(n \\log n)"),
                    rt("."),
                ]
            },
        },
        {
            "object": "block",
            "id": "b-link-to-notes",
            "type": "link_to_page",
            "has_children": False,
            "link_to_page": {"type": "page_id", "page_id": NOTES},  # shared, outside the root
        },
        block("bulleted_list_item", "CI must be green"),
        block("bulleted_list_item", "Two reviewers", bid=REVIEWERS, children=True),
        block("numbered_list_item", "Merge"),
        block("numbered_list_item", "Deploy"),
        block("to_do", "Write the changelog", checked=True),
        block("code", "kubectl rollout status deploy/api", language="bash"),
        {
            "object": "block",
            "id": TABLE,
            "type": "table",
            "has_children": True,
            "table": {"table_width": 2, "has_column_header": True},
        },
        block("toggle", "Rollback steps", bid=TOGGLE, children=True),
        {
            **block("callout", "Never deploy on Fridays"),
            "callout": {
                "rich_text": [rt("Never deploy on Fridays")],
                "icon": {"type": "emoji", "emoji": "⚠️"},
            },
        },
        {
            "object": "block",
            "id": "b-image",
            "type": "image",
            "has_children": False,
            "image": {
                "type": "file",
                "caption": [rt("Deploy flow")],
                "file": {"url": "https://files.example/x.png"},
            },
        },
        block("divider"),
        {
            "object": "block",
            "id": RUNBOOKS,
            "type": "child_page",
            "has_children": True,
            "child_page": {"title": "Runbooks"},
        },
        {
            "object": "block",
            "id": DB,
            "type": "child_database",
            "has_children": False,
            "child_database": {"title": "Wiki"},
        },
    ]
    state.blocks[REVIEWERS] = [block("bulleted_list_item", "One from the owning team")]
    state.blocks[TABLE] = [
        {
            "object": "block",
            "id": "row1",
            "type": "table_row",
            "has_children": False,
            "table_row": {"cells": [[rt("Service")], [rt("Owner")]]},
        },
        {
            "object": "block",
            "id": "row2",
            "type": "table_row",
            "has_children": False,
            "table_row": {"cells": [[rt("api")], [rt("platform")]]},
        },
    ]
    state.blocks[TOGGLE] = [block("paragraph", "Run the rollback job")]
    state.blocks[RUNBOOKS] = [block("heading_2", "Paging"), block("paragraph", "Page the on-call engineer.")]
    state.blocks[DEPLOY] = [block("paragraph", "Deploys go through the pipeline.")]
    state.blocks[OLD] = [block("paragraph", "Deploys are done by hand with fabric.")]
    state.blocks[NOTES] = [block("paragraph", "Private musings.")]
    return state


def _rel(*parts: str) -> str:
    """A relative link as the exporter writes it: path parts percent-encoded (spaces as %20)."""
    return "/".join(p.replace(" ", "%20") for p in parts)


def export_files(root: str = "Export-0b6c2f5e-2d1a-4c8e-9f00-5e1f2a3b4c5d") -> dict[str, str]:
    """The Engineering root of ``workspace()`` as Notion's Markdown & CSV export: path -> text."""
    eng, db = f"Engineering {hexid(ENG)}", f"Wiki {hexid(DB)}"
    deploy, old = f"Deploy guide {hexid(DEPLOY)}", f"Old deploy guide {hexid(OLD)}"
    runbooks = f"Runbooks {hexid(RUNBOOKS)}"
    engineering = (
        "# Engineering\n\n# Overview\n\n"
        f"We ship **daily**. See [Deploy guide]({_rel(eng, db, deploy + '.md')})\n\n"
        "Read the [style guide](https://example.com/style) before *any* change.\n\n"
        "Freeze starts @December 1, 2026; rollouts cost $O(n \\log n)$.\n\n"
        f"[Personal notes](https://www.notion.so/Personal-notes-{hexid(NOTES)}?pvs=21)\n\n"
        "- CI must be green\n- Two reviewers\n    - One from the owning team\n"
        "1. Merge\n2. Deploy\n- [x]  Write the changelog\n\n"
        "```bash\nkubectl rollout status deploy/api\n```\n\n"
        "| Service | Owner |\n| --- | --- |\n| api | platform |\n\n"
        "<details>\n<summary>Rollback steps</summary>\n\nRun the rollback job\n\n</details>\n\n"
        "<aside>\n⚠️ Never deploy on Fridays\n\n</aside>\n\n"
        f"![Untitled]({_rel(eng, 'Untitled.png')})\n\nDeploy flow\n\n---\n\n"
        f"[Runbooks]({_rel(eng, runbooks + '.md')})\n\n"
        f"[Wiki]({_rel(eng, db + '.csv')})"
    )
    rows = (
        "\ufeffName,Owner,Status,Superseded by,Tags,Verification\r\n"
        'Deploy guide,Alice Chen,Active,,"deploy, ci","Verified by Bob Ortiz until December 1, 2026"\r\n'
        f"Old deploy guide,,Deprecated,Deploy guide ({_rel(deploy + '.md')}),,Unverified\r\n"
    )
    return {
        f"{root}/{eng}.md": engineering,
        f"{root}/{eng}/{runbooks}.md": "# Runbooks\n\n## Paging\n\nPage the on-call engineer.",
        f"{root}/{eng}/{db}.csv": rows,
        f"{root}/{eng}/{db}_all.csv": rows,
        f"{root}/{eng}/{db}/{deploy}.md": (
            "# Deploy guide\n\nOwner: Alice Chen\nStatus: Active\nTags: deploy, ci\n"
            "Verification: Verified by Bob Ortiz until December 1, 2026\n\n"
            "Deploys go through the pipeline."
        ),
        f"{root}/{eng}/{db}/{old}.md": (
            "# Old deploy guide\n\nStatus: Deprecated\n"
            f"Superseded by: Deploy guide ({_rel(deploy + '.md')})\nVerification: Unverified\n\n"
            "Deploys are done by hand with fabric."
        ),
    }
