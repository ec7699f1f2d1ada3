"""``[[sources]]`` settings: the README's example loads, and mistakes are errors naming the key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from kb.config import load_settings, settings_from_dict
from kb.errors import ConfigError
from tests.conftest import ROOT


def test_the_readme_sources_example_loads() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Pulling from the APIs") :]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    settings = settings_from_dict(tomllib.loads(block.group(1)))
    assert [(s.name, s.kind) for s in settings.sources] == [("wiki", "notion"), ("drive", "drive")]


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([{"name": "d", "kind": "drive", "drives": ["x"]}], "credentials_file is required"),
        ([{"name": "d", "kind": "drive", "credentials_file": "k.json"}], "give drives or folders"),
        (
            [{"name": "a", "kind": "notion"}, {"name": "b", "kind": "notion"}],
            "at most one [[sources]] entry per kind",
        ),
        (
            [
                {"name": "a", "kind": "notion"},
                {"name": "a", "kind": "drive", "credentials_file": "k", "folders": ["f"]},
            ],
            "names must be unique",
        ),
        ([{"name": "Wiki Space", "kind": "notion"}], "'sources.0.name'"),
        ([{"name": "w", "kind": "confluence"}], "'sources.0.kind'"),
        ([{"name": "w", "kind": "notion", "token": "secret_x"}], "unknown key 'sources.0.token'"),
    ],
)
def test_bad_sources_are_errors_naming_the_key(sources: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_dict({"sources": sources})
    assert message in str(err.value)


def test_credentials_file_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "config.toml"
    config.write_text(
        '[[sources]]\nname = "d"\nkind = "drive"\ncredentials_file = "keys/sa.json"\nfolders = ["f"]\n'
    )
    assert load_settings(config).source("d").credentials_file == tmp_path / "conf" / "keys" / "sa.json"


def test_unknown_source_name_lists_the_known_ones() -> None:
    settings = settings_from_dict({"sources": [{"name": "wiki", "kind": "notion"}]})
    with pytest.raises(ConfigError, match=r"no \[\[sources\]\] entry named 'drive' \(wiki\)"):
        settings.source("drive")
