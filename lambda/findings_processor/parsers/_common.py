"""Construction helper that makes every parser's findings valid by design."""

from __future__ import annotations

from findings_processor.memo import Memo, remember
from findings_processor.model import Category, Finding, Severity, trusted_finding
from findings_processor.normalize import fingerprint, one_line

# A scanner's original severities are a handful of words: each normalized once.
_ORIGINAL_SEVERITIES: Memo[str, str] = Memo(lambda text: one_line(text, 64) or "none")
# Rule ids and titles recur across a scan's findings (a rule's id on each of its results, a title
# a parser made once per rule message): each distinct text is put on one line once. Titles that
# are new per finding (a package and version in them) cost a failed lookup each. "" stands for
# a text with nothing on its line.
_RULE_LINES: dict[str | None, str] = {}
_TITLE_LINES: dict[str | None, str] = {}


def build(  # noqa: PLR0917 - what every finding has, in this order; the rest by keyword
    scanner: str,
    rule_id: str | None,
    title: str | None,
    description: str | None,
    severity: Severity,
    severity_original: str | None,
    category: Category,
    identity: tuple[object, ...],
    source_report: str,
    /,
    *,
    confidence: str | None = None,
    file: str | None = None,
    start_line: int | None = None,
    end_line: int | None = None,
    package: str | None = None,
    version: str | None = None,
    fixed_version: str | None = None,
    image: str | None = None,
    layer: str | None = None,
    resource: str | None = None,
    cves: tuple[str, ...] = (),
    cwes: tuple[str, ...] = (),
    reference_url: str | None = None,
    suppressed: bool = False,
) -> Finding:
    """A finding from what a parser read.

    The nine values every finding has are passed by position, in the order above: a call passing
    a dozen or more values by keyword costs several times the call itself, once per finding.
    `description` is text as `normalize.as_str` returns it (or None): it is used as given, not
    cleaned a second time. `identity` is what makes this issue in this place distinct (never the
    severity); the fingerprint is made from it here, so it always has the form Finding requires.
    """
    rule = _RULE_LINES.get(rule_id)
    if rule is None:
        rule = remember(_RULE_LINES, rule_id, one_line(rule_id, 256) or "")
    rule = rule or "unknown-rule"
    heading = _TITLE_LINES.get(title)
    if heading is None:
        heading = remember(_TITLE_LINES, title, one_line(title, 1024) or "")
    heading = heading or rule
    # Rule, title and description are non-empty and stripped by construction, the fingerprint is
    # made below; the rest of what Finding.__post_init__ checks is checked here, so the finding is
    # made without it.
    if not scanner.strip():
        raise ValueError("finding needs a scanner, a rule id and a title")
    if not isinstance(severity, Severity):
        raise TypeError(f"severity must be a Severity, got {severity!r}")
    if start_line is not None and start_line < 1:
        raise ValueError(f"start_line must be >= 1, got {start_line}")
    if end_line is not None and start_line is not None and end_line < start_line:
        raise ValueError("end_line must not precede start_line")
    return trusted_finding(
        scanner,
        rule,
        heading,
        description or heading,
        severity,
        _ORIGINAL_SEVERITIES[severity_original] if severity_original else "none",
        category,
        fingerprint(scanner, *identity),
        confidence,
        file,
        start_line,
        end_line,
        package,
        version,
        fixed_version,
        image,
        layer,
        resource,
        cves,
        cwes,
        reference_url,
        suppressed,
        source_report,
    )
