"""A flow definition as highlighted HTML with line numbers, its problem lines marked (Pygments).

YAML's lexer also reads JSON definitions (JSON is YAML). Pygments escapes the text itself;
each line gets the anchor `L<n>` so a problem's line number links to its line.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import YamlLexer

from translator import validate_text


@dataclass(frozen=True)
class Problem:
    severity: str
    line: int
    column: int
    path: str
    message: str


def problems_of(definition: str, name: str = "flow") -> list[Problem]:
    """The translator's diagnostics (errors and warnings) for `definition`."""
    result = validate_text(definition, f"{name}.yaml")
    return [
        Problem(d.severity.value, d.line, d.column, d.path, d.message) for d in result.diagnostics
    ]


def highlighted(definition: str, problems: list[Problem]) -> Markup:
    lines = sorted({p.line for p in problems if p.line > 0})
    formatter = HtmlFormatter(
        linenos="table", hl_lines=lines, lineanchors="L", anchorlinenos=True, cssclass="code"
    )
    return Markup(highlight(definition, YamlLexer(), formatter))


def style_sheet() -> str:
    return str(HtmlFormatter(cssclass="code").get_style_defs(".code"))  # type: ignore[no-untyped-call]
