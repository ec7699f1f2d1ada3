"""The gate: absolute bounds, regressions against a saved report, and the CLI's exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.gate import Thresholds, check_gate, load_thresholds
from evals.metrics import RATE_METRICS
from kb.errors import ConfigError
from tests.conftest import EXAMPLE_NOW, ROOT

GOLDEN = ROOT / "evals" / "golden" / "example.jsonl"


def _report(**overall: float | None) -> dict:
    metrics = dict.fromkeys(RATE_METRICS, 0.5) | overall | {"n": 10}
    slice_metrics = dict.fromkeys(RATE_METRICS, 0.5) | {"n": 3}
    return {
        "golden_sha256": "abc",
        "configurations": {
            "freshkb": {"metrics": {"overall": metrics, "slices": {"superseded": slice_metrics}}}
        },
    }


def test_below_minimum_fails_naming_the_metric():
    result = check_gate(_report(**{"hit@5": 0.7}), Thresholds(minimum={"hit@5": 0.8, "mrr@10": 0.4}))
    assert not result.passed
    assert result.failures == ["overall hit@5 = 0.7000 is below the minimum 0.8"]
    assert result.checked == 2


def test_above_maximum_fails_for_lower_is_better_metrics():
    result = check_gate(_report(stale_first_rate=0.3), Thresholds(maximum={"stale_first_rate": 0.2}))
    assert result.failures == ["overall stale_first_rate = 0.3000 is above the maximum 0.2"]


def test_unmeasured_metric_fails_rather_than_passing_silently():
    result = check_gate(_report(answer_contains_rate=None), Thresholds(minimum={"answer_contains_rate": 0.5}))
    assert not result.passed
    assert "answer_contains_rate: not measured" in result.failures[0]


def test_slice_bounds_and_missing_slice():
    thresholds = Thresholds.model_validate(
        {
            "slices": {
                "superseded": {"maximum": {"stale_first_rate": 0.4}},
                "ghost": {"minimum": {"hit@1": 0.1}},
            }
        }
    )
    result = check_gate(_report(), thresholds)
    assert result.failures == [
        "slice superseded stale_first_rate = 0.5000 is above the maximum 0.4",
        "slice ghost: no questions in this slice",
    ]


def test_regression_beyond_tolerance_fails_within_passes():
    saved = _report(**{"ndcg@10": 0.8, "stale_share@5": 0.2})
    thresholds = Thresholds.model_validate({"regression": {"tolerance": 0.05}})
    within = check_gate(_report(**{"ndcg@10": 0.76, "stale_share@5": 0.24}), thresholds, saved)
    assert within.passed, within.failures
    beyond = check_gate(_report(**{"ndcg@10": 0.7, "stale_share@5": 0.3}), thresholds, saved)
    assert beyond.failures == [
        "overall ndcg@10 fell from 0.8000 to 0.7000 (0.1000 worse, tolerance 0.05)",
        "overall stale_share@5 rose from 0.2000 to 0.3000 (0.1000 worse, tolerance 0.05)",
    ]


def test_per_metric_tolerance_overrides_the_default():
    saved = _report(**{"hit@1": 0.9})
    thresholds = Thresholds.model_validate({"regression": {"tolerance": 0.0, "per_metric": {"hit@1": 0.2}}})
    assert check_gate(_report(**{"hit@1": 0.75}), thresholds, saved).passed


def test_improvement_is_never_a_regression():
    saved = _report(stale_first_rate=0.5)
    assert check_gate(_report(stale_first_rate=0.0), Thresholds(), saved).passed


def test_different_golden_file_is_a_warning():
    saved = _report()
    saved["golden_sha256"] = "other"
    assert check_gate(_report(), Thresholds(), saved).warnings


def test_thresholds_file_errors_name_the_key(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[minimum]\n"hit@50" = 0.5\n[maximun]\n')
    with pytest.raises(ConfigError) as info:
        load_thresholds(path)
    message = str(info.value)
    assert "'minimum': unknown metric(s) hit@50" in message
    assert "'maximun': unknown key" in message


def test_missing_configuration_is_an_error():
    with pytest.raises(ConfigError, match="no configuration 'other'"):
        check_gate(_report(), Thresholds(configuration="other"))


def test_shipped_thresholds_load():
    thresholds = load_thresholds(ROOT / "evals" / "thresholds.toml")
    assert thresholds.minimum and thresholds.maximum


def _cli(args: list[str]):  # type: ignore[no-untyped-def]
    from kb.cli import app

    return CliRunner().invoke(app, args)


def test_cli_bad_golden_file_exits_2_naming_line_and_field(tmp_path):
    golden = tmp_path / "g.jsonl"
    golden.write_text('{"qid": "a", "question": "q", "relevant": ["notion:x#1"]}\n')
    result = _cli(["eval", "run", str(golden), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "line 1: relevant: 'notion:x#1' is a chunk id" in result.output


@pytest.mark.slow
def test_cli_gate_exit_codes_on_the_example_data(example_runtime, tmp_path, monkeypatch):
    if not GOLDEN.exists():
        pytest.skip("evals/golden/example.jsonl not written yet")
    monkeypatch.setenv("KB_DATA_DIR", str(example_runtime.settings.data_dir))
    # A slice of the example set keeps three CLI runs quick; the runner tests use all of it.
    golden = tmp_path / "golden.jsonl"
    golden.write_text("".join(GOLDEN.read_text().splitlines(keepends=True)[:8]))
    base = [
        "eval",
        "run",
        str(golden),
        "--config",
        str(ROOT / "config.toml"),
        "--now",
        EXAMPLE_NOW.isoformat(),
        "--permutations",
        "200",
    ]
    passing = tmp_path / "pass.toml"
    passing.write_text('[minimum]\n"hit@5" = 0.0\n')
    ok = _cli([*base, "--gate", str(passing), "--out", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output
    report = json.loads((tmp_path / "ok" / "report.json").read_text())
    assert report["gate"]["passed"] is True

    failing = tmp_path / "fail.toml"
    failing.write_text('[maximum]\n"stale_share@5" = -1.0\n')
    bad = _cli([*base, "--gate", str(failing), "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 1
    assert "gate failed: overall stale_share@5" in bad.output

    # A saved report that was much better than today's run: a regression beyond tolerance.
    saved = copy.deepcopy(report)
    saved["configurations"]["freshkb"]["metrics"]["overall"]["mrr@10"] = 1.5
    saved_path = Path(tmp_path / "saved.json")
    saved_path.write_text(json.dumps(saved))
    tolerant = tmp_path / "tol.toml"
    tolerant.write_text("[regression]\ntolerance = 0.05\n")
    reg = _cli(
        [*base, "--gate", str(tolerant), "--baseline-report", str(saved_path), "--out", str(tmp_path / "reg")]
    )
    assert reg.exit_code == 1
    assert "gate failed: overall mrr@10 fell from 1.5000" in reg.output
