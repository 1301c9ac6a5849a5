"""Text from files is data, never markup (STYLE.md, habit 13).

Every name that comes from an upload (an area, an indicator, a provider or team, a file's own
name) reaches the screen and the exports through this module, in the form its sink needs:

* :func:`for_markdown` for Streamlit's markdown: ``st.title``, ``st.header``, ``st.subheader``,
  ``st.caption``, ``st.markdown``, ``st.write``, the bodies of ``st.success``, ``st.info``,
  ``st.warning`` and ``st.error``, ``st.spinner``, widget and metric labels and help. Every ASCII
  punctuation character is escaped with a backslash, which CommonMark allows for each of them,
  so a link, emphasis, a heading, a list, a table, HTML, ``$`` maths and Streamlit's own
  ``:red[...]``, ``:material/...:`` and ``:emoji:`` codes all show as they were typed. A web or
  email address gets an invisible word joiner (U+2060) after ``:`` in ``://``, after ``www``
  and before ``@``: Streamlit links bare addresses after reading the markdown, escapes or not.
* :func:`for_plotly` for plotly's text: titles, legend entries, axis and tick labels, hover
  text, annotations. Plotly draws a subset of HTML (``<a href>``, ``<b>``, ``<br>``, ...) and
  fills in ``%{...}`` templates, so ``&``, ``<`` and ``>`` become entities (which plotly turns
  back into the characters) and ``%{`` is written so no template can match it.
* :func:`for_reportlab` for a reportlab ``Paragraph`` (the PDF board pack), whose mini-HTML
  (``<b>``, ``<a href>``, ``<font>``, ...) needs ``&``, ``<`` and ``>`` escaped.
* :func:`clean` for every sink (the three above call it first), and on its own for the sinks
  that show plain text: ``st.dataframe`` cells and headings, ``st.selectbox`` options,
  PowerPoint text, reportlab's ``drawString``, file metadata. Control characters go (a tab
  or line break becomes a space), and so do the bidirectional controls (the embeddings,
  overrides and isolates U+202A-U+202E and U+2066-U+2069, and the marks U+200E, U+200F and
  U+061C), so a right-to-left override in a name cannot reverse the words after it. Letters
  of right-to-left scripts stay: they are text.
* :func:`shorten` for titles and legends: a long name is cut with an ellipsis at
  :data:`TITLE` or :data:`LEGEND` characters. Tables keep the whole name.
"""

from __future__ import annotations

import re
import unicodedata

TITLE = 60
"""The most characters of a name shown in a title (a page's, a chart's, the board pack's cover)."""
LEGEND = 40
"""The most characters of a name shown as a legend entry."""
ELLIPSIS = "…"

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
WORD_JOINER = "\u2060"
# GitHub-flavoured markdown turns web and email addresses in the text into links after the markdown is
# read (Streamlit's front end finds /(https?:\/\/|www(?=\.))[-.\w]+/ and /[-.\w+]+@[-\w]+(\.[-\w]+)+/ in
# the text nodes), so no escape can stop it: an invisible word joiner where each would start can.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def _kept(ch: str) -> str:
    if ch in BIDI_CONTROLS:
        return ""
    if ch in _BREAKS:
        return " "
    # Cc: the C0 and C1 controls (NUL included); Cs: lone surrogates, which no file format can hold.
    if unicodedata.category(ch) in ("Cc", "Cs") or ch in "\ufffe\uffff":
        return ""
    return ch


def clean(text: object) -> str:
    """``text`` as one line of plain text: control and bidirectional control characters
    removed, line breaks and tabs as spaces, runs of spaces as one; '' for None."""
    if text is None:
        return ""
    raw = str(text)
    if raw.isascii() and raw.isprintable():  # the usual case: nothing to remove
        return " ".join(raw.split())
    return " ".join("".join(_kept(ch) for ch in raw).split())


def shorten(text: object, limit: int) -> str:
    """:func:`clean` text of at most ``limit`` characters, cut with an ellipsis when longer."""
    if limit < 2:
        raise ValueError("A shortened name needs room for a character and the ellipsis.")
    plain = clean(text)
    if len(plain) <= limit:
        return plain
    return plain[:limit - 1].rstrip() + ELLIPSIS


def _prepared(text: object, limit: int | None) -> str:
    return clean(text) if limit is None else shorten(text, limit)


def for_markdown(text: object, *, limit: int | None = None, lines: bool = False) -> str:
    """``text`` to put in Streamlit markdown, shown exactly as written (shortened to ``limit``).

    With ``lines``, a message of several lines (a list of problems, say) keeps its line breaks,
    each line shown as written."""
    if lines:
        return "  \n".join(for_markdown(line, limit=limit) for line in str(text).splitlines() if clean(line))
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, _prepared(text, limit)))


def for_plotly(text: object, *, limit: int | None = None) -> str:
    """``text`` to put in a plotly title, legend, label, hover text or annotation, shown exactly
    as written (shortened to ``limit``)."""
    plain = _prepared(text, limit)
    return plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("%{", "&#37;{")


def for_reportlab(text: object, *, limit: int | None = None) -> str:
    """``text`` to put in a reportlab Paragraph, shown exactly as written (shortened to ``limit``)."""
    plain = _prepared(text, limit)
    return plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["BIDI_CONTROLS", "ELLIPSIS", "LEGEND", "TITLE", "WORD_JOINER", "clean", "for_markdown", "for_plotly",
           "for_reportlab", "shorten"]
