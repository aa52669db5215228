"""The parser registry names each parser module with the scanner name that module reports."""

from __future__ import annotations

import importlib

from findings_processor import parsers


def test_registry_names_match_parser_modules() -> None:
    for module_name, scanner in parsers._PARSERS:
        module = importlib.import_module(f"findings_processor.parsers.{module_name}")
        assert scanner == module.SCANNER
    assert "sarif" not in parsers.SCANNERS
