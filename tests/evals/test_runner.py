"""The runner: principals, baselines, and the example golden set end to end."""

from __future__ import annotations

import base64
import json
import re

import pytest

from evals.golden import load_golden
from evals.metrics import COUNT_KEYS, RATE_METRICS
from evals.report import write_reports
from evals.runner import DEFAULT_USER, baseline_system, principal_for, run_eval
from kb.auth import Authenticator, hash_token
from kb.config import AuthSettings, RetrievalSettings, TokenEntry
from kb.errors import ConfigError
from tests.conftest import EXAMPLE_NOW, ROOT

GOLDEN = ROOT / "evals" / "golden" / "example.jsonl"


def test_default_principal_is_plain_with_no_groups():
    p = principal_for(None, AuthSettings())
    assert p.user == DEFAULT_USER and not p.groups and not p.admin


def test_principal_is_the_one_the_api_builds_for_the_users_token():
    auth = AuthSettings(
        tokens=[
            TokenEntry(sha256=hash_token("alice-1"), user="Alice@Example.com", groups=["Finance"]),
            TokenEntry(sha256=hash_token("alice-2"), user="alice@example.com", groups=["finance "]),
            TokenEntry(sha256=hash_token("bob"), user="bob@example.com", groups=["kb-admins"]),
        ],
        admin_groups=["KB-Admins"],
    )
    api = Authenticator(auth)
    assert principal_for("ALICE@example.com ", auth) == api.authenticate("Bearer alice-1")
    assert principal_for("alice@example.com", auth) == api.authenticate("Bearer alice-2")
    bob = principal_for("bob@example.com", auth)
    assert bob == api.authenticate("Bearer bob") and bob.admin
    carol = principal_for("carol@example.com", auth)
    assert carol.user == "carol@example.com" and not carol.groups and not carol.admin


def test_token_entries_that_disagree_are_a_config_error_naming_the_user():
    # The old runner took the union (finance + admin): more than any one token grants.
    auth = AuthSettings(
        tokens=[
            TokenEntry(sha256="0" * 64, user="Alice@Example.com", groups=["Finance"]),
            TokenEntry(sha256="1" * 64, user="alice@example.com", groups=["kb-admins"]),
        ],
        admin_groups=["kb-admins"],
    )
    with pytest.raises(ConfigError) as err:
        principal_for("alice@example.com", auth)
    assert err.value.subject == "alice@example.com"


def test_baseline_presets_keep_other_settings():
    configured = RetrievalSettings(candidate_k=80)
    naive = baseline_system("naive", configured)
    assert (naive.retrieval.dense, naive.retrieval.bm25, naive.retrieval.freshness) == (True, False, False)
    assert naive.retrieval.candidate_k == 80
    plain = baseline_system("rrf", configured).retrieval
    assert (plain.dense, plain.bm25, plain.freshness, plain.order_by) == (True, True, False, "fused")
    assert (configured.order_by, plain.candidate_k) == ("relevance", 80)


def test_baseline_from_a_toml_file(tmp_path):
    path = tmp_path / "lexical.toml"
    path.write_text("[retrieval]\ndense = false\nfreshness = false\n")
    system = baseline_system(str(path), RetrievalSettings())
    assert system.name == "lexical" and not system.retrieval.dense and system.retrieval.bm25
    path.write_text("[retrieval]\nrrf_k = 0\n")
    with pytest.raises(ConfigError, match=r"lexical\.toml"):
        baseline_system(str(path), RetrievalSettings())


def test_unknown_baseline_names_the_input():
    with pytest.raises(ConfigError, match="nope"):
        baseline_system("nope", RetrievalSettings())


@pytest.fixture(scope="module")
def example_report(example_runtime):  # type: ignore[no-untyped-def]
    if not GOLDEN.exists():
        pytest.skip("evals/golden/example.jsonl not written yet")
    questions = load_golden(GOLDEN)
    from evals.runner import baseline_system as make

    return run_eval(
        example_runtime,
        GOLDEN,
        questions,
        now=EXAMPLE_NOW,
        baseline=make("naive", example_runtime.settings.retrieval),
        permutations=500,
    )


@pytest.mark.slow
def test_example_report_has_every_metric_overall_and_per_slice(example_report):
    assert set(example_report["configurations"]) == {"freshkb", "naive"}
    for config in example_report["configurations"].values():
        groups = [config["metrics"]["overall"], *config["metrics"]["slices"].values()]
        assert len(groups) > 1, "the example golden set should have slices"
        for metrics in groups:
            assert set(RATE_METRICS) | set(COUNT_KEYS) <= set(metrics)
        question = config["questions"][0]
        assert {"qid", "ranked", "metrics", "failed_checks", "answer"} <= set(question)
        assert all({"doc_id", "status", "rank"} <= set(r) for r in question["ranked"])


@pytest.mark.slow
def test_freshness_does_not_do_worse_than_the_naive_baseline_on_stale_first(example_report):
    configs = example_report["configurations"]
    fresh = configs["freshkb"]["metrics"]["overall"]["stale_first_rate"]
    naive = configs["naive"]["metrics"]["overall"]["stale_first_rate"]
    assert fresh is not None and naive is not None
    assert fresh <= naive


@pytest.mark.slow
def test_comparison_has_p_values_and_movers(example_report):
    comparison = example_report["comparison"]
    assert comparison["baseline"] == "naive" and comparison["candidate"] == "freshkb"
    for key in RATE_METRICS:
        entry = comparison["metrics"][key]
        assert entry["p_value"] is None or 0.0 < entry["p_value"] <= 1.0
    assert isinstance(comparison["better"], list) and isinstance(comparison["worse"], list)


@pytest.mark.slow
def test_reports_are_written_and_the_html_is_self_contained(example_report, tmp_path):
    paths = write_reports(example_report, tmp_path / "out")
    assert json.loads(paths["json"].read_text())["configurations"].keys() == {"freshkb", "naive"}
    summary = paths["markdown"].read_text()
    assert "| overall |" in summary and "freshkb vs naive" in summary
    page = paths["html"].read_text()
    match = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert match and base64.b64decode(match.group(1)).startswith(b"\x89PNG")
    assert "<script" not in page and 'src="http' not in page
