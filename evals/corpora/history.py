"""Read a tech-docs handbook's pages and their history from a git directory (no work tree).

A *page* is a Markdown file under ``source/`` (``*.html.md.erb``, ``*.html.md``, old ``*.md``).
Three kinds end up in a corpus:

- ``live``: every page at the built revision (HEAD unless told otherwise);
- ``deleted``: a path whose latest removal was a deletion (``git log --diff-filter=D``), at its
  last version (``git show <commit>^:<path>``);
- ``renamed``: a path whose latest removal was a rename (``-M``, ``--diff-filter=R``), at its
  version just before the rename. Its successor is known (the path it was renamed to, followed
  to the end of the chain), but nothing in the rendered export says so.

Dates are git committer dates: last edit = the file's last commit before HEAD (or before its
removal), created = the first commit of the file following renames (``git log --follow``).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

State = Literal["live", "deleted", "renamed"]

PAGE_RE = re.compile(r"^source/.+\.md(\.erb)?$")


class GitError(RuntimeError):
    """A git command failed; the message has git's stderr."""


class Git:
    """Runs ``git --git-dir=<dir> ...`` and returns its output."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir

    def run(self, *args: str) -> str:
        return self.run_bytes(*args).decode("utf-8", errors="replace")

    def run_bytes(self, *args: str) -> bytes:
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "-c", "core.quotepath=off", *args],
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    def head(self, rev: str = "HEAD") -> tuple[str, datetime]:
        """The commit ``rev`` names and its committer date."""
        sha, when = self.run("log", "-1", "--format=%H%x00%cI", rev, "--").strip().split("\0")
        return sha, datetime.fromisoformat(when)

    def show(self, rev: str, path: str) -> str:
        data = self.run_bytes("show", f"{rev}:{path}")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")

    def exists(self, rev: str, path: str) -> bool:
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "cat-file", "-e", f"{rev}:{path}"],
            capture_output=True,
            check=False,
        )
        return proc.returncode == 0

    def last_commit(self, rev: str, path: str) -> tuple[str, datetime]:
        out = self.run("log", "-1", "--format=%H%x00%cI", rev, "--", path).strip()
        sha, when = out.split("\0")
        return sha, datetime.fromisoformat(when)

    def first_commit(self, rev: str, path: str) -> datetime:
        """Date of the file's first commit, following renames."""
        out = self.run("log", "--follow", "--format=%cI", rev, "--", path).split()
        return datetime.fromisoformat(out[-1])


@dataclass(frozen=True)
class Removal:
    """A commit that deleted ``path`` or renamed it to ``renamed_to``."""

    path: str
    commit: str
    at: datetime
    renamed_to: str | None = None
    similarity: int | None = None


@dataclass
class Version:
    """One page of the corpus: a path at one revision."""

    path: str
    state: State
    rev: str
    """Revision the content is read at: the built revision, or ``<removing commit>^``."""
    raw: str
    last_commit: str
    last_edited: datetime
    created: datetime
    removal: Removal | None = None
    key: str = ""
    """Identity in the id rule: the path, or ``<path>@deleted`` when the path is also live."""
    successor_path: str | None = None
    """For a renamed page: the last path of its rename chain (live, or itself removed)."""
    rename_chain: list[str] = field(default_factory=list)


def is_page(path: str) -> bool:
    return bool(PAGE_RE.match(path))


def removals(git: Git, rev: str) -> dict[str, Removal]:
    """Latest removal (deletion or rename) of every page path before ``rev``, by commit date."""
    out = git.run(
        "log", rev, "--format=C%x00%H%x00%cI", "--name-status", "-M", "--diff-filter=DR", "--", "source/"
    )
    latest: dict[str, Removal] = {}
    commit, at = "", datetime.min
    for line in out.splitlines():
        if line.startswith("C\0"):
            _, commit, when = line.split("\0")
            at = datetime.fromisoformat(when)
            continue
        if not line.strip():
            continue
        status, *paths = line.split("\t")
        if status == "D" and is_page(paths[0]):
            event = Removal(paths[0], commit, at)
        elif status.startswith("R") and is_page(paths[0]):
            new = paths[1] if is_page(paths[1]) else None
            event = Removal(paths[0], commit, at, new, int(status[1:]) if new else None)
        else:
            continue
        if event.path not in latest or at > latest[event.path].at:
            latest[event.path] = event
    return latest


def live_paths(git: Git, rev: str) -> list[str]:
    names = git.run("ls-tree", "-r", "--name-only", rev, "--", "source/").splitlines()
    return sorted(p for p in names if is_page(p))


def rename_chain(start: Removal, events: dict[str, Removal], live: set[str]) -> list[str]:
    """Paths a renamed page went through after ``start``, up to a live path or a final removal."""
    chain: list[str] = []
    current = start
    while current.renamed_to is not None and current.renamed_to not in chain:
        nxt = current.renamed_to
        chain.append(nxt)
        if nxt in live:
            break
        later = events.get(nxt)
        if later is None or later.at < current.at:
            break
        current = later
    return chain


def read_history(git: Git, rev: str = "HEAD") -> list[Version]:
    """Every page live at ``rev``, and every removed path at its version before its latest removal."""
    live = live_paths(git, rev)
    live_set = set(live)
    events = removals(git, rev)
    versions: list[Version] = []
    for path in live:
        sha, edited = git.last_commit(rev, path)
        versions.append(
            Version(path, "live", rev, git.show(rev, path), sha, edited, git.first_commit(rev, path))
        )
    for path in sorted(events):
        event = events[path]
        rev = f"{event.commit}^"
        if not git.exists(rev, path):
            continue  # removed in a commit whose first parent never had it (merge artefact)
        sha, edited = git.last_commit(rev, path)
        renamed = event.renamed_to is not None
        version = Version(
            path,
            "renamed" if renamed else "deleted",
            rev,
            git.show(rev, path),
            sha,
            edited,
            git.first_commit(rev, path),
            removal=event,
        )
        if renamed:
            version.rename_chain = rename_chain(event, events, live_set)
            version.successor_path = version.rename_chain[-1] if version.rename_chain else None
        versions.append(version)
    for v in versions:
        v.key = f"{v.path}@deleted" if v.state != "live" and v.path in live_set else v.path
    return versions
