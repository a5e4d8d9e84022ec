"""Hostile input and exposure: the dashboard is private by default, and no path or name becomes SQL or Markdown.

- `scripts/dashboard.sh` listens on 127.0.0.1 unless CHURN_WAREHOUSE_DASHBOARD_ADDRESS says otherwise: the
  sockets it opens are read from /proc/net/tcp and /proc/net/tcp6.
- A build whose raw folder (quotes, a backslash, `;`, a crafted expression), build file and published file
  (quotes, `;`) have hostile names passes, and marts.build_info holds the raw path exactly; a dbt var that SQL
  reads as a name, code or number is refused, naming it, when it is not one.
- A raw value written as Markdown (a link, an image, bold) is shown as text on every page that shows it, and
  so is a path with backticks.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from churn_warehouse.build import build_and_publish, run_dbt_build
from churn_warehouse.dashboard_benchmark import stop_server

PROJECT_DIR = Path(__file__).resolve().parents[2]
HAND_WORKED_RAW = PROJECT_DIR / "tests" / "fixtures" / "hand_worked" / "raw"
HAND_WORKED_VARS = {"raw_format": "csv", "as_of_date": "2024-07-10"}

# ------------------------------------------------------------------ the dashboard listens on 127.0.0.1

LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp*
SERVER_START_SECONDS = 90


def _address(hex_address: str) -> str:
    """The text form of an address as /proc/net/tcp* writes it (little-endian 32-bit words)."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(socket.AF_INET if len(words) == 4 else socket.AF_INET6, words)


def listening_addresses(port: int) -> set[str]:
    """Every local address with a socket listening on `port`, IPv4 and IPv6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, hex_port = local.split(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.add(_address(address))
    return found


def free_port() -> int:
    """A port nothing listens on, on any interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dashboard_script(tmp_path: Path) -> Path:
    """The real scripts/dashboard.sh in a copy of the repository layout whose setup step is a no-op.

    The real setup would reinstall this environment when its extras differ; the streamlit command the script
    runs is the real one, on the real app and the real environment.
    """
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_DIR / "scripts" / "dashboard.sh", tmp_path / "scripts" / "dashboard.sh")
    (tmp_path / "scripts" / "setup.sh").write_text("exit 0\n")
    (tmp_path / "app").symlink_to(PROJECT_DIR / "app")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    if (PROJECT_DIR / ".streamlit").exists():
        shutil.copytree(PROJECT_DIR / ".streamlit", tmp_path / ".streamlit")
    return tmp_path / "scripts" / "dashboard.sh"


def serve_and_read_addresses(script: Path, log: Path, **environment: str) -> set[str]:
    """Start the script on a free port, wait until it listens, return where it listens; always stop it."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name != "CHURN_WAREHOUSE_DASHBOARD_ADDRESS"}
    env.update(CHURN_WAREHOUSE_DB=str(log.parent / "absent.duckdb"), **environment)
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", str(script), "--server.port", str(port), "--server.headless", "true",
             "--server.fileWatcherType", "none"],
            env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not (addresses := listening_addresses(port)):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"nothing listened on {port}: {log.read_text()}"
            time.sleep(0.2)
        time.sleep(1)  # Tornado may open its IPv4 and IPv6 sockets one after the other
        return listening_addresses(port)
    finally:
        stop_server(process)


def test_dashboard_listens_on_localhost_only_by_default(dashboard_script, tmp_path):
    addresses = serve_and_read_addresses(dashboard_script, tmp_path / "default.log")
    assert addresses == {"127.0.0.1"}, f"the dashboard listens on {addresses}"
    assert "Network URL" not in (tmp_path / "default.log").read_text()


def test_dashboard_listens_on_other_interfaces_only_when_asked(dashboard_script, tmp_path):
    log = tmp_path / "shared.log"
    addresses = serve_and_read_addresses(dashboard_script, log, CHURN_WAREHOUSE_DASHBOARD_ADDRESS="0.0.0.0")
    assert addresses == {"0.0.0.0"}, f"the dashboard listens on {addresses}"
    assert "authentication" in log.read_text(), "opting in warns that the dashboard has no login of its own"


# ------------------------------------------------------------------ no path or name becomes SQL

# Quotes, a backslash, `;` and a crafted expression: if any reached SQL unescaped, the build would fail
# ("unterminated string") or run `version()` and store its result in place of the name.
HOSTILE_NAME = "raw 'q\\;x' || version() || '"
# A raw value written as Markdown: bold, a link and an image that a browser would fetch.
HOSTILE_SEGMENT = "**Bold** [login](http://x) ![t](http://x/pixel.png)"
HOSTILE_CUSTOMER = "c01"


def hostile_raw_copy(root: Path) -> Path:
    """The hand-worked raw tables in a folder named HOSTILE_NAME, customer c01 in segment HOSTILE_SEGMENT."""
    raw = root / HOSTILE_NAME
    shutil.copytree(HAND_WORKED_RAW, raw)
    path = raw / "customers.csv"
    with path.open(newline="") as source:
        rows = list(csv.DictReader(source))
    assert any(row["customer_id"] == HOSTILE_CUSTOMER for row in rows), "fixture changed: no customer c01"
    for row in rows:
        if row["customer_id"] == HOSTILE_CUSTOMER:
            row["segment"] = HOSTILE_SEGMENT
    with path.open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return raw


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The main job (raw checks, dbt build, mart checks, publish) with quotes and `;` in every path."""
    root = tmp_path_factory.mktemp("hostile")
    raw = hostile_raw_copy(root)
    # No backslash in the database files' folders: DuckDB reads `\` in a database path as a folder separator.
    # Backticks and a link in the published folder: the Data quality page shows that path.
    published = root / "published 'p;x `[a](http://x)`" / "warehouse.duckdb"
    build_db = root / "build 'b;x" / "warehouse.duckdb"
    result = build_and_publish({"raw_path": str(raw), **HAND_WORKED_VARS}, published, build_db, echo=False)
    assert result.ok, result.output[-5000:]
    return {"raw": raw, "published": published}


def test_paths_with_quotes_backslashes_and_semicolons_build_and_are_recorded_exactly(hostile_build):
    with duckdb.connect(str(hostile_build["published"]), read_only=True) as connection:
        raw_path, raw_format = connection.execute("select raw_path, raw_format from marts.build_info").fetchone()
        segments = {row[0] for row in connection.execute(
            "select distinct dimension_value from marts.mrr_monthly_by_dimension where dimension = 'segment'"
        ).fetchall()}
        runs = connection.execute("select count(*) from marts.data_quality_runs").fetchone()[0]
    assert raw_path == str(hostile_build["raw"])
    assert raw_format == "csv"
    assert HOSTILE_SEGMENT in segments
    assert runs >= 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("reporting_currency", "USD' or '1' = '1"),
        ("raw_schema", "raw; drop schema marts cascade; --"),
        ("stripe_schema", "stripe; drop schema marts cascade; --"),
        ("billing_source", "chargebee"),
        ("schema_suffix", "\"; select 1; --"),
        ("as_of_date", "2024-07-10' as date) as x; --"),
        ("raw_format", "csv'); --"),
        ("inactive_days", "30 or true"),
        ("gross_margin", "0.8) as gross_margin; --"),
    ],
)
def test_a_dbt_var_that_would_become_sql_is_refused_naming_it(tmp_path, name, value):
    result = run_dbt_build(
        tmp_path / "warehouse.duckdb",
        {"raw_path": str(HAND_WORKED_RAW), **HAND_WORKED_VARS, name: value},
        work_dir=tmp_path, echo=False, extra_args=["--select", "build_info"],
    )
    assert not result.ok
    assert f"dbt var {name} must be" in result.output, result.output[-3000:]


def test_loading_raw_tables_refuses_a_schema_name_that_would_become_sql():
    from churn_warehouse.targets import engine

    # Refused before any connection is made: no server is needed to see it.
    with pytest.raises(ValueError, match=r"raw schema .* is not a plain schema name.*--raw-schema"):
        engine("postgres").load_raw(HAND_WORKED_RAW, "csv", "raw; drop schema marts cascade; --")


# ------------------------------------------------------------------ no value from data becomes Markdown

APP = PROJECT_DIR / "app" / "streamlit_app.py"
# Every page that shows the customer filter, and the one that shows paths.
PAGES_SHOWING_DATA = ["overview", "mrr_movements", "cohorts", "at_risk", "satisfaction", "lifetime_value",
                      "reactivation", "data_quality"]
PAGES_WITH_THE_FILTER = {"overview", "mrr_movements", "cohorts", "at_risk", "satisfaction", "lifetime_value"}
MARKUP_FROM_DATA = ["[login](", "![t](", "**Bold**", "[a](http"]
# A code span: a run of backticks not escaped, its content, the same run again (CommonMark).
CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def outside_code(body: str) -> str:
    """The Markdown source outside code spans: where link and image syntax would take effect."""
    return CODE_SPAN.sub(" ", body)


def parsed_text(body: str) -> str:
    """The text a Markdown parser sees outside code spans (escapes resolved); GFM turns a URL in it into a link."""
    return ESCAPE.sub(r"\1", outside_code(body))


def markdown_bodies(app) -> list[str]:
    """Every element whose body Streamlit renders as Markdown: text, notices, headings, metric labels."""
    elements = [*app.markdown, *app.caption, *app.info, *app.warning, *app.success, *app.error, *app.title,
                *app.header, *app.subheader]
    return [str(element.value) for element in elements] + [str(metric.label) for metric in app.metric]


def test_values_from_data_are_shown_as_text_never_as_markdown(hostile_build, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(hostile_build["published"]))
    app = AppTest.from_file(str(APP), default_timeout=120).run()
    app.selectbox(key="dimension").set_value("segment").run()
    next(widget for widget in app.selectbox if widget.label == "Segment").set_value(HOSTILE_SEGMENT).run()
    for page in PAGES_SHOWING_DATA:
        app.switch_page(f"app_pages/{page}.py").run()
        assert not app.exception, [element.value for element in app.exception]
        bodies = markdown_bodies(app)
        for body in bodies:
            for markup in MARKUP_FROM_DATA:
                assert markup not in outside_code(body), f"{page}: {markup!r} is Markdown in {body!r}"
            assert "http://x" not in parsed_text(body), f"{page}: a URL from data would be a link in {body!r}"
        if page in PAGES_WITH_THE_FILTER:  # the value is there, as the text it is
            shown = [parsed_text(body).replace("\u2060", "") for body in bodies]
            assert any(f"Segment: {HOSTILE_SEGMENT}" in text for text in shown), f"{page}: {bodies}"
        if page == "data_quality":
            assert any(str(hostile_build["published"].parent) in body for body in bodies), bodies


def test_markdown_helpers_keep_a_value_whole_and_inert():
    if str(APP.parent) not in sys.path:
        sys.path.insert(0, str(APP.parent))
    from lib.formatting import WORD_JOINER, markdown_code, markdown_text

    hostile = "a@b.io\n# :red[x] $x$ <img src=x> www.x.org `c` \\"
    shown = markdown_text(hostile)
    assert "\n" not in shown
    assert not re.search(r"[!-/:-@\[-`{-~]", ESCAPE.sub("", shown)), f"a mark is left unescaped: {shown}"
    assert parsed_text(shown).replace(WORD_JOINER, "") == hostile.replace("\n", " ")
    assert not re.search(r"(https?:|www\.|[\w.+-]@)", parsed_text(shown)), "GitHub Markdown would link it"
    assert markdown_text("smb") == "smb" and markdown_text("USD") == "USD"
    assert markdown_code("a`b``c") == "```a`b``c```"
    assert markdown_code("`x") == "`` `x ``"
    assert outside_code(f"see {markdown_code('p `[a](http://x)`')} here") == "see   here"
