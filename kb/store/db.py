"""The store's database connection, one surface over two backends.

``Database(target)`` opens SQLite for a path (the default, one host) and PostgreSQL for a
``postgresql://`` URL (several hosts; ``kb.store.postgres``). Every repository in ``kb.store`` is
written once against this surface:

- ``execute(sql, params)`` runs one statement with ``?`` placeholders and returns rows that read
  by column name and by position;
- ``transaction()`` yields a connection with ``execute`` / ``executemany``; it is all or nothing
  and **one writer at a time** (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a transaction-scoped
  advisory lock), so a repository may read, decide and write in one transaction without races;
- ``ensure_schema(ddl)`` creates a repository's tables once per process (the versioned
  migrations in ``kb.store.migrations`` run first), written in SQLite's dialect and translated;
- ``session_lock(name)`` holds a named lock for as long as the caller wants, released by the
  server if the process dies (PostgreSQL ``pg_try_advisory_lock``; SQLite returns a no-op
  handle, its callers' IMMEDIATE transactions already exclude each other on the one host).

SQLite: one connection per thread (FastAPI runs sync routes in a thread pool), WAL so readers
never block the ingest writer.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kb.errors import StoreError

if TYPE_CHECKING:
    from kb.config import Settings

Params = Sequence[Any] | Mapping[str, Any]


class Cursor(Protocol):
    """What ``execute`` returns: rows (by name and by position) and ``rowcount``."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What ``transaction()`` yields."""

    def execute(self, sql: str, params: Params = ..., /) -> Any: ...
    def executemany(self, sql: str, params: Any, /) -> Any: ...


class SessionLock(Protocol):
    #: True when holding it alone proves no other live process holds the name
    authoritative: bool

    def release(self) -> None: ...


def open_database(settings: Settings, env: Mapping[str, str] | None = None) -> Database:
    """The store ``settings`` select: PostgreSQL when ``store.url`` is set (password from the env
    var ``store.password_env``, if set there), else SQLite at ``store.path``."""
    store = settings.store
    if not store.url:
        return Database(settings.store_path)
    password = (os.environ if env is None else env).get(store.password_env) or None
    return Database(
        store.url,
        password=password,
        min_size=store.pool_min,
        max_size=max(store.pool_max, store.pool_min),
        timeout_s=store.timeout_s,
    )


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def split_statements(ddl: str) -> list[str]:
    """A DDL script as statements (``--`` comments dropped; the DDL has no ';' in literals)."""
    text = re.sub(r"--[^\n]*", "", ddl)
    return [s.strip() for s in text.split(";") if s.strip()]


class Database:
    """Base of both backends; ``Database(path)`` is SQLite, ``Database("postgresql://…")`` PostgreSQL."""

    dialect: str
    #: what errors name: the file, or the URL without its password
    target: str

    def __new__(cls, target: Path | str, **kwargs: Any) -> Database:
        if cls is Database:
            if is_url(target):
                if _registry.url_backend is None:
                    raise StoreError("no PostgreSQL backend loaded (kb.store.postgres)", subject=str(target))
                cls = _registry.url_backend
            else:
                cls = SQLiteDatabase
        return super().__new__(cls)

    def __init__(self, target: Path | str, **kwargs: Any) -> None:
        self._schemas: set[str] = set()
        self._schema_lock = threading.Lock()
        self._migrated = False

    # -- the surface every backend provides ---------------------------------------------
    def execute(self, sql: str, params: Params = ()) -> Cursor:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A read-only view of one instant: every read through the yielded connection sees the
        store as it was at the first one, whatever other processes write meanwhile (``kb
        migrate`` copies a store that a running server keeps writing its audit log to)."""
        raise NotImplementedError
        yield  # pragma: no cover

    def columns(self, table: str, conn: Any = None) -> set[str]:
        """Column names of ``table`` (empty when it does not exist), seen from ``conn`` (a
        transaction's connection) or a fresh read."""
        raise NotImplementedError

    def tables(self) -> list[str]:
        """Names of the store's tables."""
        raise NotImplementedError

    def references(self, table: str) -> set[str]:
        """The tables ``table``'s foreign keys point at (``kb migrate`` copies those first)."""
        raise NotImplementedError

    def translate_ddl(self, ddl: str) -> str:
        return ddl

    def after_bulk_insert(self, conn: Any, table: str) -> None:
        """Called after rows with explicit ids were copied into ``table`` (``kb migrate``):
        PostgreSQL moves the identity sequence past them; SQLite does that itself."""

    def session_lock(self, name: str) -> SessionLock | None:
        """Hold ``name`` until ``release()``; None when another session holds it."""
        return _NoLock()

    def close(self) -> None:
        """Release what the calling thread holds (its SQLite connection)."""

    def dispose(self) -> None:
        """Release everything (every connection, the pool); the object may not be used after."""
        self.close()

    # -- schema ---------------------------------------------------------------------------
    def ensure_schema(self, ddl: str) -> None:
        """Run a repository's CREATE ... IF NOT EXISTS script once per process, after the
        versioned migrations (a script a migration already ran is skipped)."""
        self.migrate()
        with self._schema_lock:
            if ddl in self._schemas:
                return
            with self.transaction() as conn:
                for statement in split_statements(self.translate_ddl(ddl)):
                    conn.execute(statement)
            self._schemas.add(ddl)

    def migrate(self) -> list[int]:
        """Bring the schema to the newest version (once per process); returns versions applied."""
        if self._migrated:
            return []
        if _registry.migrate is None:
            raise StoreError("schema migrations not loaded (kb.store.migrations)", subject=self.target)
        with self._schema_lock:
            if self._migrated:
                return []
            applied = _registry.migrate(self)
            self._schemas.update(_registry.scripts)
            self._migrated = True
        return applied


class _Registry:
    """What the modules beside this one plug in when ``kb.store`` is imported (they import this
    module, so it cannot import them): the URL backend and the migrations."""

    url_backend: type[Database] | None = None
    migrate: Callable[[Database], list[int]] | None = None
    scripts: tuple[str, ...] = ()


_registry = _Registry()


def register_url_backend(cls: type[Database]) -> None:
    _registry.url_backend = cls


def register_migrations(migrate: Callable[[Database], list[int]], scripts: Sequence[str]) -> None:
    """``migrate`` brings a store up to date; ``scripts`` are the schema scripts it runs."""
    _registry.migrate = migrate
    _registry.scripts = tuple(scripts)


class _NoLock:
    authoritative = False

    def release(self) -> None:
        return None


def _enable_wal(conn: sqlite3.Connection, path: Path, wait_s: float = 30.0) -> None:
    """Switch ``conn`` to WAL. Switching takes an exclusive lock and SQLite answers "database
    is locked" at once, without its busy handler, when another process switches the same new file
    at that moment (several workers starting together); so wait and retry like the handler would."""
    deadline = time.monotonic() + wait_s
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise StoreError(f"cannot open store: {err}", subject=str(path)) from err
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, target: Path | str, **kwargs: Any) -> None:
        super().__init__(target)
        self.path = Path(target)
        self.target = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create store directory: {err}", subject=str(self.path)) from err
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            except sqlite3.Error as err:
                raise StoreError(f"cannot open store: {err}", subject=str(self.path)) from err
            conn.row_factory = sqlite3.Row
            _enable_wal(conn, self.path)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: all or nothing, one writer at a time."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A deferred read transaction on a connection of its own (WAL: writers go on)."""
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open store: {err}", subject=str(self.path)) from err
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # the read starts here
            yield conn
        finally:
            conn.close()

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.connect().execute(sql, params)

    def tables(self) -> list[str]:
        rows = self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return sorted(r["name"] for r in rows)

    def columns(self, table: str, conn: Any = None) -> set[str]:
        return {r["name"] for r in (conn or self.connect()).execute(f"PRAGMA table_info({table})")}

    def references(self, table: str) -> set[str]:
        return {r["table"] for r in self.execute(f"PRAGMA foreign_key_list({table})")}

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
