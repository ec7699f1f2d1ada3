"""Copy one store into another without re-embedding (``kb migrate --to postgresql://…``).

Every row of every table moves as it is: documents with their texts and marker excerpts, chunks,
raw hashes (so the next ingest still skips unchanged documents), secret findings, reviews, audit
and usage, alert history, digests and deliveries, the ``generation`` counter, export identities,
tombstones (with their chunks' vectors), used review links, pull state, feedback, and every
other table the migrations create. Vectors stay in Chroma, keyed by the same chunk
ids, so nothing is embedded again; the embedded Chroma directory can be served as it is by
``chroma run --path <data.dir>/chroma``.

The copy is one transaction on the destination (all or nothing) into a destination that holds no
rows yet, parents before children (foreign keys), then every table's row count is compared on
both sides. Leases (``leases``, ``alert_lock``) are a running process's state and are not copied;
the destination's migration table is its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from kb.errors import StoreError
from kb.store.db import Database

SKIPPED = {"leases", "alert_lock", "schema_migrations"}
BATCH = 1000


class TableCount(BaseModel):
    table: str
    source: int
    destination: int


class CopyReport(BaseModel):
    source: str
    destination: str
    tables: list[TableCount]

    @property
    def ok(self) -> bool:
        return all(t.source == t.destination for t in self.tables)


def _ordered(db: Database, tables: Iterable[str]) -> list[str]:
    """``tables`` (less the skipped ones) in name order, each after the tables its foreign keys
    point at, so the copy never inserts a child before its parent."""
    names = sorted(t for t in tables if t not in SKIPPED)
    parents = {t: db.references(t) & set(names) - {t} for t in names}
    out: list[str] = []
    while len(out) < len(names):
        ready = [t for t in names if t not in out and parents[t] <= set(out)]
        if not ready:
            cycle = sorted(set(names) - set(out))
            raise StoreError(f"foreign keys form a cycle among {cycle}", subject=db.target)
        out.append(ready[0])
    return out


def _count(db: Any, table: str) -> int:
    """Rows of ``table`` through ``db`` (a store, or a snapshot's connection)."""
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _batches(rows: Iterable[Any], columns: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(row[c] for c in columns))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_store(source: Database, destination: Database) -> CopyReport:
    """Copy every row of ``source`` into the empty ``destination``; verify the counts."""
    source.migrate()
    destination.migrate()
    tables = _ordered(source, source.tables())
    missing = [t for t in tables if t not in set(destination.tables())]
    if missing:
        raise StoreError(
            f"the destination has no table {', '.join(missing)}: run the FreshKB version that "
            "wrote the source against it first",
            subject=destination.target,
        )
    filled = {t: n for t in tables if (n := _count(destination, t))}
    if filled:
        raise StoreError(
            "the destination is not empty ("
            + ", ".join(f"{t}: {n} rows" for t, n in filled.items())
            + "): refusing to merge stores",
            subject=destination.target,
        )
    # One snapshot of the source for the rows and their counts: a server still writing its
    # audit log while the store is copied must not make the counts disagree (or lose rows).
    with source.snapshot() as snap:
        with destination.transaction() as conn:
            for table in tables:
                columns = sorted(source.columns(table) & destination.columns(table, conn))
                quoted = ", ".join(f'"{c}"' for c in columns)
                rows = snap.execute(f"SELECT {quoted} FROM {table}")
                insert = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' for _ in columns)})"
                for batch in _batches(rows, columns):
                    conn.executemany(insert, batch)
                destination.after_bulk_insert(conn, table)
        counts = [
            TableCount(table=t, source=_count(snap, t), destination=_count(destination, t)) for t in tables
        ]
    return CopyReport(source=source.target, destination=destination.target, tables=counts)
