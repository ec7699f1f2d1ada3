"""Settings: unknown keys are errors naming the key, every field is described, docs stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from kb.config import Settings, load_settings, settings_from_dict
from kb.config_doc import BEGIN, END, table
from kb.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _leaf_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, object]]:
    from kb.config_doc import _submodel

    out = []
    for name, field in model.model_fields.items():
        sub = _submodel(field.annotation)
        if sub is not None:
            out.extend(_leaf_fields(sub, f"{prefix}{name}."))
        else:
            out.append((f"{prefix}{name}", field))
    return out


def test_unknown_key_is_an_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'retrieval\.topk'"):
        settings_from_dict({"retrieval": {"topk": 3}})


def test_unknown_top_level_section_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown key 'retreival'"):
        settings_from_dict({"retreival": {}})


def test_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match=re.escape("'index.collection'")):
        settings_from_dict({"index": {"collection": "ab"}})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[data\n")
    with pytest.raises(ConfigError, match=re.escape("bad.toml")):
        load_settings(bad)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("nope.toml")):
        load_settings(tmp_path / "nope.toml")


def test_data_dir_is_relative_to_the_config_file_and_env_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[data]\ndir = "d"\n')
    assert load_settings(cfg).data.dir == tmp_path / "d"
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "elsewhere"))
    assert load_settings(cfg).data.dir == tmp_path / "elsewhere"


def test_kb_config_env_picks_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[retrieval]\ntop_k = 7\n")
    monkeypatch.setenv("KB_CONFIG", str(cfg))
    assert load_settings().retrieval.top_k == 7


def test_every_setting_has_a_description() -> None:
    missing = [key for key, field in _leaf_fields(Settings) if not field.description]  # type: ignore[attr-defined]
    assert missing == []


def test_bundled_config_loads() -> None:
    settings = load_settings(ROOT / "config.toml")
    assert settings.model.name


def test_readme_configuration_table_matches_the_settings_model() -> None:
    readme = (ROOT / "README.md").read_text()
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    assert readme[start:end] == table(), "regenerate with: python -m kb.config_doc"
