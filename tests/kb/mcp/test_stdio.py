"""``kb mcp`` over stdio: the SDK's client launches the real command as a subprocess; every call
runs as the principal of the token in KB_TOKEN, and a missing or bad token stops it at start."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from kb.runtime import Runtime
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

KB = Path(sys.executable).parent / "kb"
QUESTION = "secrets rotation procedure for leaked API keys"


@pytest.fixture(scope="module")
def data_dir(example_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example data (the subprocess writes audit rows; the example stays read-only)."""
    src = example_runtime.settings.data.dir
    dst = tmp_path_factory.mktemp("mcp-stdio") / "data"
    shutil.copytree(src / "chroma", dst / "chroma")
    with sqlite3.connect(example_runtime.settings.store_path) as a, sqlite3.connect(dst / "kb.sqlite") as b:
        a.backup(b)
    return dst


def _env(data_dir: Path, token: str | None) -> dict[str, str]:
    env = {
        "PYTHONPATH": str(ROOT),
        "KB_CONFIG": str(ROOT / "config.toml"),
        "KB_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    if token is not None:
        env["KB_TOKEN"] = token
    return env


def search_as(data_dir: Path, token: str) -> Any:
    params = StdioServerParameters(command=str(KB), args=["mcp"], env=_env(data_dir, token), cwd=str(ROOT))

    async def run() -> Any:
        async with Client(params, read_timeout_seconds=300) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == {"search", "ask"}
            return await client.call_tool("search", {"question": QUESTION, "top_k": 10})

    return asyncio.run(run())


@pytest.mark.parametrize(("token", "visible"), [("demo-sam", True), ("demo-alice", False)])
def test_stdio_search_runs_as_the_token_principal(data_dir: Path, token: str, visible: bool) -> None:
    result = search_as(data_dir, token)
    assert not result.is_error
    titles = [r["title"] for r in result.structured_content["results"]]
    assert titles  # an open document matches for everyone
    assert ("Secrets Rotation Procedure" in titles) is visible
    if not visible:
        assert "Secrets Rotation Procedure" not in json.dumps(result.model_dump(mode="json"))
    user = {"demo-sam": "sam.okafor@acme.com", "demo-alice": "alice.chen@acme.com"}[token]
    with sqlite3.connect(data_dir / "kb.sqlite") as conn:
        row = conn.execute("SELECT user, action, query FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    assert row == (user, "search", QUESTION)


@pytest.mark.parametrize(("token", "message"), [(None, "set KB_TOKEN"), ("demo-nobody", "invalid token")])
def test_stdio_refuses_to_start_without_a_valid_token(
    data_dir: Path, token: str | None, message: str
) -> None:
    env = {**os.environ, **_env(data_dir, token)}
    if token is None:
        env.pop("KB_TOKEN", None)
    proc = subprocess.run(
        [str(KB), "mcp"], env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert proc.stdout == ""
