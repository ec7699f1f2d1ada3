"""Tests for ingestors.notion: the real sample export by value, field mapping, and bad input."""

import io
import shutil
import unicodedata
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestors.notion import NotionIngestor
from kb.config import Settings, settings_from_dict
from kb.records import Document, SourceBatch
from tests.conftest import NOTION_SAMPLE

needs_sample = pytest.mark.skipif(
    not NOTION_SAMPLE.exists(), reason=f"real Notion sample missing at {NOTION_SAMPLE}"
)

FEB5 = "notion:191bb52ee2b5819aaaf3fcef734a6208"
MOBILE = "notion:152bb52ee2b580179846fd78b2b60ea9"
SUBPAGE = "notion:25592a85546546a48b02dfa4fb545e1d"
HOME = "notion:2a889dba369b48709ec62508d5020d93"
TODAY_NEW = "notion:247bb52ee2b581bd8427f3cc449ee2cd"
TODAY_OLD = "notion:152bb52ee2b58133a786fa3d8869531a"

# Ids of the synthetic workspace.
POL, CHILD, DB, OLD, NEW, EXT, GONE = (f"{n:x}" * 32 for n in range(1, 8))
ROOT = "Export-5f2e1c3a-0000-4000-8000-000000000001/"


def make_settings(**notion: Any) -> Settings:
    return settings_from_dict(
        {
            "people": [{"name": "Alice Smith", "email": "Alice@Example.com"}],
            "notion": {"timezone": "America/New_York", **notion},
        }
    )


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def workspace() -> dict[str, bytes | str]:
    all_csv = (
        "\ufeffName,Owner,Last reviewed,Review interval,Status,Superseded by,Supersedes,Team\r\n"
        f'Old guide ,Alice Smith,"June 18, 2025 12:29 PM",3 months,Deprecated,'
        f"New guide (New%20guide%20{NEW}.md),,Platform \r\n"
        f'New guide ,"Bob Jones, Alice Smith","@May 12, 2024",,In progress,,'
        f"Old guide (Old%20guide%20{OLD}.md),Platform\r\n"
    )
    return {
        f"{ROOT}Policies {POL}.md": (
            "# Policies\n\nOwner: Alice Smith\nNote: this line is prose, not a property.\n\n"
            f"See [Old guide](Docs%20{DB}/Old%20guide%20{OLD}.md), "
            f"[outside](https://www.notion.so/Elsewhere-{EXT}?pvs=21) and [gone](Gone%20{GONE}.md).\n"
        ),
        f"{ROOT}Policies {POL}/Child {CHILD}.md": "# Child page with a long title\n\nBody.\n",
        f"{ROOT}Docs {DB}.csv": "\ufeffName,Owner\r\nOld guide ,Alice Smith\r\n",
        f"{ROOT}Docs {DB}_all.csv": all_csv,
        f"{ROOT}Docs {DB}/Old guide {OLD}.md": (
            "# Old guide\n\nOwner: Alice Smith\nLast reviewed: June 18, 2025 12:29 PM\n"
            "Review interval: 3 months\nStatus: Deprecated\n"
            f"Superseded by: New guide (New%20guide%20{NEW}.md)\n\n## Setup\n\nOld steps.\n"
        ),
        f"{ROOT}Docs {DB}/New guide {NEW}.md": (
            "# New guide\n\nOwner: Bob Jones, Alice Smith\nLast reviewed: @May 12, 2024\n"
            f"Status: In progress\nSupersedes: Old guide (Old%20guide%20{OLD}.md)\n\n"
            f"New steps, see [Policies](../Policies%20{POL}.md).\n"
        ),
        f"{ROOT}index.html": "<html><body>page tree</body></html>",
    }


def read_files(
    tmp_path: Path, files: dict[str, bytes | str], settings: Settings | None = None
) -> SourceBatch:
    z = tmp_path / "export.zip"
    z.write_bytes(zip_bytes(files))
    return NotionIngestor(settings or make_settings()).read(z)


def docs_by_id(batch: SourceBatch) -> dict[str, Document]:
    return {d.doc_id: d for d in batch.documents}


# -- the real sample --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample() -> SourceBatch:
    if not NOTION_SAMPLE.exists():
        pytest.skip(f"real Notion sample missing at {NOTION_SAMPLE}")
    return NotionIngestor(settings_from_dict({})).read(NOTION_SAMPLE)


@needs_sample
def test_sample_every_page_is_a_document_and_nothing_else(sample: SourceBatch) -> None:
    # 278 .md pages; the two CSVs and index.html are not documents.
    assert len(sample.documents) == 278
    assert sample.complete
    assert sample.issues == []
    assert all(d.acl == [] and d.source == "notion" for d in sample.documents)


@needs_sample
def test_sample_database_row_by_value(sample: SourceBatch) -> None:
    doc = docs_by_id(sample)[FEB5]
    assert doc.title == "@February 5, 2025"
    assert doc.path == ["Habit Tracker"]
    assert doc.properties["Full date"] == "February 5, 2025 6:16 AM"
    assert doc.properties["Ran today"] == "No"
    assert doc.url == "https://www.notion.so/February-5-2025-191bb52ee2b5819aaaf3fcef734a6208"
    assert doc.text == "# @February 5, 2025"
    assert doc.last_edited_at is None  # "Full date" is not mapped by default


@needs_sample
def test_sample_plain_page_and_subpage(sample: SourceBatch) -> None:
    docs = docs_by_id(sample)
    mobile, sub = docs[MOBILE], docs[SUBPAGE]
    assert (mobile.title, mobile.path, mobile.properties) == ("Getting Started on Mobile", [], {})
    assert mobile.links == [SUBPAGE]
    assert mobile.text.startswith("# Getting Started on Mobile\n\n👋 Welcome to Notion!")
    assert (sub.title, sub.path) == ("Example sub page", ["Getting Started on Mobile"])
    assert "nest pages inside pages" in sub.text


@needs_sample
def test_sample_home_links_resolve_by_id_and_dangling_ones_are_dropped(sample: SourceBatch) -> None:
    home = docs_by_id(sample)[HOME]
    assert (home.title, home.path) == ("Home", [])
    # It links to four database CSVs; two have pages with the same id in the export, two dangle.
    assert home.links == [
        "notion:c86dcb5c74ae4e5399086dd0b8272e87",
        "notion:0ef88ee1ec0d4a4880b32919ab8ece4a",
    ]


@needs_sample
def test_sample_all_csv_rows_are_merged(sample: SourceBatch) -> None:
    docs = docs_by_id(sample)
    merged = [d for d in sample.documents if "_all.csv" in d.resolution.get("properties", "")]
    # 269 CSV rows, each matched to its row page.
    assert len(merged) == 269
    # The row pages' Markdown writes 10 dates near the export relative to it ("@Today", "@Monday",
    # "@Last Sunday"); the CSV writes every one absolute. Made absolute from the export's day
    # (ingestors.notion_mentions), every title is the CSV's, as a pull gives it.
    assert all(d.title == d.properties["Date"] for d in merged)
    assert docs[TODAY_NEW].title == "@August 6, 2025" and docs[TODAY_NEW].text == "# @August 6, 2025"
    # A second, older "@Today" page has no CSV row: its own properties are kept.
    assert "Date" not in docs[TODAY_OLD].properties
    assert docs[TODAY_OLD].properties["Full date"] == "December 4, 2024 8:45 AM"


@needs_sample
def test_sample_dates_parse_to_utc_when_mapped() -> None:
    settings = settings_from_dict(
        {"notion": {"timezone": "America/New_York", "properties": {"last_edited": ["Full date"]}}}
    )
    batch = NotionIngestor(settings).read(NOTION_SAMPLE)
    doc = docs_by_id(batch)[FEB5]
    assert doc.last_edited_at == datetime(2025, 2, 5, 11, 16, tzinfo=UTC)
    assert doc.resolution["last_edited_at"] == "property 'Full date'"
    assert batch.issues == []


@needs_sample
def test_sample_unpacked_outer_zip_folder_gives_the_same_documents(
    tmp_path: Path, sample: SourceBatch
) -> None:
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(NOTION_SAMPLE) as outer:
        outer.extractall(folder)  # leaves the Part zip(s) as files, like unzipping the download
    batch = NotionIngestor(settings_from_dict({})).read(folder)
    assert [d.model_dump() for d in batch.documents] == [d.model_dump() for d in sample.documents]


# -- field mapping (synthetic export) ---------------------------------------------------------
def test_database_rows_map_owner_dates_interval_status_and_relations(tmp_path: Path) -> None:
    batch = read_files(tmp_path, workspace())
    docs = docs_by_id(batch)
    old, new = docs[f"notion:{OLD}"], docs[f"notion:{NEW}"]
    assert old.owner == "alice@example.com"
    assert old.last_reviewed_at == datetime(2025, 6, 18, 16, 29, tzinfo=UTC)
    assert old.review_interval_days == 91  # "3 months": calendar months
    assert old.status == "deprecated"
    assert old.superseded_by == f"notion:{NEW}"
    assert old.path == ["Docs"]
    assert old.acl == []
    assert old.resolution == {
        "properties": f"property block + row of 'Docs {DB}_all.csv'",
        "owner": "property 'Owner'",
        "last_reviewed_at": "property 'Last reviewed'",
        "review_interval_days": "property 'Review interval'",
        "status": "property 'Status'",
        "superseded_by": "property 'Superseded by'",
    }
    assert old.text == "# Old guide\n\n## Setup\n\nOld steps."
    assert new.owner == "Bob Jones"  # first person; unknown to the people table: kept as exported
    assert new.last_reviewed_at == datetime(2024, 5, 12, 4, 0, tzinfo=UTC)
    assert new.status == "active" and new.properties["Status"] == "In progress"
    assert "not in notion.status_map" in new.resolution["status"]
    assert new.supersedes == [f"notion:{OLD}"]
    assert new.links == [f"notion:{POL}"]
    assert batch.issues == [] and batch.complete


def test_properties_hidden_from_the_markdown_come_from_the_all_csv(tmp_path: Path) -> None:
    old = docs_by_id(read_files(tmp_path, workspace()))[f"notion:{OLD}"]
    assert old.properties["Team"] == "Platform"  # trailing space of the CSV cell trimmed
    assert old.properties["Owner"] == "Alice Smith"


def test_plain_page_reads_only_configured_property_names(tmp_path: Path) -> None:
    docs = docs_by_id(read_files(tmp_path, workspace()))
    pol = docs[f"notion:{POL}"]
    assert pol.properties == {"Owner": "Alice Smith"}
    assert pol.owner == "alice@example.com"
    assert "Note: this line is prose, not a property." in pol.text
    # Relative link resolved; notion.so link to a page outside the export kept; dangling dropped.
    assert pol.links == [f"notion:{OLD}", f"notion:{EXT}"]
    child = docs[f"notion:{CHILD}"]
    assert (child.title, child.path) == ("Child page with a long title", ["Policies"])
    assert child.url == f"https://www.notion.so/Child-page-with-a-long-title-{CHILD}"


def ny(y: int, m: int, d: int) -> datetime:
    """Local midnight in the test settings' time zone (America/New_York, summer)."""
    return datetime(y, m, d, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "reviewed", "interval", "owner"),
    [
        # Only the end is shown: the review is taken as notion.verification_days (90) before it.
        (
            "Verified by Alice Smith until June 1, 2026",
            ny(2026, 6, 1) - timedelta(days=90),
            90,
            "alice@example.com",
        ),
        (
            "Verified by Alice Smith on March 3, 2026 until June 1, 2026",
            ny(2026, 3, 3) + timedelta(hours=1),
            90,
            "alice@example.com",
        ),
        ("Verified May 12, 2024 → August 10, 2024", ny(2024, 5, 12), 90, None),
        ("Verified May 12, 2024", ny(2024, 5, 12), None, None),
        ("Verified by Alice Smith", None, None, "alice@example.com"),
        ("Unverified", None, None, None),
        ("Expired", None, None, None),
    ],
)
def test_wiki_verification_property(
    tmp_path: Path, value: str, reviewed: datetime | None, interval: int | None, owner: str | None
) -> None:
    files = {
        f"{ROOT}Wiki {DB}_all.csv": "\ufeffName,Verification\r\n",
        f"{ROOT}Wiki {DB}/Page {OLD}.md": f"# Page\n\nVerification: {value}\n\nBody\n",
    }
    batch = read_files(tmp_path, files, make_settings())
    (doc,) = batch.documents
    assert (doc.last_reviewed_at, doc.review_interval_days, doc.owner) == (reviewed, interval, owner)
    assert doc.resolution["last_reviewed_at"].startswith("property 'Verification'")
    if interval is not None:
        # The review falls due on the day the verification expires.
        due = doc.last_reviewed_at + timedelta(days=interval)
        assert due.date() == (date(2026, 6, 1) if "2026" in value else date(2024, 8, 10))
    assert batch.issues == []


def test_owner_property_wins_over_the_verifier(tmp_path: Path) -> None:
    files = {
        f"{ROOT}Wiki {DB}_all.csv": "\ufeffName,Owner,Verification\r\n",
        f"{ROOT}Wiki {DB}/Page {OLD}.md": (
            "# Page\n\nOwner: Bob Jones\nVerification: Verified by Alice Smith until June 1, 2026\n\nBody\n"
        ),
    }
    (doc,) = read_files(tmp_path, files, make_settings()).documents
    assert (doc.owner, doc.resolution["owner"]) == ("Bob Jones", "property 'Owner'")


def test_a_newer_review_date_wins_over_an_older_verification(tmp_path: Path) -> None:
    files = {
        f"{ROOT}Wiki {DB}_all.csv": "\ufeffName,Last reviewed,Verification\r\n",
        f"{ROOT}Wiki {DB}/Page {OLD}.md": (
            "# Page\n\nLast reviewed: July 1, 2026\nVerification: Verified May 12, 2024\n\nBody\n"
        ),
    }
    (doc,) = read_files(tmp_path, files, make_settings()).documents
    assert (doc.last_reviewed_at, doc.resolution["last_reviewed_at"]) == (
        ny(2026, 7, 1),
        "property 'Last reviewed'",
    )


def test_unparseable_verification_date_is_a_warning_naming_the_property(tmp_path: Path) -> None:
    files = {f"{ROOT}Page {OLD}.md": "# Page\n\nVerification: Verified until someday\n\nBody\n"}
    batch = read_files(tmp_path, files, make_settings())
    (doc,) = batch.documents
    assert doc.last_reviewed_at is None
    (issue,) = batch.issues
    assert issue.input.endswith("property 'Verification'") and "someday" in issue.reason


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("90", 90),
        ("90 days", 90),
        ("3 months", 91),
        ("6 months", 183),
        ("12 months", 365),
        ("1 year", 365),
        ("weekly", 7),
        ("Quarterly", 91),
    ],
)
def test_review_interval_forms(tmp_path: Path, value: str, days: int) -> None:
    files = {f"{ROOT}Page {OLD}.md": f"# Page\n\nReview interval: {value}\n\nBody\n"}
    (doc,) = read_files(tmp_path, files).documents
    assert doc.review_interval_days == days


# -- bad input: reported by name, the rest ingested -------------------------------------------
def test_unparseable_and_relative_dates_are_warnings_and_the_page_is_kept(tmp_path: Path) -> None:
    files = workspace()
    old = f"{ROOT}Docs {DB}/Old guide {OLD}.md"
    new = f"{ROOT}Docs {DB}/New guide {NEW}.md"
    files[old] = str(files[old]).replace("June 18, 2025 12:29 PM", "sometime soon")
    files[new] = str(files[new]).replace("@May 12, 2024", "@Last Wednesday")
    batch = read_files(tmp_path, files)
    docs = docs_by_id(batch)
    assert docs[f"notion:{OLD}"].last_reviewed_at is None
    assert docs[f"notion:{NEW}"].last_reviewed_at is None
    issues = {i.input: i for i in batch.issues}
    assert set(issues) == {f"{old}: property 'Last reviewed'", f"{new}: property 'Last reviewed'"}
    assert all(i.severity == "warning" for i in batch.issues)
    assert "sometime soon" in issues[f"{old}: property 'Last reviewed'"].reason
    assert "relative date" in issues[f"{new}: property 'Last reviewed'"].reason
    assert batch.complete and len(batch.documents) == 4


def test_malformed_csv_is_reported_and_rows_come_from_the_pages(tmp_path: Path) -> None:
    for broken in (
        '\ufeffName,Owner,Team\r\n"Old guide ,Alice\r\n',  # unterminated quote
        "\ufeffName,Owner,Team\r\nOld guide,Alice\r\n",  # ragged row
        b"\xff\xfeName,Owner\r\n",
    ):  # not UTF-8
        files = workspace()
        files[f"{ROOT}Docs {DB}_all.csv"] = broken
        batch = read_files(tmp_path, files)
        assert [i.input for i in batch.issues] == [f"{ROOT}Docs {DB}_all.csv"]
        old = docs_by_id(batch)[f"notion:{OLD}"]
        assert old.owner == "alice@example.com" and "Team" not in old.properties
        assert batch.complete and len(batch.documents) == 4


def test_undecodable_page_is_an_error_and_the_export_incomplete(tmp_path: Path) -> None:
    files = workspace()
    files[f"{ROOT}Broken {GONE}.md"] = b"# Broken\n\n\xff\xfe\xfa not utf-8"
    files[f"{ROOT}Bom {EXT}.md"] = "\ufeff# With a BOM\n\nFine.\n".encode()
    batch = read_files(tmp_path, files)
    assert [(i.input, i.severity) for i in batch.issues] == [(f"{ROOT}Broken {GONE}.md", "error")]
    assert "UTF-8" in batch.issues[0].reason
    assert not batch.complete
    assert docs_by_id(batch)[f"notion:{EXT}"].title == "With a BOM"
    assert len(batch.documents) == 5


def test_attachments_are_warnings_not_failures(tmp_path: Path) -> None:
    files = workspace()
    files[f"{ROOT}Policies {POL}/diagram.xyz"] = b"\x00\x01"
    files[f"{ROOT}Policies {POL}/files.zip"] = zip_bytes({f"Hidden {GONE}.md": "# Hidden"})
    batch = read_files(tmp_path, files)
    assert sorted((i.input, i.severity) for i in batch.issues) == [
        (f"{ROOT}Policies {POL}/diagram.xyz", "warning"),
        (f"{ROOT}Policies {POL}/files.zip", "warning"),
    ]
    assert f"notion:{GONE}" not in docs_by_id(batch)  # an attached zip is never unpacked
    assert batch.complete and len(batch.documents) == 4


def test_corrupt_and_truncated_zips_are_reported_and_incomplete(tmp_path: Path) -> None:
    cases = (("corrupt.zip", b"PK\x03\x04 garbage"), ("truncated.zip", zip_bytes(workspace())[:300]))
    for name, data in cases:
        z = tmp_path / name
        z.write_bytes(data)
        batch = NotionIngestor(make_settings()).read(z)
        assert batch.documents == [] and not batch.complete
        assert [i.input for i in batch.issues] == [name]


def workspace_parts() -> dict[str, bytes | str]:
    files = workspace()
    names = sorted(files)
    return {
        "Export-u-Part-1.zip": zip_bytes({n: files[n] for n in names[:3]}),
        "Export-u-Part-2.zip": zip_bytes({n: files[n] for n in names[3:]}),
    }


def test_outer_zip_of_parts_equals_the_flat_export(tmp_path: Path) -> None:
    flat = read_files(tmp_path, workspace())
    parts = read_files(tmp_path, workspace_parts())
    assert parts.complete and parts.issues == []
    assert [d.model_dump() for d in parts.documents] == [d.model_dump() for d in flat.documents]


def test_one_corrupt_part_among_good_ones(tmp_path: Path) -> None:
    files = workspace_parts()
    files["Export-u-Part-2.zip"] = bytes(files["Export-u-Part-2.zip"])[:200]
    files["Export-u-Part-3.zip"] = zip_bytes({f"{ROOT}Extra {GONE}.md": "# Extra\n"})
    batch = read_files(tmp_path, files)
    assert [i.input for i in batch.issues] == ["Export-u-Part-2.zip"]
    assert not batch.complete
    assert f"notion:{GONE}" in docs_by_id(batch)
    assert len(batch.documents) == 3  # Part-1 held Docs/New guide, Docs/Old guide; Part-3 Extra


def test_zip_slip_and_oversized_pages_are_refused_and_the_export_incomplete(tmp_path: Path) -> None:
    files = workspace()
    files[f"../Evil {GONE}.md"] = "# Evil"
    files[f"{ROOT}Huge {EXT}.md"] = "# Huge\n\n" + "x" * 5000
    settings = make_settings()
    settings.ingest.max_entry_bytes = 4000
    batch = read_files(tmp_path, files, settings)
    issues = {i.input: i.reason for i in batch.issues}
    assert set(issues) == {f"../Evil {GONE}.md", f"{ROOT}Huge {EXT}.md"}
    assert "zip-slip" in issues[f"../Evil {GONE}.md"]
    assert "max_entry_bytes" in issues[f"{ROOT}Huge {EXT}.md"]
    assert not batch.complete
    assert len(batch.documents) == 4


def test_folder_export_equals_the_zip(tmp_path: Path) -> None:
    z = tmp_path / "export.zip"
    z.write_bytes(zip_bytes(workspace()))
    folder = tmp_path / "folder"
    with zipfile.ZipFile(z) as zf:
        zf.extractall(folder)
    from_zip = NotionIngestor(make_settings()).read(z)
    from_folder = NotionIngestor(make_settings()).read(folder)
    assert [d.model_dump() for d in from_folder.documents] == [d.model_dump() for d in from_zip.documents]
    assert from_folder.complete and from_folder.issues == []
    shutil.rmtree(folder)


def test_nfd_and_percent_encoded_names_still_match_links(tmp_path: Path) -> None:
    nfd_name = unicodedata.normalize("NFD", f"Café Über {OLD}.md")
    files: dict[str, bytes | str] = {
        f"{ROOT}Index {POL}.md": (
            f"# Index\n\n[café](Caf%C3%A9%20%C3%9Cber%20{OLD}.md) [raw](Raw%20notes.md)\n"
        ),
        f"{ROOT}{nfd_name}": unicodedata.normalize("NFD", "# Café Über\n\nText\n"),
        f"{ROOT}Raw%20notes.md": "# Raw notes\n\nNo id in this name.\n",  # mangled by a re-zip
    }
    batch = read_files(tmp_path, files)
    docs = docs_by_id(batch)
    raw = next(d for d in batch.documents if d.title == "Raw notes")
    assert docs[f"notion:{POL}"].links == [f"notion:{OLD}", raw.doc_id]
    assert docs[f"notion:{OLD}"].source_path == f"{ROOT}Café Über {OLD}.md"
    assert docs[f"notion:{OLD}"].title == "Café Über"  # NFC, like the rest of the text
    assert [i.severity for i in batch.issues] == ["warning"]  # the id derived for Raw notes


def test_missing_export_raises_naming_it(tmp_path: Path) -> None:
    from kb.errors import IngestError

    with pytest.raises(IngestError) as info:
        NotionIngestor(make_settings()).read(tmp_path / "missing.zip")
    assert "missing.zip" in str(info.value)


def test_links_match_nfd_and_percent_encoded_paths_without_ids(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {
        f"{ROOT}Index {POL}.md": "# Index\n\n[about](%C3%9Cber%20uns.md)\n",
        f"{ROOT}{unicodedata.normalize('NFD', 'Über uns.md')}": "# Über uns\n",
    }
    batch = read_files(tmp_path, files)
    about = next(d for d in batch.documents if d.title == "Über uns")
    assert docs_by_id(batch)[f"notion:{POL}"].links == [about.doc_id]


def test_last_edited_fields_and_title_fallback(tmp_path: Path) -> None:
    files = {
        f"{ROOT}Edited {OLD}.md": (
            "# Edited\n\nLast edited time: June 20, 2025 9:00 AM\n"
            "Last edited by: alice smith, Bob Jones\n\nBody\n"
        ),
        f"{ROOT}No heading here {NEW}.md": "Just text, no title line.\n",
    }
    docs = docs_by_id(read_files(tmp_path, files))
    edited = docs[f"notion:{OLD}"]
    assert edited.last_edited_at == datetime(2025, 6, 20, 13, 0, tzinfo=UTC)
    assert edited.last_edited_by == "alice@example.com"
    assert edited.resolution["last_edited_by"] == "property 'Last edited by'"
    untitled = docs[f"notion:{NEW}"]
    assert (untitled.title, untitled.text) == ("No heading here", "Just text, no title line.")


def test_dangling_relation_is_a_warning(tmp_path: Path) -> None:
    files = {f"{ROOT}Page {OLD}.md": f"# Page\n\nSuperseded by: Gone (Gone%20{GONE}.md)\n\nBody\n"}
    batch = read_files(tmp_path, files)
    assert batch.documents[0].superseded_by is None
    assert [(i.input, i.severity) for i in batch.issues] == [
        (f"{ROOT}Page {OLD}.md: property 'Superseded by'", "warning")
    ]


def _dashed(hex_id: str) -> str:
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def test_html_export_pages(tmp_path: Path) -> None:
    page = (
        f'<html><body><article id="{_dashed(POL)}" class="page sans"><header>'
        '<h1 class="page-title">Runbook for deploys</h1><table class="properties"><tbody>'
        '<tr class="property-row"><th><span class="icon"></span>Owner</th>'
        '<td><span class="user"><img src="x.png"/>Alice Smith</span></td></tr>'
        "<tr><th>Last reviewed</th><td><time>@February 1, 2022 7:07 PM</time></td></tr>"
        '</tbody></table></header><div class="page-body"><h2 id="a">Deploy</h2>'
        f'<p id="b">Run <a href="Runbook%20{POL}/Child.html">the <b>child</b></a> first.</p>'
        "<ul><li>step one</li></ul></div></article></body></html>"
    )
    child = (
        f'<html><body><article id="{_dashed(CHILD)}"><header><h1 class="page-title">Child</h1>'
        '</header><div class="page-body"><p>Hi</p></div></article></body></html>'
    )
    files: dict[str, bytes | str] = {
        f"{ROOT}Runbook {POL}.html": page,
        f"{ROOT}Runbook {POL}/Child.html": child,
        f"{ROOT}index.html": "<html></html>",
    }
    batch = read_files(tmp_path, files)
    assert batch.issues == [] and batch.complete
    docs = docs_by_id(batch)
    runbook = docs[f"notion:{POL}"]
    assert runbook.title == "Runbook for deploys"
    assert runbook.owner == "alice@example.com"
    assert runbook.last_reviewed_at == datetime(2022, 2, 2, 0, 7, tzinfo=UTC)
    assert runbook.text == (
        "# Runbook for deploys\n\n## Deploy\n\n"
        "Run the child first.\n\n- step one"  # a link between pages keeps its text (the canonical form)
    )
    assert runbook.links == [f"notion:{CHILD}"]
    assert docs[f"notion:{CHILD}"].path == ["Runbook for deploys"]
