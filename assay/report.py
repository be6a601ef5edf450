"""The reports ``assay check`` writes: a text table, JSON Lines, JUnit XML.

Every report streams: :meth:`Report.add` writes one result as soon as it is
decided, so memory does not grow with the number of proposals.  JUnit needs
its counts in the opening tag, so its test cases go to a temporary file and
are copied out behind the header at the end.

Model text reaches these reports (ids, reasons quoting values), so each
format escapes what it cannot carry: control characters and lone surrogates
in the text table, characters XML 1.0 forbids in JUnit, everything non-ASCII
in JSON Lines.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

from assay.kernel import Outcome, Verdict

__all__ = ["FORMATS", "CheckTally", "JsonReport", "JunitReport", "LineVerdict", "Report", "TextReport",
           "make_report", "passes"]


@dataclass(frozen=True)
class LineVerdict:
    """One proposal's verdict, with its record's id and 1-based line in the input."""

    id: str | int
    line: int
    verdict: Verdict


def passes(outcome: Outcome, *, allow_unknown: bool = False) -> bool:
    """Whether ``outcome`` lets ``assay check`` exit 0: ACCEPTED, or UNKNOWN when allowed."""
    return outcome is Outcome.ACCEPTED or (allow_unknown and outcome is Outcome.UNKNOWN)


@dataclass
class CheckTally:
    """Counts by outcome and the run's wall time, for the summary line and the exit code."""

    allow_unknown: bool = False
    counts: Counter[Outcome] = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0

    def add(self, verdict: Verdict) -> None:
        self.counts[verdict.outcome] += 1

    def stop(self) -> None:
        self.seconds = time.perf_counter() - self.started

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ok(self) -> bool:
        return all(passes(o, allow_unknown=self.allow_unknown) for o in self.counts)

    def summary(self) -> str:
        """``N proposals: A accepted, R refuted, M malformed, V vacuous, U unknown in S s``."""
        c = self.counts
        noun = "proposal" if self.total == 1 else "proposals"
        parts = [f"{c[Outcome.ACCEPTED]} accepted"]
        if c[Outcome.REPAIRED]:
            parts.append(f"{c[Outcome.REPAIRED]} repaired")
        parts += [f"{c[Outcome.REFUTED]} refuted", f"{c[Outcome.MALFORMED]} malformed",
                  f"{c[Outcome.VACUOUS]} vacuous", f"{c[Outcome.UNKNOWN]} unknown"]
        return f"{self.total} {noun}: {', '.join(parts)} in {self.seconds:.2f} s"


class Report(ABC):
    """A report format: :meth:`add` each result as it is decided, then :meth:`finish`."""

    def __init__(self, out: TextIO, *, spec_ref: str = "", source: str = "",
                 allow_unknown: bool = False) -> None:
        self.out = out
        self.spec_ref = spec_ref
        self.source = source
        self.allow_unknown = allow_unknown

    def start(self) -> None:  # noqa: B027 -- a hook: most formats have no header
        """Write what comes before the first result (a header), if anything."""

    @abstractmethod
    def add(self, result: LineVerdict) -> None:
        """Write one result."""

    def finish(self, tally: CheckTally) -> None:
        """Write what comes after the last result."""
        self.out.flush()

    #: Whether the summary line is part of this report; if not, the CLI prints it on stderr.
    has_summary: bool = False


# --- text --------------------------------------------------------------------

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ID_WIDTH: Final = 20
_MAX_VIOLATIONS: Final = 10


def printable(text: str) -> str:
    """``text`` on one line: control characters and lone surrogates as backslash escapes."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(
        m.group(), f"\\x{ord(m.group()):02x}"), text)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with ``...`` where it was cut."""
    return text if len(text) <= width else text[:max(width - 3, 0)] + "..."


class TextReport(Report):
    """A table: id, verdict, seconds, reason; the violated clauses under each refuted row."""

    has_summary = True

    def __init__(self, out: TextIO, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        # A terminal gets rows that fit it; a log file (CI) gets room for whole reasons.
        isatty = getattr(out, "isatty", lambda: False)()
        columns = shutil.get_terminal_size((120, 24)).columns if isatty else 240
        self.reason_width = max(columns - (_ID_WIDTH + 22), 30)

    def start(self) -> None:
        self.out.write(f"{'ID':<{_ID_WIDTH}}  {'VERDICT':<9}  {'SECONDS':>7}  REASON\n")

    def add(self, result: LineVerdict) -> None:
        v = result.verdict
        rid = clip(printable(str(result.id)), _ID_WIDTH)
        reason = clip(printable(v.reason), self.reason_width)
        lines = [f"{rid:<{_ID_WIDTH}}  {v.outcome.name:<9}  {v.seconds:7.3f}  {reason}"]
        indent = " " * (_ID_WIDTH + 2)
        for violation in v.violations[:_MAX_VIOLATIONS]:
            lines.append(indent + clip(printable(f"line {violation.line}: {violation.detail}"),
                                       self.reason_width + 20))
        if len(v.violations) > _MAX_VIOLATIONS:
            lines.append(f"{indent}... and {len(v.violations) - _MAX_VIOLATIONS} more")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def finish(self, tally: CheckTally) -> None:
        self.out.write(tally.summary() + "\n")
        super().finish(tally)


# --- JSON Lines ----------------------------------------------------------------


def result_json(result: LineVerdict) -> dict[str, Any]:
    """The JSON object of one result: id, line, then the verdict's own fields."""
    return {"id": result.id, "line": result.line, **result.verdict.to_json()}


class JsonReport(Report):
    """One JSON object per line: id, line, verdict, reason, violations, where, claims, certificate,
    seconds."""

    def add(self, result: LineVerdict) -> None:
        # ASCII only: model text can hold lone surrogates (not UTF-8 at all) and U+0085 or
        # U+2028, which many readers (Python's str.splitlines among them) take for line breaks.
        self.out.write(json.dumps(result_json(result), ensure_ascii=True) + "\n")
        self.out.flush()


# --- JUnit XML -----------------------------------------------------------------

# Characters that XML 1.0 does not allow at all, even escaped.
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids written as ``\\xNN`` / ``\\uNNNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


#: The JUnit element of each failing outcome: a wrong answer is a failure; a
#: question assay could not decide is an error (not the model's fault, not a pass).
_JUNIT_KIND: Final = {
    Outcome.REFUTED: "failure",
    Outcome.VACUOUS: "failure",
    Outcome.MALFORMED: "failure",
    Outcome.REPAIRED: "failure",
    Outcome.UNKNOWN: "error",
}


class JunitReport(Report):
    """JUnit XML (one ``testsuite``, one ``testcase`` per proposal), as GitHub and GitLab read it."""

    def start(self) -> None:
        self._cases = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 -- closed in finish
        self._counts: Counter[str] = Counter()
        self._timestamp = time.strftime("%Y-%m-%dT%H:%M:%S")

    def add(self, result: LineVerdict) -> None:
        v = result.verdict
        case = ET.Element("testcase", {
            "classname": xml_text(self.spec_ref),
            "name": xml_text(str(result.id)),
            "file": xml_text(self.source),
            "line": str(result.line),
            "time": f"{v.seconds:.6f}",
        })
        self._counts["tests"] += 1
        if v.outcome is not Outcome.ACCEPTED:
            allowed = v.outcome is Outcome.UNKNOWN and self.allow_unknown
            kind = "skipped" if allowed else _JUNIT_KIND[v.outcome]
            self._counts[kind] += 1
            element = ET.SubElement(case, kind, {"type": v.outcome.value,
                                                 "message": xml_text(f"{v.outcome}: {v.reason}")})
            element.text = xml_text(_details(v))
        self._cases.write("    " + ET.tostring(case, encoding="unicode") + "\n")

    def finish(self, tally: CheckTally) -> None:
        counts = {"tests": str(self._counts["tests"]), "failures": str(self._counts["failure"]),
                  "errors": str(self._counts["error"]), "skipped": str(self._counts["skipped"]),
                  "time": f"{tally.seconds:.3f}"}
        suites = ET.Element("testsuites", {"name": "assay check", **counts})
        suite = ET.SubElement(suites, "testsuite", {
            "name": xml_text(self.spec_ref), **counts, "timestamp": self._timestamp})
        # Write the opening tags, then stream the cases, then close both.
        head = ET.tostring(suites, encoding="unicode")
        suite_tag = ET.tostring(suite, encoding="unicode")
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(_opening(head) + "\n")
        self.out.write("  " + _opening(suite_tag) + "\n")
        self._cases.seek(0)
        shutil.copyfileobj(self._cases, self.out)
        self._cases.close()
        self.out.write("  </testsuite>\n</testsuites>\n")
        super().finish(tally)


def _opening(tag: str) -> str:
    """``<a x="1"><b/></a>`` -> ``<a x="1">``; ``<a x="1" />`` -> ``<a x="1">``."""
    end = tag.index(">")
    return tag[:end].rstrip(" /") + ">"


def _details(v: Verdict) -> str:
    lines = [v.reason]
    lines += [f"line {x.line}: {x.clause}: {x.detail}" for x in v.violations]
    if v.where is not None:
        lines.append(f"where: {v.where}")
    if v.certificate:
        lines.append(f"certificate: {v.certificate}")
    return "\n".join(lines)


FORMATS: Final = {"text": TextReport, "json": JsonReport, "junit": JunitReport}


def make_report(fmt: str, out: TextIO, **kwargs: Any) -> Report:
    """The report for format ``fmt`` (one of :data:`FORMATS`), writing to ``out``."""
    report: Report = FORMATS[fmt](out, **kwargs)
    return report
