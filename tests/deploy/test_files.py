"""``deploy/``: the compose file, its config and the Dockerfile agree with each other and with the
settings model (Docker does not run here; tests/deploy/test_workers.py runs the topology)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import yaml

from kb.config import load_settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_deploy_config_is_valid_and_names_the_compose_services() -> None:
    settings = load_settings(DEPLOY / "config.toml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "chroma", "api", "scheduler"} <= set(services)
    assert urlsplit(settings.store.url).hostname == "postgres"
    assert urlsplit(settings.index.chroma_url).hostname == "chroma"
    assert settings.alerts.enabled is False  # the API workers never run digests; the scheduler does
    assert services["scheduler"]["command"] == ["kb", "scheduler"]
    assert settings.store.password_env in services["api"]["environment"]
    assert services["postgres"]["image"] == "postgres:15"


def test_dockerfile_pins_the_same_cpu_torch_as_setup() -> None:
    setup = re.search(r"torch==[\d.]+", (ROOT / "scripts" / "setup.sh").read_text())
    assert setup is not None
    assert f"pip install --no-cache-dir {setup.group(0)}" in (DEPLOY / "Dockerfile").read_text()
