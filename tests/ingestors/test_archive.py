"""Tests for ingestors.archive: safe listing and reading of folder, zip and Part-zip exports."""

import io
import os
import struct
import unicodedata
import zipfile
from pathlib import Path

import pytest

from ingestors.archive import ExportArchive, safe_relpath
from kb.config import IngestSettings
from kb.errors import IngestError

LIMITS = IngestSettings()


def zip_bytes(files: dict[str, bytes | str], *, stored: bool = False) -> bytes:
    """Entries stamped with a fixed time, so the same files give the same bytes (a test comparing
    two zips built a second apart under load failed on the clock)."""
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 20, 12, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def write_zip(path: Path, files: dict[str, bytes | str], **kw: bool) -> Path:
    path.write_bytes(zip_bytes(files, **kw))
    return path


def contents(archive: ExportArchive) -> dict[str, bytes]:
    return {e.path: archive.read(e) for e in archive.entries}


def test_flat_zip_lists_and_reads_entries(tmp_path: Path) -> None:
    z = write_zip(tmp_path / "page.zip", {"A 1.md": "# A", "A 1/img.png": b"\x89PNG", "A 1/": ""})
    with ExportArchive(z, LIMITS) as archive:
        assert contents(archive) == {"A 1.md": b"# A", "A 1/img.png": b"\x89PNG"}
        assert archive.issues == [] and archive.complete


def test_outer_zip_of_parts_reads_every_part_and_names_the_part(tmp_path: Path) -> None:
    part1 = zip_bytes({"Export-u/A.md": "a"})
    part2 = zip_bytes({"Export-u/B.md": "b", "Export-u/B/attached.zip": zip_bytes({"x.md": "x"})})
    z = write_zip(
        tmp_path / "anything.zip", {"Export-u-Part-1.zip": part1, "ExportBlock-u-Part-2.zip": part2}
    )
    with ExportArchive(z, LIMITS) as archive:
        found = contents(archive)
        labels = {e.path: e.label for e in archive.entries}
    # The attached zip is an entry, never opened.
    assert set(found) == {"Export-u/A.md", "Export-u/B.md", "Export-u/B/attached.zip"}
    assert labels["Export-u/B.md"] == "ExportBlock-u-Part-2.zip/Export-u/B.md"


def test_corrupt_zip_is_reported_by_name(tmp_path: Path) -> None:
    z = tmp_path / "broken.zip"
    z.write_bytes(b"this is not a zip at all")
    with ExportArchive(z, LIMITS) as archive:
        assert archive.entries == [] and not archive.complete
        assert [i.input for i in archive.issues] == ["broken.zip"]
        assert "corrupt or truncated" in archive.issues[0].reason


def test_truncated_zip_is_reported_by_name(tmp_path: Path) -> None:
    data = zip_bytes({f"P {i}.md": "x" * 500 for i in range(5)})
    z = tmp_path / "cut.zip"
    z.write_bytes(data[: len(data) // 2])
    with ExportArchive(z, LIMITS) as archive:
        assert archive.entries == [] and not archive.complete
        assert archive.issues[0].input == "cut.zip"


def test_one_corrupt_part_among_good_ones(tmp_path: Path) -> None:
    good = zip_bytes({"Export-u/A.md": "a"})
    bad = zip_bytes({"Export-u/B.md": "b" * 400})[:100]
    z = write_zip(
        tmp_path / "ws.zip",
        {
            "Export-u-Part-1.zip": good,
            "Export-u-Part-2.zip": bad,
            "Export-u-Part-3.zip": zip_bytes({"Export-u/C.md": "c"}),
        },
    )
    with ExportArchive(z, LIMITS) as archive:
        assert contents(archive) == {"Export-u/A.md": b"a", "Export-u/C.md": b"c"}
        assert not archive.complete
        assert [i.input for i in archive.issues] == ["Export-u-Part-2.zip"]


def _corrupt_first_payload(data: bytes, marker: bytes) -> bytes:
    at = data.index(marker)
    return data[:at] + b"Z" + data[at + 1 :]


def test_crc_error_in_one_entry_is_raised_naming_it_and_others_still_read(tmp_path: Path) -> None:
    data = zip_bytes({"good.md": "fine", "bad.md": "PAYLOAD-PAYLOAD"}, stored=True)
    z = tmp_path / "crc.zip"
    z.write_bytes(_corrupt_first_payload(data, b"PAYLOAD-PAYLOAD"))
    with ExportArchive(z, LIMITS) as archive:
        by_path = {e.path: e for e in archive.entries}
        assert archive.read(by_path["good.md"]) == b"fine"
        with pytest.raises(IngestError, match="CRC") as info:
            archive.read(by_path["bad.md"])
    assert info.value.subject == "bad.md"


@pytest.mark.parametrize(
    "name", ["../evil.md", "/etc/passwd", "C:/Windows/x.md", "a/../../b.md", "..\\win.md"]
)
def test_zip_slip_entries_are_refused(tmp_path: Path, name: str) -> None:
    z = write_zip(tmp_path / "slip.zip", {name: "pwned", "ok.md": "ok"})
    with ExportArchive(z, LIMITS) as archive:
        assert contents(archive) == {"ok.md": b"ok"}
        assert [i.input for i in archive.issues] == [name]
        assert "escapes the export" in archive.issues[0].reason
        assert archive.rejected == [name]


def test_safe_relpath_normalises() -> None:
    assert safe_relpath("./a//b/./c.md") == "a/b/c.md"
    assert safe_relpath("win\\dir\\x.md") == "win/dir/x.md"
    assert safe_relpath(unicodedata.normalize("NFD", "Café.md")) == "Café.md"


def test_entry_over_max_entry_bytes_by_its_header(tmp_path: Path) -> None:
    z = write_zip(tmp_path / "big.zip", {"big.md": "x" * 1000, "small.md": "s"})
    with ExportArchive(z, IngestSettings(max_entry_bytes=100)) as archive:
        assert contents(archive) == {"small.md": b"s"}
        assert [i.input for i in archive.issues] == ["big.md"]
        assert "max_entry_bytes" in archive.issues[0].reason


def test_a_header_that_lies_about_the_size_is_not_trusted(tmp_path: Path) -> None:
    data = bytearray(zip_bytes({"liar.md": "x" * 5000}))
    # Central directory record: uncompressed size at offset 24 from its signature.
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 10)
    z = tmp_path / "liar.zip"
    z.write_bytes(bytes(data))
    with ExportArchive(z, IngestSettings(max_entry_bytes=100)) as archive:
        (entry,) = archive.entries  # the header claims 10 bytes: admitted
        with pytest.raises(IngestError) as info:
            archive.read(entry)
    assert info.value.subject == "liar.md"


def test_export_over_max_total_bytes_stops_and_is_incomplete(tmp_path: Path) -> None:
    z = write_zip(tmp_path / "bomb.zip", {f"p{i}.md": "x" * 600 for i in range(4)})
    with ExportArchive(z, IngestSettings(max_total_bytes=1500)) as archive:
        assert [e.path for e in archive.entries] == ["p0.md", "p1.md"]
        assert not archive.complete
        assert [i.input for i in archive.issues] == ["p2.md"]
        assert "max_total_bytes" in archive.issues[0].reason


def test_macos_junk_is_skipped_silently(tmp_path: Path) -> None:
    z = write_zip(tmp_path / "mac.zip", {"__MACOSX/._A.md": "junk", "x/.DS_Store": "junk", "A.md": "a"})
    with ExportArchive(z, LIMITS) as archive:
        assert contents(archive) == {"A.md": b"a"}
        assert archive.issues == []


def test_nfd_names_become_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Über Café 1.md")
    z = write_zip(tmp_path / "nfd.zip", {nfd: "u"})
    with ExportArchive(z, LIMITS) as archive:
        assert [e.path for e in archive.entries] == ["Über Café 1.md"]


def test_folder_export_with_tree_and_parts(tmp_path: Path) -> None:
    root = tmp_path / "export"
    (root / "Export-u" / "A").mkdir(parents=True)
    (root / "Export-u" / "A.md").write_text("a")
    (root / "Export-u" / "A" / "notes.zip").write_bytes(zip_bytes({"inner.md": "no"}))
    (root / "Export-u-Part-2.zip").write_bytes(zip_bytes({"Export-u/B.md": "b"}))
    (root / ".DS_Store").write_text("junk")
    with ExportArchive(root, LIMITS) as archive:
        assert contents(archive) == {
            "Export-u/A.md": b"a",
            "Export-u/B.md": b"b",
            "Export-u/A/notes.zip": zip_bytes({"inner.md": "no"}),
        }
        assert archive.complete and archive.issues == []


def test_folder_symlink_escaping_the_export_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    root = tmp_path / "export"
    root.mkdir()
    (root / "A.md").write_text("a")
    os.symlink(outside, root / "leak.md")
    os.symlink(tmp_path, root / "up")
    with ExportArchive(root, LIMITS) as archive:
        assert contents(archive) == {"A.md": b"a"}
        assert sorted(i.input for i in archive.issues) == ["leak.md", "up"]
        assert all("symlink" in i.reason for i in archive.issues)


def test_folder_entry_over_the_cap_while_reading(tmp_path: Path) -> None:
    root = tmp_path / "export"
    root.mkdir()
    (root / "A.md").write_text("a")
    with ExportArchive(root, IngestSettings(max_entry_bytes=10)) as archive:
        (entry,) = archive.entries
        (root / "A.md").write_text("grew after listing" * 10)  # the listed size no longer holds
        with pytest.raises(IngestError, match="max_entry_bytes"):
            archive.read(entry)


def test_missing_export_raises_naming_it(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as info:
        ExportArchive(tmp_path / "nope.zip", LIMITS)
    assert info.value.subject == str(tmp_path / "nope.zip")
