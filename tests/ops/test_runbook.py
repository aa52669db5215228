"""Every runbook entry names the test or rule that prevents it, and that test or rule exists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = REPO_ROOT / "docs" / "runbook.md"
FIELDS = ("Symptom", "Diagnosis", "Fix", "Prevented by")
# `path::name`: a test function (or a rule function) defined in a Python file, or a rule id in a YAML rule file.
REFERENCE = re.compile(r"`([\w./-]+\.(?:py|ya?ml))::([\w-]+)`")
# The failures the platform has met; each must keep its entry.
KNOWN_FAILURES = (
    "ResourceInitializationError",
    "CannotPullContainerError",
    "password rotation",
    "AssumeRoleWithWebIdentity",
    "503",
    "replace the database",
    "EXPIRED",
)


@dataclass(frozen=True)
class Entry:
    title: str
    fields: dict[str, str]
    references: tuple[tuple[str, str], ...]


def parse(text: str) -> list[Entry]:
    entries = []
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title, _, body = block.partition("\n")
        fields: dict[str, str] = {}
        for match in re.finditer(r"^- \*\*(.+?)\*\*: (.*?)(?=^- \*\*|\Z)", body, flags=re.MULTILINE | re.DOTALL):
            fields[match.group(1)] = " ".join(match.group(2).split())
        references = tuple(REFERENCE.findall(fields.get("Prevented by", "")))
        entries.append(Entry(title.strip(), fields, references))
    return entries


def problems(entries: list[Entry], root: Path) -> list[str]:
    found = []
    for entry in entries:
        missing = [f for f in FIELDS if not entry.fields.get(f)]
        if missing:
            found.append(f"{entry.title!r}: missing {', '.join(missing)}")
        if not entry.references:
            found.append(f"{entry.title!r}: 'Prevented by' names no `path::test_name` or rule")
        for path, name in entry.references:
            file = root / path
            if not file.is_file():
                found.append(f"{entry.title!r}: {path} does not exist")
                continue
            source = file.read_text()
            if file.suffix == ".py":
                defined = re.search(rf"^\s*(?:async\s+)?def {re.escape(name)}\(", source, flags=re.MULTILINE)
            else:
                defined = re.search(rf"^\s*-?\s*id:\s*['\"]?{re.escape(name)}['\"]?\s*$", source, flags=re.MULTILINE)
            if defined is None:
                found.append(f"{entry.title!r}: {name} is not defined in {path}")
    return found


def test_every_entry_has_symptom_diagnosis_fix_and_an_existing_prevention() -> None:
    entries = parse(RUNBOOK.read_text())
    assert len(entries) >= len(KNOWN_FAILURES)
    assert problems(entries, REPO_ROOT) == []


@pytest.mark.parametrize("failure", KNOWN_FAILURES)
def test_each_known_failure_has_an_entry(failure: str) -> None:
    titles = [entry.title for entry in parse(RUNBOOK.read_text())]
    assert any(failure in title for title in titles), f"no runbook entry for {failure!r}; entries: {titles}"


def test_a_renamed_or_missing_test_is_reported(tmp_path: Path) -> None:
    # Given a runbook naming one real test, one renamed test and one missing file
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_real() -> None:\n    pass\n")
    text = (
        "# Runbook\n\n## A failure\n\n- **Symptom**: s\n- **Diagnosis**: d\n- **Fix**: f\n"
        "- **Prevented by**: `tests/test_x.py::test_real`, `tests/test_x.py::test_renamed`,\n"
        "  `tests/test_gone.py::test_any`\n\n"
        "## Another\n\n- **Symptom**: s\n- **Fix**: f\n- **Prevented by**: a review\n"
    )
    # When it is checked
    found = problems(parse(text), tmp_path)
    # Then each problem is named, and the real test is not
    assert found == [
        "'A failure': test_renamed is not defined in tests/test_x.py",
        "'A failure': tests/test_gone.py does not exist",
        "'Another': missing Diagnosis",
        "'Another': 'Prevented by' names no `path::test_name` or rule",
    ]
