"""The repository documents itself: no tracked file points outside it, and the raw-contract page covers the
columns the package declares and the quarantine reasons its staging models give."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RAW_CONTRACT_DOC = REPO / "docs" / "raw_contract.md"
METRICS_DOC = REPO / "docs" / "metrics.md"
RAW_CONTRACT_MACRO = REPO / "macros" / "raw_contract.sql"

# Written in two parts so that this file does not name the path it looks for.
OUTSIDE_REFERENCES = ("../" + "shared", "/work/" + "shared")

# A reason is a text literal a `case` branch returns: `then 'orphan_customer'`.
REASON_LITERAL = re.compile(r"\bthen\s+'([a-z_]+)'")
# One table of raw_contract(): `'customers': {'required': true, ... 'columns': [ ... ]}`.
CONTRACT_TABLE = re.compile(r"'(\w+)':\s*\{'required':")
CONTRACT_COLUMN = re.compile(r"\('(\w+)',\s*'(\w+)'\)")
# A row of a column table in the doc: | `customer_id` | text | ... |
DOC_COLUMN_ROW = re.compile(r"^\|\s*`(\w+)`\s*\|\s*(\w+)", re.MULTILINE)


def _tracked_files() -> list[Path]:
    """Every file git tracks in this repository."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    return [REPO / name for name in listed.stdout.decode().split("\0") if name]


def _contract_tables() -> dict[str, list[tuple[str, str]]]:
    """The tables of macros/raw_contract.sql with their (column, contract type) pairs."""
    text = RAW_CONTRACT_MACRO.read_text()
    starts = list(CONTRACT_TABLE.finditer(text))
    tables = {}
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        tables[match.group(1)] = CONTRACT_COLUMN.findall(text[match.end():end])
    return tables


def _doc_section(text: str, table: str) -> str:
    """The part of the raw-contract page under the heading `### <table>`, up to the next heading."""
    match = re.search(rf"^### {re.escape(table)}\s*$(.*?)(?=^#{{2,3}} |\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def _staging_reason_codes() -> dict[str, list[str]]:
    """Each reason literal the staging SQL (and the quarantine macros it calls) returns, with the files."""
    files = sorted((REPO / "models" / "staging").rglob("*.sql"))
    files += [path for path in sorted((REPO / "macros").rglob("*.sql")) if "quarantine" in path.read_text()]
    codes: dict[str, list[str]] = {}
    for path in files:
        for code in REASON_LITERAL.findall(path.read_text()):
            codes.setdefault(code, []).append(str(path.relative_to(REPO)))
    return codes


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_no_tracked_file_points_outside_the_repository() -> None:
    offending = []
    for path in _tracked_files():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        for number, line in enumerate(lines, start=1):
            if any(reference in line for reference in OUTSIDE_REFERENCES):
                offending.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offending, (
        f"{len(offending)} line(s) in tracked files point to the team's contracts outside the repository; "
        "point them to docs/metrics.md or docs/raw_contract.md instead:\n" + "\n".join(offending)
    )


def test_every_raw_contract_column_is_documented_with_its_type() -> None:
    tables = _contract_tables()
    assert len(tables) == 10 and all(tables.values()), f"could not read macros/raw_contract.sql: {tables}"
    text = RAW_CONTRACT_DOC.read_text()
    problems = []
    for table, columns in tables.items():
        section = _doc_section(text, table)
        if not section:
            problems.append(f"{table}: no '### {table}' section")
            continue
        documented = dict(DOC_COLUMN_ROW.findall(section))
        for column, contract_type in columns:
            if column not in documented:
                problems.append(f"{table}.{column}: not in the section's column table")
            elif documented[column] != contract_type:
                problems.append(f"{table}.{column}: documented as {documented[column]}, declared {contract_type}")
        undeclared = sorted(set(documented) - {column for column, _ in columns})
        if undeclared:
            problems.append(f"{table}: documents columns the contract does not declare: {undeclared}")
    assert not problems, "docs/raw_contract.md and macros/raw_contract.sql disagree:\n" + "\n".join(problems)


def test_every_quarantine_reason_is_documented() -> None:
    codes = _staging_reason_codes()
    # The pattern must find the reasons we know are there, or the test below would pass on nothing.
    assert {"null_key", "duplicate_key", "bad_type", "orphan_customer", "missing_value"} <= set(codes), codes
    text = RAW_CONTRACT_DOC.read_text()
    missing = [f"{code} (used in {', '.join(sorted(set(files)))})" for code, files in sorted(codes.items())
               if f"`{code}`" not in text]
    assert not missing, "quarantine reasons given in staging but not described in docs/raw_contract.md:\n" + "\n".join(
        missing
    )


def test_links_in_the_docs_reach_existing_files_and_headings() -> None:
    link = re.compile(r"\]\(([^)#\s]*)(?:#([\w\-]+))?\)")
    broken = []
    for doc in (RAW_CONTRACT_DOC, METRICS_DOC):
        for target, anchor in link.findall(doc.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            path = (doc.parent / target).resolve() if target else doc
            if not path.exists():
                broken.append(f"{doc.relative_to(REPO)}: {target} does not exist")
            elif anchor and path.suffix == ".md":
                headings = re.findall(r"^#{1,6} (.+)$", path.read_text(), re.MULTILINE)
                if anchor not in {_github_anchor(heading) for heading in headings}:
                    broken.append(f"{doc.relative_to(REPO)}: no heading for {target or doc.name}#{anchor}")
    assert not broken, "broken links in the docs:\n" + "\n".join(broken)


# PostgreSQL cuts identifiers at 63 bytes and dbt refuses a longer relation name: a unit test's name becomes the
# name of the relation its expected rows are written to.
POSTGRES_IDENTIFIER_BYTES = 63


def test_every_model_and_unit_test_name_fits_a_postgresql_identifier() -> None:
    import yaml

    names = [path.stem for path in (REPO / "models").rglob("*") if path.suffix in (".sql", ".py")]
    for path in (REPO / "models").rglob("*.yml"):
        for unit_test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", []):
            names.append(unit_test["name"])
    too_long = sorted(name for name in names if len(name.encode()) > POSTGRES_IDENTIFIER_BYTES)
    assert len(names) > 100 and not too_long, f"names longer than {POSTGRES_IDENTIFIER_BYTES} bytes: {too_long}"
