"""The CI gate: check an eval report against thresholds and against a saved report.

Thresholds (TOML)::

    configuration = "freshkb"          # which configuration of the report is gated
    [minimum]                          # fail when a metric is below (higher-is-better metrics)
    "hit@5" = 0.8
    [maximum]                          # fail when above (stale_first_rate, stale_share@5, ...)
    stale_first_rate = 0.1
    [regression]                       # against --baseline-report: allowed move the wrong way
    tolerance = 0.05
    per_metric = { "hit@1" = 0.1 }
    [slices.superseded.maximum]        # the same, for one slice
    stale_first_rate = 0.0

A threshold on a metric the run could not measure (``null``: e.g. no question has a stale
list) fails too: a gate that silently checks nothing is worse than none.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evals.metrics import LOWER_IS_BETTER, RATE_METRICS
from kb.errors import ConfigError


def _known(value: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(value) - set(RATE_METRICS))
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(RATE_METRICS)}")
    return value


class Bounds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minimum: dict[str, float] = Field(default_factory=dict, description="metric -> lowest value")
    maximum: dict[str, float] = Field(default_factory=dict, description="metric -> highest value")

    @field_validator("minimum", "maximum")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        return _known(value)


class Regression(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tolerance: float = Field(0.0, ge=0, description="Allowed move in the bad direction")
    per_metric: dict[str, float] = Field(default_factory=dict, description="metric -> tolerance")
    metrics: list[str] = Field(list(RATE_METRICS), description="Metrics checked against the saved report")

    @field_validator("per_metric")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        return _known(value)

    @field_validator("metrics")
    @classmethod
    def _known_list(cls, value: list[str]) -> list[str]:
        _known(dict.fromkeys(value, 0.0))
        return value


class Thresholds(Bounds):
    configuration: str = Field("freshkb", description="Configuration of the report that is gated")
    regression: Regression = Field(default_factory=Regression)
    slices: dict[str, Bounds] = Field(default_factory=dict, description="Bounds per slice")


class GateResult(BaseModel):
    passed: bool
    failures: list[str]
    checked: int = Field(description="Number of checks made")
    warnings: list[str] = Field(default_factory=list)


def load_thresholds(path: Path | str) -> Thresholds:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read thresholds: {err}", subject=str(file)) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", subject=str(file)) from err
    try:
        return Thresholds.model_validate(data)
    except ValidationError as err:
        parts = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"])
            msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
            parts.append(f"'{key}': {msg}")
        raise ConfigError("invalid thresholds: " + "; ".join(parts), subject=str(file)) from err


def _fmt(value: float) -> str:
    return f"{value:.4f}"


def _bounds_failures(metrics: dict[str, Any], bounds: Bounds, where: str) -> tuple[list[str], int]:
    failures = []
    checks = [(m, v, "minimum") for m, v in bounds.minimum.items()]
    checks += [(m, v, "maximum") for m, v in bounds.maximum.items()]
    for metric, limit, kind in checks:
        value = metrics.get(metric)
        if value is None:
            failures.append(f"{where} {metric}: not measured (no question it applies to), {kind} {limit}")
        elif kind == "minimum" and value < limit:
            failures.append(f"{where} {metric} = {_fmt(value)} is below the minimum {limit}")
        elif kind == "maximum" and value > limit:
            failures.append(f"{where} {metric} = {_fmt(value)} is above the maximum {limit}")
    return failures, len(checks)


def _configuration(report: dict[str, Any], name: str, which: str) -> dict[str, Any]:
    configs = report.get("configurations", {})
    if name not in configs:
        raise ConfigError(
            f"{which} has no configuration '{name}' (has: {', '.join(configs) or 'none'})",
            subject="configuration",
        )
    return configs[name]  # type: ignore[no-any-return]


def _regressions(current: dict[str, Any], saved: dict[str, Any], rules: Regression) -> tuple[list[str], int]:
    failures = []
    for metric in rules.metrics:
        now, before = current.get(metric), saved.get(metric)
        if before is None:
            continue  # nothing to regress from
        tol = rules.per_metric.get(metric, rules.tolerance)
        if now is None:
            failures.append(f"overall {metric}: not measured now, was {_fmt(before)} in the saved report")
            continue
        worse_by = (now - before) if metric in LOWER_IS_BETTER else (before - now)
        if worse_by > tol + 1e-12:
            direction = "rose" if metric in LOWER_IS_BETTER else "fell"
            failures.append(
                f"overall {metric} {direction} from {_fmt(before)} to {_fmt(now)} "
                f"({_fmt(worse_by)} worse, tolerance {tol})"
            )
    return failures, len(rules.metrics)


def check_gate(
    report: dict[str, Any], thresholds: Thresholds, saved_report: dict[str, Any] | None = None
) -> GateResult:
    """Every failed check, each naming the metric, its value and the limit it broke."""
    config = _configuration(report, thresholds.configuration, "the report")
    metrics = config["metrics"]
    failures, checked = _bounds_failures(metrics["overall"], thresholds, "overall")
    for name, bounds in thresholds.slices.items():
        slice_metrics = metrics["slices"].get(name)
        if slice_metrics is None:
            failures.append(f"slice {name}: no questions in this slice")
            checked += 1
            continue
        f, c = _bounds_failures(slice_metrics, bounds, f"slice {name}")
        failures += f
        checked += c
    warnings = []
    if saved_report is not None:
        saved = _configuration(saved_report, thresholds.configuration, "the saved report")
        f, c = _regressions(metrics["overall"], saved["metrics"]["overall"], thresholds.regression)
        failures += f
        checked += c
        if saved_report.get("golden_sha256") != report.get("golden_sha256"):
            warnings.append("the saved report was made from a different golden file")
    return GateResult(passed=not failures, failures=failures, checked=checked, warnings=warnings)
