"""The command line: `--vars` checked and passed to dbt by every command that runs dbt, defaults shown in
`--help`, `--version`, and a sample that ends today unless told otherwise. No build: parsing and the calls made."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from churn_warehouse import __main__ as cli
from churn_warehouse import __version__, generator
from churn_warehouse.build import BuildResult

TODAY = datetime.now(timezone.utc).date()
DBT_COMMANDS = {
    "demo": ["demo"],
    "build": ["build", "--raw-path", "raw"],
    "server-build": ["server-build", "--target", "postgres"],
}


def refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The error argparse prints for `argv` (it exits with status 2), on one line."""
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(argv)
    assert stopped.value.code == 2
    return " ".join(capsys.readouterr().err.split())


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"churn_warehouse {__version__}"


@pytest.mark.parametrize(("command", "shown"), [
    ("demo", ["(default: 5000)", "(default: 36)", "(default: 42)", f"(default: today in UTC, {TODAY})",
              "(default: contract)", "(default: {})", "(default: 0.01)"]),
    ("generate", ["(default: 5000)", f"(default: today in UTC, {TODAY})"]),
    ("build", ["(default: parquet)", "(default: contract)", "(default: {})", "warehouse.duckdb)"]),
    ("load-raw", ["(default: parquet)", "(default: raw)"]),
    ("server-build", ["(default: {})", "build/server)"]),
])
def test_help_shows_each_default(capsys: pytest.CaptureFixture[str], command: str, shown: list[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    missing = [default for default in shown if default not in text]
    assert not missing, f"{command} --help lacks {missing}: {text}"
    assert "(default: None)" not in text and "(default: False)" not in text


def test_the_sample_ends_today_unless_told_otherwise(tmp_path: Path) -> None:
    assert cli.parse_args(["demo"]).end_date == TODAY
    assert cli.parse_args(["generate", "--end-date", "2026-11-20"]).end_date == date(2026, 11, 20)
    assert generator._parse_args(["--out", str(tmp_path)]).end_date == TODAY


@pytest.mark.parametrize("argv", [["demo"], ["generate"], None])
def test_an_end_date_after_today_is_refused_before_anything_runs(argv, tmp_path: Path, capsys) -> None:
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    with pytest.raises(SystemExit) as stopped:
        if argv is None:
            generator._parse_args(["--out", str(tmp_path), "--end-date", tomorrow])
        else:
            cli.parse_args([*argv, "--end-date", tomorrow])
    assert stopped.value.code == 2 and "after today" in capsys.readouterr().err


# ------------------------------------------------------------------ --vars


@pytest.mark.parametrize("command", sorted(DBT_COMMANDS))
@pytest.mark.parametrize("text", ["{gross_margin: 0.75, health_risk_model: weighted}",
                                  '{"gross_margin": 0.75, "health_risk_model": "weighted"}',
                                  "gross_margin: 0.75\nhealth_risk_model: weighted"])
def test_vars_are_read_as_yaml_or_json(command: str, text: str) -> None:
    args = cli.parse_args([*DBT_COMMANDS[command], "--vars", text])
    assert args.vars == {"gross_margin": 0.75, "health_risk_model": "weighted"}


def test_vars_default_to_none_given() -> None:
    assert cli.parse_args(DBT_COMMANDS["build"]).vars == {}


@pytest.mark.parametrize(("argv", "expected"), [
    (["--vars", "{gros_margin: 0.7}"],
     ["unknown dbt var 'gros_margin'", "did you mean gross_margin?", "annual_discount_rate", "usage_drop_pct"]),
    (["--vars", "{gross_margin: high}"], ["gross_margin must be a number", "0.8", "'high' (text)"]),
    (["--vars", "{inactive_days: 3.5}"], ["inactive_days must be a whole number", "3.5 (a number)"]),
    (["--vars", "{health_logistic_activity_terms: 1}"], ["health_logistic_activity_terms must be true or false"]),
    (["--vars", "{reporting_currency: 978}"], ["reporting_currency must be text", "978 (a whole number)"]),
    (["--vars", "{health_signal_weights: {inactive: 5}}"],
     ["health_signal_weights must name each of inactive", "missing usage_drop"]),
    (["--vars", "{health_signal_weights: {inactive: 1, usage_drop: 1, spend_decline: 1, survey_silence: 1, "
                "detractor: 1, complaints_rising: 1, payment_failing: 1, email_disengaged: x}}"],
     ["health_signal_weights: email_disengaged must be a number", "'x' (text)"]),
    (["--vars", "{raw_path: /elsewhere}"], ["raw_path is set by this command: use --raw-path"]),
    (["--vars", "{raw_format: csv}"], ["raw_format is set by this command: use --raw-format"]),
    (["--vars", "[gross_margin, 0.7]"], ["expected a mapping of var names to values"]),
    (["--vars", "{gross_margin: 0.7"], ["not YAML or JSON"]),
])
def test_bad_vars_are_refused_naming_the_var(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: list[str]
) -> None:
    message = refusal(capsys, [*DBT_COMMANDS["build"], *argv])
    assert "python -m churn_warehouse build: error: --vars:" in message
    missing = [part for part in expected if part not in message]
    assert not missing, f"{missing} not in: {message}"


@pytest.mark.parametrize(("command", "name", "advice"), [
    ("demo", "raw_format", "demo reads the Parquet sample it writes"),
    ("demo", "billing_source", "use --billing-source"),
    ("server-build", "as_of_date", "use --as-of-date"),
])
def test_vars_a_command_sets_itself_are_refused(
    capsys: pytest.CaptureFixture[str], command: str, name: str, advice: str
) -> None:
    message = refusal(capsys, [*DBT_COMMANDS[command], "--vars", f"{{{name}: x}}"])
    assert f"dbt var {name} is set by this command: {advice}" in message


def test_server_build_takes_billing_source_from_vars() -> None:
    """server-build has no --billing-source: a build of Stripe tables on PostgreSQL sets it with --vars."""
    assert cli.parse_args([*DBT_COMMANDS["server-build"], "--vars", "billing_source: stripe"]).vars == {
        "billing_source": "stripe"}


class Calls:
    """Stand-ins for the functions that run dbt: record the vars each got instead of building."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.vars: list[dict[str, object]] = []
        monkeypatch.setattr(cli, "build_and_publish", self.build_and_publish)
        monkeypatch.setattr(cli, "run_server_build", self.run_server_build)
        monkeypatch.setattr(cli, "generate_sample", lambda *args, **kwargs: None)

    def build_and_publish(self, dbt_vars: dict[str, object], *args: object, **kwargs: object) -> BuildResult:
        self.vars.append(dbt_vars)
        return BuildResult(ok=False, output="", db_path=None)

    def run_server_build(self, target: str, dbt_vars: dict[str, object], *args: object, **kwargs: object) -> BuildResult:
        self.vars.append(dbt_vars)
        return BuildResult(ok=False, output="", db_path=None)


@pytest.mark.parametrize("command", sorted(DBT_COMMANDS))
def test_vars_reach_the_dbt_build_beside_the_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    calls = Calls(monkeypatch)
    argv = [*DBT_COMMANDS[command], "--as-of-date", "2026-06-30",
            "--vars", "{gross_margin: 0.75, reporting_currency: EUR}"]
    if command != "server-build":
        argv += ["--warehouse", str(tmp_path / "w" / "warehouse.duckdb"), "--build-db",
                 str(tmp_path / "b" / "warehouse.duckdb")]
    assert cli.main(argv) == 1
    [dbt_vars] = calls.vars
    assert dbt_vars["gross_margin"] == 0.75 and dbt_vars["reporting_currency"] == "EUR"
    assert dbt_vars["as_of_date"] == "2026-06-30"
    if command != "server-build":
        assert Path(str(dbt_vars["raw_path"])).is_absolute()


def test_bad_vars_stop_before_anything_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls = Calls(monkeypatch)
    with pytest.raises(SystemExit):
        cli.main([*DBT_COMMANDS["demo"], "--vars", "{cltv_churn_window: three}"])
    assert calls.vars == []
    assert re.search(r"cltv_churn_window must be a whole number", capsys.readouterr().err)
