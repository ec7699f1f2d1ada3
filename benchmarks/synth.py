"""Synthetic but realistic Notion "Markdown & CSV" exports of a chosen size, for the benchmarks.

Layout (as real workspace exports, see /work/shared/reference/notion-export.md): an outer zip of
``Export-<uuid>-Part-N.zip`` parts (or the same tree as a folder), one part per team space. Each
space is a plain page ``<Space> <hex>.md`` plus a wiki database: ``<Space> Wiki <hex>.csv`` (the
view), ``<Space> Wiki <hex>_all.csv`` (every property) and one row page per document under
``<Space> Wiki <hex>/``. Row pages carry the property block real exports have (owner as a display
name, locale-formatted dates, status, review interval, tags) and a body of Markdown sections.

Some spaces are restricted (Security, HR, Finance): exports carry no permissions, so
``bench_config`` adds ``[[rules]]`` giving them group readers, which is how FreshKB is deployed.

Everything is deterministic in ``seed`` and per document (document ``i`` is the same in a 1k and
a 10k export), so ``changed_every=100`` gives the same export with 1% of pages edited.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SPACES: list[tuple[str, str | None]] = [  # (space, readers group or None = everyone)
    ("Engineering", None),
    ("Platform", None),
    ("Product", None),
    ("Support", None),
    ("Security", "security"),
    ("HR", "hr"),
    ("Finance", "finance"),
    ("Data", None),
]
SERVICES = (
    "orders-api",
    "billing-db",
    "payments-gateway",
    "search-indexer",
    "auth-service",
    "notification-worker",
    "ledger",
    "inventory-sync",
    "feature-flags",
    "edge-proxy",
    "analytics-pipeline",
    "customer-portal",
    "mobile-backend",
    "invoice-renderer",
    "kafka-cluster",
    "postgres-primary",
    "redis-cache",
    "s3-archive",
    "vpn-gateway",
    "ci-runners",
    "sso-bridge",
    "email-relay",
    "pricing-engine",
    "fraud-scorer",
)
KINDS = (
    "Runbook",
    "Design Doc",
    "FAQ",
    "Onboarding Guide",
    "Postmortem",
    "How-to",
    "Policy",
    "Spec",
    "Architecture Overview",
    "Troubleshooting",
    "Release Checklist",
    "Playbook",
)
SECTIONS = (
    "Overview",
    "When to use this",
    "Prerequisites",
    "Steps",
    "Rollback",
    "Monitoring",
    "Escalation",
    "Known issues",
    "Background",
    "Decisions",
    "Open questions",
    "Contacts",
    "Access",
    "Costs",
    "Limits",
    "Testing",
)
VERBS = (
    "restart",
    "fail over",
    "rotate",
    "scale",
    "drain",
    "migrate",
    "back up",
    "restore",
    "deploy",
    "roll back",
    "page",
    "audit",
    "throttle",
    "reindex",
    "archive",
)
NOUNS = (
    "replica",
    "certificate",
    "credential",
    "queue",
    "shard",
    "bucket",
    "cron job",
    "webhook",
    "dashboard",
    "alert",
    "runbook",
    "index",
    "quota",
    "connection pool",
    "retention policy",
    "access review",
    "invoice",
    "refund",
    "payroll export",
    "expense report",
    "on-call rotation",
)
TEAMS = ("platform", "payments", "growth", "security", "people-ops", "finance-ops", "data", "support")
TOOLS = (
    "Terraform",
    "kubectl",
    "the AWS console",
    "PagerDuty",
    "Grafana",
    "Datadog",
    "Vault",
    "GitHub Actions",
    "Argo CD",
    "Looker",
    "Jira",
    "the admin panel",
)
FIRST = (
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Nate",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
)
LAST = (
    "Ortiz",
    "Webb",
    "Okafor",
    "Martins",
    "Novak",
    "Schmidt",
    "Tanaka",
    "Haddad",
    "Kowalski",
    "Nguyen",
    "Silva",
    "Fischer",
)
STATUSES = (("Active", 84), ("Deprecated", 6), ("Archived", 4), ("Draft", 3), ("Outdated", 3))
INTERVALS = ("90 days", "180 days", "365 days", "3 months")
EXPORT_ID = "5f0c1e9a-3b7d-4c2e-9a41-0d6b2f7e8c13"
ROOT = f"Export-{EXPORT_ID}"
COLUMNS = [
    "Name",
    "Owner",
    "Status",
    "Tags",
    "Last reviewed",
    "Review interval",
    "Last edited time",
    "Last edited by",
    "Created",
]
VIEW_COLUMNS = ["Name", "Owner", "Status", "Tags"]


def people(n: int = 40) -> list[dict[str, Any]]:
    """The people table the export's owner names resolve through (a few have left)."""
    out = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        out.append(
            {
                "name": f"{first} {last}",
                "email": f"{first}.{last}{i}@acme.test".lower(),
                "active": i % 13 != 12,
            }
        )
    return out


def _hex(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32]


def _date(dt: datetime, with_time: bool) -> str:
    day = f"{dt.strftime('%B')} {dt.day}, {dt.year}"
    if not with_time:
        return day
    hour = dt.hour % 12 or 12
    return f"{day} {hour}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


@dataclass
class SynthDoc:
    index: int
    space: str
    title: str
    hex_id: str
    props: dict[str, str]
    body: str

    @property
    def doc_id(self) -> str:
        return f"notion:{self.hex_id}"

    def markdown(self) -> str:
        block = "\n".join(f"{k}: {v}" for k, v in self.props.items() if k != "Name" and v)
        return f"# {self.title}\n\n{block}\n\n{self.body}\n"


@dataclass
class SynthExport:
    path: Path
    documents: int
    spaces: dict[str, int] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    restricted: dict[str, str] = field(default_factory=dict)  # space -> group


class _Writer:
    """Writes files into a folder tree, or into one part zip per space inside an outer zip."""

    def __init__(self, out: Path, as_zip: bool) -> None:
        self.out, self.as_zip = out, as_zip
        self._outer = zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) if as_zip else None
        self._part: zipfile.ZipFile | None = None
        self._buf: io.BytesIO | None = None
        self._n = 0

    def start_part(self) -> None:
        self.end_part()
        if self.as_zip:
            self._buf = io.BytesIO()
            self._part = zipfile.ZipFile(self._buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1)

    def end_part(self) -> None:
        if self._part is not None and self._buf is not None and self._outer is not None:
            self._part.close()
            self._n += 1
            self._outer.writestr(f"Export-{EXPORT_ID}-Part-{self._n}.zip", self._buf.getvalue())
            self._part, self._buf = None, None

    def write(self, rel: str, data: bytes) -> None:
        if self._part is not None:
            self._part.writestr(f"{ROOT}/{rel}", data)
            return
        target = self.out / ROOT / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def close(self) -> None:
        self.end_part()
        if self._outer is not None:
            self._outer.close()


def _sentence(rng: random.Random, service: str, space: str) -> str:
    verb, noun, tool = rng.choice(VERBS), rng.choice(NOUNS), rng.choice(TOOLS)
    team, n = rng.choice(TEAMS), rng.randint(2, 120)
    other = rng.choice(SERVICES)
    return rng.choice(
        (
            f"To {verb} the {noun} of `{service}`, use {tool} and announce it in #{team}-ops first.",
            f"The {team} team owns the {noun}; expect about {n} minutes before {other} recovers.",
            f"If the {noun} alert fires more than {n} times a day, {verb} it and open a ticket for {team}.",
            f"Since the {rng.randint(2019, 2026)} migration, `{service}` no longer depends on {other}.",
            f"{space} reviews the {noun} every {n} days; the checklist lives in {tool}.",
            f"Never {verb} a {noun} in production without a second approver from {team}.",
            f"Latency above {n} ms on `{service}` usually means the {noun} is saturated.",
            f"Ask in #{team}-help when {tool} shows the {noun} as degraded for {n} minutes or more.",
            f"The {noun} for `{service}` is kept for {n} days and then moved to cold storage.",
            f"Step {rng.randint(1, 9)}: {verb} the {noun}, then confirm in {tool} that {other} is healthy.",
        )
    )


def make_doc(i: int, seed: int = 0, changed: bool = False) -> SynthDoc:
    """Document ``i`` of the export (independent of the export's size)."""
    rng = random.Random(f"{seed}:{i}")
    space = SPACES[i % len(SPACES)][0]
    service, kind = rng.choice(SERVICES), rng.choice(KINDS)
    title = f"{service} {kind} {i // len(SPACES)}"
    owner = people()[rng.randrange(40)]["name"]
    edited = datetime(2026, 11, 1, tzinfo=UTC) - timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60))
    reviewed = edited - timedelta(days=rng.randint(0, 60))
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    sections = []
    for name in rng.sample(SECTIONS, rng.choice((2, 3, 3, 3, 4))):
        paragraph = " ".join(_sentence(rng, service, space) for _ in range(rng.randint(3, 5)))
        sections.append(f"## {name}\n\n{paragraph}")
    if changed:
        edited = datetime(2026, 11, 15, 9, 30, tzinfo=UTC)
        sections.append(
            f"## Update\n\nAs of November 2026 `{service}` moved to the new "
            f"{rng.choice(NOUNS)} setup; ask {rng.choice(TEAMS)} before changing it."
        )
    props = {
        "Name": title,
        "Owner": owner if rng.random() > 0.05 else "",
        "Status": status,
        "Tags": ", ".join(rng.sample(("Runbook", "Spec", "Policy", "FAQ", space), 2)),
        "Last reviewed": _date(reviewed, False) if rng.random() > 0.2 else "",
        "Review interval": rng.choice(INTERVALS),
        "Last edited time": _date(edited, True),
        "Last edited by": owner,
        "Created": _date(edited - timedelta(days=400), True),
    }
    return SynthDoc(i, space, title, _hex(seed, "doc", i), props, "\n\n".join(sections))


def iter_docs(n: int, seed: int = 0, changed_every: int = 0) -> Iterator[SynthDoc]:
    for i in range(n):
        yield make_doc(i, seed, changed=bool(changed_every) and i % changed_every == 0)


def _csv(rows: list[dict[str, str]], columns: list[str]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return ("\ufeff" + buf.getvalue()).encode()


def generate(
    out: Path, documents: int, *, seed: int = 0, changed_every: int = 0, as_zip: bool = True
) -> SynthExport:
    """Write an export of ``documents`` row pages (plus one plain page per space) to ``out``
    (a ``.zip`` file, or a folder when ``as_zip`` is False)."""
    by_space: dict[str, list[SynthDoc]] = {s: [] for s, _ in SPACES}
    result = SynthExport(out, documents, restricted={s: g for s, g in SPACES if g})
    for doc in iter_docs(documents, seed, changed_every):
        by_space[doc.space].append(doc)
        if changed_every and doc.index % changed_every == 0:
            result.changed.append(doc.doc_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out, as_zip)
    try:
        for space, docs in by_space.items():
            if not docs:
                continue
            writer.start_part()
            space_hex, db_hex = _hex(seed, "space", space), _hex(seed, "db", space)
            writer.write(
                f"{space} {space_hex}.md",
                (
                    f"# {space}\n\nHome of the {space} team. Pages live in the {space} Wiki database; "
                    "ask the space owners for access.\n"
                ).encode(),
            )
            db = f"{space} {space_hex}/{space} Wiki {db_hex}"
            rows = [d.props for d in docs]
            writer.write(f"{db}.csv", _csv(rows, VIEW_COLUMNS))
            writer.write(f"{db}_all.csv", _csv(rows, COLUMNS))
            for d in docs:
                writer.write(f"{db}/{d.title} {d.hex_id}.md", d.markdown().encode())
            result.spaces[space] = len(docs) + 1
    finally:
        writer.close()
    return result


def bench_config(data_dir: Path, tokens: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings (as a dict) for a benchmark data dir: people, restricted-space rules, tokens
    (``{sha256: user}``; users named ``sec-*`` are in the security group, ``admin-*`` admins)."""
    rules = [
        {
            "source": "notion",
            "match": f"{space}/**",
            "readers": [f"group:{group}"],
            "review_interval_days": 90,
        }
        for space, group in SPACES
        if group
    ]
    token_entries = [
        {
            "sha256": sha,
            "user": user,
            "groups": ["security"] if user.startswith("sec-") else [],
            "admin": user.startswith("admin-"),
        }
        for sha, user in (tokens or {}).items()
    ]
    return {
        "data": {"dir": str(data_dir)},
        "people": people(),
        "rules": rules,
        "review": {"default_readers": ["everyone"]},
        "auth": {"tokens": token_entries},
    }


QUERY_TEMPLATES = (
    "how do I {verb} the {noun} of {service}",
    "{service} {kind}",
    "who owns the {noun} for {service}",
    "{service} latency {noun} saturated",
    "{noun} retention {service}",
    "rollback steps for {service}",
)


def queries(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(f"queries:{seed}")
    return [
        rng.choice(QUERY_TEMPLATES).format(
            verb=rng.choice(VERBS),
            noun=rng.choice(NOUNS),
            service=rng.choice(SERVICES),
            kind=rng.choice(KINDS),
        )
        for _ in range(n)
    ]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Write a synthetic Notion export")
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--changed-every", type=int, default=0, help="edit every Nth page")
    parser.add_argument("--folder", action="store_true", help="write a folder instead of a zip")
    args = parser.parse_args()
    res = generate(
        args.out, args.docs, seed=args.seed, changed_every=args.changed_every, as_zip=not args.folder
    )
    print(f"{res.path}: {res.documents} documents in {len(res.spaces)} spaces, {len(res.changed)} changed")


if __name__ == "__main__":
    main()
