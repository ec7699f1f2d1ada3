"""The real sample export's workspace (``/work/shared/samples/notion``) as the Notion API gives it.

``sample_pages()`` writes its pages as API blocks, in the API reference's shapes
(developers.notion.com/reference/block, /reference/rich-text), from what the export shows of them:
every page but the 270 database rows, and three rows. ``sample_workspace(state, exported)`` serves
all of it, rows included (each titled by a date mention of the day its CSV title names), from the
loopback Notion API. The words are the sample's; only the block shapes are written here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kb.records import Document
from tests.ingestors.notion_server import NotionState
from tests.ingestors.notion_workspace import page, rt

Obj = dict[str, Any]
Blocks = dict[str, list[Obj]]
"""Blocks by parent: ``"page"`` is the page itself, other keys are block ids."""

HABITS = "152bb52ee2b5804da922efa8c3194444"  # the Habit Tracker database
HABITS_SOURCE = "5a5a5a5a5a5a4a5a8a5a5a5a5a5a5a5a"
MOBILE = "152bb52ee2b580179846fd78b2b60ea9"
HOME = "2a889dba369b48709ec62508d5020d93"
NEST = "In Notion, you can nest pages inside pages inside pages... infinitely. No more messy folders!"
BACK = "👈 To go back, tap the link at the top left, or swipe from left to right across your screen."


def date_mention(start: str, end: str | None = None, time_zone: str | None = None) -> dict[str, object]:
    return {
        "type": "mention",
        "mention": {"type": "date", "date": {"start": start, "end": end, "time_zone": time_zone}},
        "annotations": {},
        "plain_text": start if end is None else f"{start} → {end}",
        "href": None,
    }


def equation(expression: str) -> dict[str, object]:
    return {
        "type": "equation",
        "equation": {"expression": expression},
        "annotations": {},
        "plain_text": expression,
    }


def blk(
    kind: str, *items: dict[str, object], bid: str = "", children: bool = False, **extra: object
) -> dict[str, object]:
    return {
        "id": bid or kind,
        "type": kind,
        "has_children": children,
        kind: {"rich_text": list(items), **extra},
    }


SUB = "25592a85546546a48b02dfa4fb545e1d"


def sample_pages() -> dict[str, tuple[list[dict[str, object]], dict[str, list[dict[str, object]]]]]:
    """Pages of the real sample export written as API blocks (title, blocks by parent id)."""
    todo = lambda *items, checked=False, **kw: blk("to_do", *items, checked=checked, **kw)  # noqa: E731
    planner: list[dict[str, object]] = []
    for icon, name, tasks in (
        (
            "📝",
            "Publish my first book",
            [
                ("Research publishing options (traditional, self-publishing)", True),
                ("Define the genre and plot outline", False),
                ("Prepare a submission or publish the book", False),
            ],
        ),
        (
            "🏡",
            "Home renovation",
            [
                ("Set a budget and timeline for the project", True),
                ("Obtain necessary permits for construction", True),
                ("Research and hire contractors or decide on DIY", False),
                ("Define the scope of the renovation (kitchen, bathroom, etc.)", False),
            ],
        ),
        (
            "🏅",
            "Organize a charity event",
            [
                ("Decide on the type of event (auction, race, gala dinner)", True),
                ("Secure a venue and date for the event", True),
                ("Solicit donations or sponsorships", True),
                ("Host the event and collect donations", False),
            ],
        ),
    ):
        planner += [blk("heading_2", rt(f"{icon} "), rt(name, bold=True)), blk("divider")]
        planner += [todo(rt(t), checked=c) for t, c in tasks]
    week: list[dict[str, object]] = [blk("heading_1", rt("Sept 9 - Sept 13")), blk("divider")]
    for day in ("Mon", "Tues", "Wed", "Thur", "Fri", "Sat", "Sun"):
        done = (
            [todo(rt("Call Mom"), checked=True), todo(rt("Book appt"), checked=True)]
            if day == "Mon"
            else [todo(), todo()]
        )
        week += [blk("heading_3", rt(day)), *done, todo()]
    mobile = [
        blk("paragraph", rt("👋 Welcome to Notion!")),
        blk("paragraph", rt("Here are the basics:")),
        todo(rt("Tap anywhere and start typing")),
        todo(
            rt("Tap the + above your keyboard to add content — headers, sub pages, etc."),
            bid="sub",
            children=True,
        ),
        todo(rt("Highlight text and use the bar above your keyboard to format")),
        todo(rt("Tap and hold this line, then drag")),
        todo(rt("Tap the home tab button at the bottom left to see your pages")),
        todo(
            rt("Tap anywhere and select ✨ in the bar above your keyboard to check out "),
            rt("Notion AI", bold=True),
        ),
    ]
    child = {
        "id": SUB,
        "type": "child_page",
        "has_children": True,
        "child_page": {"title": "Example sub page"},
    }
    home = [
        {"id": i, "type": "child_database", "has_children": False, "child_database": {"title": t}}
        for i, t in (
            ("ba969b930dec4f26b1d82ab1f6306d94", ""),
            ("c86dcb5c74ae4e5399086dd0b8272e87", "My tasks"),
            ("0ef88ee1ec0d4a4880b32919ab8ece4a", "Home views"),
            ("c2ab2a001e964220aef9ec04059c4367", ""),
        )
    ]
    journal = [
        blk("heading_1", rt("October 4, 2024 — A Peaceful Forest Walk")),
        blk("paragraph", rt(JOURNAL)),
    ]
    return {
        "152bb52ee2b580ba808bed6975159f7c": ([rt("Journal")], {"page": journal}),
        SUB: ([rt("Example sub page")], {"page": [blk("paragraph", rt(NEST)), blk("paragraph", rt(BACK))]}),
        "c86dcb5c74ae4e5399086dd0b8272e87": ([rt("My tasks")], {}),
        "0ef88ee1ec0d4a4880b32919ab8ece4a": ([rt("Home views")], {}),
        "152bb52ee2b580f1bc1bd5ac36d7f9e3": ([rt("Project Planner")], {"page": planner}),
        "152bb52ee2b58053ad50ffb72303b147": ([rt("Weekly To-do List")], {"page": week}),
        MOBILE: (
            [rt("Getting Started on Mobile")],
            {"page": mobile, "sub": [child]},
        ),
        HOME: ([rt("Home")], {"page": home}),
        "191bb52ee2b5819aaaf3fcef734a6208": ([date_mention("2025-02-05")], {}),
        "247bb52ee2b581bd8427f3cc449ee2cd": ([date_mention("2025-08-06")], {}),  # "@Today" in the export
        "240bb52ee2b581abad8bd561f9f66fd0": ([date_mention("2025-07-30")], {}),  # "@Last Wednesday"
    }


JOURNAL = (
    "I decided to take advantage of the beautiful weather today by going for a walk in the nearby forest "
    "preserve. The sunlight filtered through the canopy above, casting dappled shadows on the forest floor. "
    "The air was filled with the sweet scent of blooming flowers and the gentle hum of insects. As I walked, "
    "I felt a deep sense of gratitude for the natural world and its ability to bring peace to my mind. I "
    "stopped by a small clearing to enjoy a picnic lunch, accompanied by the melodious songs of birds in the "
    "trees. Today was a wonderful reminder to make time for nature and to appreciate the simple pleasures it "
    "provides."
)
# Where each page hangs in the workspace (the export's folders): page -> parent page.
_PARENTS = {SUB: MOBILE, "c86dcb5c74ae4e5399086dd0b8272e87": HOME, "0ef88ee1ec0d4a4880b32919ab8ece4a": HOME}


def uuid(hex_id: str) -> str:
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def _serve(state: NotionState, hex_id: str, obj: Obj, title: list[Obj], blocks: Blocks) -> None:
    for prop in obj["properties"].values():
        if prop["type"] == "title":
            prop["title"] = title
    state.pages[uuid(hex_id)] = obj
    for parent, children in blocks.items():
        state.blocks[uuid(hex_id) if parent == "page" else parent] = children


def sample_workspace(state: NotionState, exported: list[Document]) -> NotionState:
    """Every page of the sample export served as API pages; the database rows (``exported``'s
    documents under Habit Tracker) titled by a date mention of their day."""
    ws = {"type": "workspace", "workspace": True}
    edited = "2025-08-06T20:00:00.000Z"
    rows = [d for d in exported if d.path == ["Habit Tracker"]]
    row_ids = {d.doc_id.split(":")[1] for d in rows}
    for hex_id, (title, blocks) in sample_pages().items():
        if hex_id in row_ids:
            continue  # served below, with the other rows
        parent = {"type": "page_id", "page_id": uuid(_PARENTS[hex_id])} if hex_id in _PARENTS else ws
        _serve(state, hex_id, page(uuid(hex_id), "", parent, edited), title, blocks)
    state.sources[uuid(HABITS_SOURCE)] = {
        "object": "data_source",
        "id": uuid(HABITS_SOURCE),
        "title": [rt("Habit Tracker")],
        "parent": {"type": "database_id", "database_id": uuid(HABITS)},
        "database_parent": ws,
        "properties": {},
        "in_trash": False,
        "archived": False,
    }
    row_parent = {
        "type": "data_source_id",
        "data_source_id": uuid(HABITS_SOURCE),
        "database_id": uuid(HABITS),
    }
    for doc in rows:
        day = datetime.strptime(doc.title, "@%B %d, %Y").date()
        hex_id = doc.doc_id.split(":")[1]
        row = page(uuid(hex_id), "", row_parent, edited)
        _serve(state, hex_id, row, [date_mention(day.isoformat())], {})
    return state
