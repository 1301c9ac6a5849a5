"""The one escaping module: a name from a file, whatever it holds, is shown as written in
Streamlit's markdown, in plotly and in the PDF board pack, and never as a link, emphasis or HTML.

Markdown is checked by rendering it with markdown-it-py (a CommonMark renderer, installed with
import-linter through rich) and reading back the text and the links; plotly and reportlab by
the markup their renderers read (plotly's own drawing of the text is checked in
tests/pages/test_hostile_names.py, from an SVG plotly drew).
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from charts import plain_text

LINK = "[Click to verify your account](https://evil.example/login)"
HOSTILE = {
    "markdown link": LINK,
    "autolink": "<https://evil.example/login>",
    "image": "![x](https://evil.example/pixel.png)",
    "emphasis": "**Northvale** and _Southdale_ and *Westvale* and ~~gone~~",
    "heading and list": "# Heading\n- item\n1. item\n> quote",
    "html": '<b>bold</b> <a href="https://evil.example">here</a> <img src=x onerror=alert(1)> &amp; &lt;',
    "table": "| a | b |\n|---|---|\n| c | d |",
    "code": "`code` and ```fence```",
    "streamlit codes": ":red[red] :material/warning: :smile: $x^2$ $$y$$",
    "plotly template": "%{meta} %{y} %{customdata[0]}",
    "backslashes": "C:\\temp\\*not emphasis*\\",
}
ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_MD = MarkdownIt("commonmark").enable(["strikethrough", "table"])
# GitHub-flavoured markdown's autolink literals, as Streamlit's front end finds them in the text nodes after
# the markdown is read (mdast-util-gfm-autolink-literal): an address there becomes a link, escaped or not.
GFM_AUTOLINKS = (re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE | re.ASCII),
                 re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII))


def _rendered(source: str) -> tuple[str, list[str]]:
    """Markdown as a reader sees it: its text (word joiners, which show as nothing, left out), and the
    kinds of markup it made (links, autolinked addresses, emphasis, HTML...)."""
    text, markup = [], []
    for block in _MD.parse(source):
        if block.type not in ("paragraph_open", "paragraph_close", "inline"):
            markup.append(block.type)
        for token in block.children or []:
            if token.type in ("text", "softbreak", "hardbreak"):
                text.append({"softbreak": " ", "hardbreak": "\n"}.get(token.type, token.content))
                markup += ["autolink" for pattern in GFM_AUTOLINKS if pattern.search(token.content)]
            else:
                markup.append(token.type)
    return "".join(text).replace(plain_text.WORD_JOINER, ""), markup


@pytest.mark.parametrize("kind", HOSTILE)
def test_markdown_shows_the_name_as_written(kind: str) -> None:
    name = HOSTILE[kind]
    text, markup = _rendered(plain_text.for_markdown(name))
    assert markup == []  # no link, image, emphasis, heading, list, HTML, code or table
    assert text == plain_text.clean(name)  # every character shown, none swallowed


@pytest.mark.parametrize("kind", HOSTILE)
def test_markdown_escapes_every_punctuation_mark(kind: str) -> None:
    """Streamlit's own codes (:red[...], :material/...:, :smile:, $maths$) are found in the
    source by its front end, not by CommonMark: none can match once every mark is escaped."""
    escaped = plain_text.for_markdown(HOSTILE[kind])
    assert not ASCII_PUNCTUATION.search(re.sub(r"\\.", "", escaped)), escaped


def test_markdown_of_a_name_inside_a_sentence() -> None:
    source = f"Every measure for {plain_text.for_markdown(LINK)}; compared with **England**."
    text, markup = _rendered(source)
    assert text == f"Every measure for {LINK}; compared with England."
    assert markup == ["strong_open", "strong_close"]  # the sentence's own bold, not the name's link


def test_markdown_keeps_the_lines_of_a_message_when_asked() -> None:
    message = "The targets file has problems:\n- kind must be one of level, path, not '<b>x</b>'.\n- [a](https://e.vil)"
    source = plain_text.for_markdown(message, lines=True)
    assert source.count("  \n") == 2
    text, markup = _rendered(source)
    assert markup == []
    assert text.split("\n") == message.split("\n")


@pytest.mark.parametrize("kind", HOSTILE)
def test_plotly_text_has_no_tag_entity_or_template(kind: str) -> None:
    """Plotly reads tags (<a href>, <b>, <br>), entities and %{...} templates in text: none survive."""
    escaped = plain_text.for_plotly(HOSTILE[kind])
    assert "<" not in escaped and ">" not in escaped and "%{" not in escaped
    assert re.sub(r"&(amp|lt|gt|#37);", "", escaped).count("&") == 0
    unescaped = escaped.replace("&#37;", "%").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == plain_text.clean(HOSTILE[kind])


@pytest.mark.parametrize("kind", HOSTILE)
def test_reportlab_paragraph_shows_the_name_as_written(kind: str) -> None:
    name = HOSTILE[kind]
    paragraph = Paragraph(plain_text.for_reportlab(name), ParagraphStyle("t"))
    assert "".join(frag.text for frag in paragraph.frags) == plain_text.clean(name)
    assert not any(getattr(frag, "link", None) for frag in paragraph.frags)
    assert not any(getattr(frag, "bold", 0) or getattr(frag, "italic", 0) for frag in paragraph.frags)


def test_right_to_left_overrides_and_isolates_are_removed() -> None:
    """U+202E would show 'evil\u202egpj.exe' as 'evilexe.jpg'; isolates, embeddings and marks go too."""
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    name = f"evil{controls}gpj.exe"
    for form in (plain_text.clean, plain_text.for_markdown, plain_text.for_plotly, plain_text.for_reportlab):
        shown = form(name)
        assert not set(shown) & set(controls), form.__name__
    assert plain_text.clean(name) == "evilgpj.exe"


def test_right_to_left_letters_stay() -> None:
    assert plain_text.clean("مدينة لندن") == "مدينة لندن"
    assert plain_text.clean("עיר") == "עיר"


def test_control_characters_are_removed_and_breaks_become_spaces() -> None:
    name = "North\x00vale\x07\x1b[31m\tTeam\r\nOne\x85Two\u2028Three\x7f\x9b"
    shown = plain_text.clean(name)
    assert shown == "Northvale[31m Team One Two Three"
    assert "\x00" not in plain_text.for_markdown(name) and "\x00" not in plain_text.for_plotly(name)
    assert all(ch.isprintable() for ch in plain_text.for_reportlab(name))


def test_lone_surrogates_and_noncharacters_are_removed() -> None:
    assert plain_text.clean("a\ud800b\ufffec\uffff") == "abc"


def test_nothing_else_changes() -> None:
    assert plain_text.clean("Bournemouth, Christchurch and Poole") == "Bournemouth, Christchurch and Poole"
    assert plain_text.clean("  Kingston  upon Hull ") == "Kingston upon Hull"
    assert plain_text.clean(None) == ""
    assert plain_text.clean(12) == "12"
    assert plain_text.for_plotly("Percentage (%)") == "Percentage (%)"


def test_long_names_are_shortened_with_an_ellipsis() -> None:
    name = "A very long partnership name " * 7
    short = plain_text.shorten(name, plain_text.TITLE)
    assert len(short) <= plain_text.TITLE and short.endswith(plain_text.ELLIPSIS)
    assert name.startswith(short[:-1])
    assert plain_text.shorten("Northvale", plain_text.TITLE) == "Northvale"
    assert len(plain_text.for_plotly(name, limit=plain_text.LEGEND)) <= plain_text.LEGEND
    assert plain_text.for_markdown(name, limit=plain_text.TITLE).endswith(plain_text.ELLIPSIS)
    assert plain_text.for_markdown(name) == plain_text.for_markdown(name.strip())  # no limit: the whole name


@pytest.mark.parametrize("address", ["https://evil.example/login", "HTTP://EVIL.EXAMPLE", "www.evil.example",
                                     "verify@evil.example", "mailto:verify@evil.example"])
def test_bare_addresses_are_not_linked(address: str) -> None:
    """Streamlit links a bare address found in the text: the name keeps it as text."""
    assert _rendered(address)[1] == ["autolink"]  # the check sees what Streamlit would link
    text, markup = _rendered(f"Compared with {plain_text.for_markdown(address)}.")
    assert markup == [] and text == f"Compared with {address}."
