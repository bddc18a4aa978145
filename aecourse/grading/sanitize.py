"""Student content made safe to show in a browser: no script, event handler or javascript: URL.

A student's markdown and rich outputs (``text/html``, ``image/svg+xml``, ``text/markdown``,
``application/javascript``) end up in the pages the kit writes or serves: feedback, the
formgrader's views, the class report. :class:`SanitizeStudentContent` is an nbconvert
preprocessor run on the notebook being rendered (``c.HTMLExporter.preprocessors``, so both the
formgrader's exporter and the feedback's pick it up; nbconvert's own ``sanitize_html`` misses the
formgrader's markdown, whose template does not clean it): each markdown cell is rendered to
HTML here and cleaned, HTML and SVG outputs are cleaned, script outputs are dropped. The
autograded notebook itself keeps what the student wrote.
"""

from __future__ import annotations

import re

import bleach
from bleach.css_sanitizer import CSSSanitizer
from nbconvert.preprocessors import Preprocessor

TAGS = {*bleach.ALLOWED_TAGS, "p", "div", "span", "br", "hr", "pre", "code", "img", "table", "thead", "tbody",
        "tr", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6", "sub", "sup", "del", "details", "summary", "dl", "dt",
        "dd", "math", "mi", "mn", "mo", "mrow", "msup", "msub", "mfrac", "msqrt", "mtext", "semantics", "annotation"}
ATTRIBUTES = {"*": ["class", "id", "title", "style", "align"], "a": ["href", "title"],
              "img": ["src", "alt", "width", "height"], "th": ["colspan", "rowspan"], "td": ["colspan", "rowspan"]}
PROTOCOLS = {"http", "https", "mailto", "attachment"}
SCRIPT_KINDS = ("application/javascript", "text/javascript", "application/x-javascript")
CLEANED_KINDS = ("text/html", "image/svg+xml")
MARKER = "aecourse_sanitized"
_cleaner = bleach.Cleaner(tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=False,
                          css_sanitizer=CSSSanitizer())


def clean(fragment: str) -> str:
    """An HTML fragment without scripts, event handlers, javascript: URLs or unknown tags (escaped, so
    they show as text)."""
    return _cleaner.clean(fragment)


def markdown_as_safe_html(source: str) -> str:
    """A markdown cell's source, rendered and cleaned, as a raw-HTML block markdown leaves alone."""
    from nbconvert.filters import markdown2html

    rendered = clean(markdown2html(source))
    # One HTML block: a blank line would end it, and markdown would read the rest again.
    return "<div>\n" + re.sub(r"\n\s*\n", "\n<!-- -->\n", rendered.strip()) + "\n</div>\n"


def sanitize_notebook(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown" and not cell.get("metadata", {}).get(MARKER):
            cell.source = markdown_as_safe_html(cell.source)
            cell.setdefault("metadata", {})[MARKER] = True
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data")
            if not data:
                continue
            for kind in [k for k in data if k in SCRIPT_KINDS or k.startswith("application/vnd.jupyter.widget")]:
                del data[kind]
            for kind in CLEANED_KINDS:
                if isinstance(data.get(kind), str):
                    data[kind] = clean(data[kind])
            if isinstance(data.get("text/markdown"), str):
                data["text/markdown"] = markdown_as_safe_html(data["text/markdown"])
            if not data:
                data["text/plain"] = ""
    return nb


class SanitizeStudentContent(Preprocessor):
    """Render-time cleaning of a notebook's markdown and rich outputs (see the module docstring)."""

    enabled = True

    def preprocess(self, nb, resources):
        return sanitize_notebook(nb), resources
