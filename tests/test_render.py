"""render.py: escaping, bounded text and tables, binary embedding, inert Markdown. Pure and fast."""

from __future__ import annotations

import base64
import itertools
import re

import mcp_types as types
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_notebook import render
from mcp_notebook.render import Limits, safe_markdown

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)",
    "</pre><script>x</script>",
]


def no_markup(html: str, hostile: str) -> None:
    """``hostile`` appears in ``html`` only escaped: never raw, never able to close an attribute."""
    assert hostile not in html
    assert render.esc(hostile) in html


# -- esc, clip ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_esc_leaves_no_tag_or_quote(text):
    out = render.esc(text)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out


def test_esc_accepts_non_strings():
    assert render.esc(3) == "3"
    assert render.esc(["<a>"]) == "[&#x27;&lt;a&gt;&#x27;]"


def test_clip_reports_how_much_was_cut():
    assert render.clip("abcdef", 4) == ("abcd", 2)
    assert render.clip("abc", 4) == ("abc", 0)


# -- text blocks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_text_block_html_escapes(text):
    html = render.block_html(types.TextContent(type="text", text=text))
    no_markup(html, text)


def test_huge_text_block_is_bounded_and_says_so():
    text = "x" * 1_000_000
    limits = Limits(text_chars=1000)
    html = render.block_html(types.TextContent(type="text", text=text), limits)
    assert len(html) < 2000
    assert "999,000 more characters not shown" in html
    assert ".text has it all" in html
    plain = render.block_text(types.TextContent(type="text", text=text), limits)
    assert len(plain) < 1100 and "999,000 more characters" in plain


def test_short_text_has_no_cut_note():
    html = render.block_html(types.TextContent(type="text", text="hello"))
    assert "hello" in html and "not shown" not in html


def test_json_html_encodes_only_the_start_of_a_huge_value():
    value = list(range(2_000_000))
    text, more = render.pretty_json(value, 100)
    assert more and len(text) == 100
    assert text.startswith("[\n  0,\n  1,")
    html = render.json_html(value, Limits(text_chars=100), where=".data has it all")
    assert "the rest is not shown; .data has it all" in html and len(html) < 600


def test_json_html_escapes_strings_inside_values():
    html = render.json_html({"<b>": "<img src=x onerror=alert(1)>"})
    assert "<b>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_pretty_json_small_value_is_whole_and_readable():
    text, more = render.pretty_json({"a": [1, "é"]}, 1000)
    assert not more
    assert text == '{\n  "a": [\n    1,\n    "é"\n  ]\n}'


# -- images and audio ------------------------------------------------------------------------------


def test_image_embedded_as_data_uri_with_whitespace_removed():
    wrapped = "\n".join(PNG[i : i + 10] for i in range(0, len(PNG), 10))
    html = render.image_html("image/png", wrapped)
    assert f'src="data:image/png;base64,{PNG}"' in html


@pytest.mark.parametrize(
    "mime",
    ['image/png" onerror="alert(1)', "image/png><script>", "", None, "not a mime", "image/png;x=<b>"],
)
def test_image_with_bad_mime_is_not_embedded(mime):
    html = render.image_html(mime, PNG)
    assert "<img" not in html and "<script" not in html and 'onerror="' not in html
    assert "not shown" in html


@pytest.mark.parametrize("data", ['"><script>alert(1)</script>', 'AAAA" onerror="alert(1)', "ÿÿÿÿ"])
def test_image_with_non_base64_data_is_not_embedded(data):
    html = render.image_html("image/png", data)
    assert "<img" not in html and "<script" not in html
    assert "not valid base64" in html


def test_image_above_the_size_limit_is_not_embedded():
    data = "A" * 4000  # 3000 bytes decoded
    html = render.image_html("image/png", data, Limits(binary_bytes=1000))
    assert "<img" not in html
    assert "3,000 bytes" in html and "1,000" in html


def test_non_image_type_is_not_shown_as_an_image():
    html = render.image_html("text/html", PNG)
    assert "<img" not in html and "not an image type" in html


def test_svg_is_shown_only_through_img_which_runs_no_script():
    data = base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>").decode()
    html = render.image_html("image/svg+xml", data)
    assert html.startswith("<img ")
    assert "<script" not in html and "<svg" not in html


def test_audio_embedded_and_checked():
    data = base64.b64encode(b"RIFF....WAVE").decode()
    assert f'<audio controls src="data:audio/wav;base64,{data}">' in render.audio_html("audio/wav", data)
    assert "<audio" not in render.audio_html("image/png", data)
    assert "<audio" not in render.audio_html('audio/wav" onplay="x', data)
    assert "<audio" not in render.audio_html("audio/wav", "<script>")


# -- other blocks --------------------------------------------------------------------------------


@pytest.mark.parametrize("uri", ["javascript:alert(1)", 'https://x/" onclick="alert(1)', "<script>x</script>"])
def test_resource_link_is_never_a_live_link(uri):
    block = types.ResourceLink(type="resource_link", name="<b>n</b>", uri=uri, description="<i>d</i>")
    html = render.block_html(block)
    assert "<a" not in html and "href" not in html
    assert f"<code>{render.esc(uri)}</code>" in html  # shown for copying, not followed
    assert "<script" not in html and 'onclick="' not in html
    no_markup(html, "<b>n</b>")
    no_markup(html, "<i>d</i>")
    assert render.block_text(block) == f"[link {uri}]"


def test_embedded_text_resource_is_escaped():
    block = types.EmbeddedResource(
        type="resource",
        resource=types.TextResourceContents(uri="x://<b>", mime_type="text/plain", text="<script>1</script>"),
    )
    html = render.block_html(block)
    no_markup(html, "<script>1</script>")
    no_markup(html, "x://<b>")
    assert render.block_text(block) == "[resource x://<b>]\n<script>1</script>"


def test_embedded_blob_image_and_other_binary():
    image = types.EmbeddedResource(
        type="resource", resource=types.BlobResourceContents(uri='x://"a', mime_type="image/png", blob=PNG)
    )
    html = render.block_html(image)
    assert f"data:image/png;base64,{PNG}" in html
    assert 'alt="x://&quot;a"' in html
    blob = base64.b64encode(b"\x00" * 300).decode()
    other = types.EmbeddedResource(
        type="resource", resource=types.BlobResourceContents(uri="x://f.bin", mime_type="application/zip", blob=blob)
    )
    assert "[300 bytes of binary data; .bytes has them]" in render.block_html(other)
    assert render.block_text(other) == "[resource x://f.bin, application/zip, 300 bytes]"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 8, 1000])
def test_base64_size_is_the_decoded_size(size):
    data = base64.b64encode(bytes(size)).decode()
    assert render.base64_size(data) == size
    assert render.base64_size(data + "\n") == size


def test_image_block_text_names_type_and_size():
    data = base64.b64encode(b"\x00" * 30).decode()
    block = types.ImageContent(type="image", data=data, mime_type="image/png")
    assert render.block_text(block) == "[image image/png, 30 bytes]"


# -- tables ------------------------------------------------------------------------------------------


def test_table_html_escapes_headers_and_cells():
    html = render.table_html(["<th>", '"q"'], [["<img src=x onerror=alert(1)>", {"k": "<b>"}]], 1)
    assert "<img" not in html and "<th>" not in html.replace('<th style="text-align:left">', "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{&quot;k&quot;: &quot;&lt;b&gt;&quot;}" in html


def test_table_html_shows_only_the_limit_and_says_how_many_exist():
    rows = ([i, f"r{i}"] for i in itertools.count())  # endless: must only take what it shows
    html = render.table_html(["n", "name"], rows, 100_000, Limits(rows=5), footer=".to_dataframe() has it all")
    assert html.count("<tr>") == 6  # header and five rows
    assert "r4" in html and "r5" not in html
    assert "showing 5 of 100,000 rows · .to_dataframe() has it all" in html


def test_table_html_cells_are_cut_to_the_cell_limit():
    html = render.table_html(["c"], [["x" * 500]], 1, Limits(cell_chars=10))
    assert "x" * 9 + "…" in html and "x" * 10 not in html


def test_empty_table_says_it_has_no_rows():
    assert "no rows" in render.table_html(["a"], [], 0)
    assert render.table_text(["a"], [], 0).endswith("(no rows)")


def test_cell_text_forms():
    assert render.cell_text(None, 10) == ""
    assert render.cell_text({"a": [1, "é"]}, 100) == '{"a": [1, "é"]}'
    assert render.cell_text("two\nlines", 100) == "two lines"
    assert render.cell_text("abcdef", 4) == "abc…"
    assert render.cell_text(2.5, 10) == "2.5"


def test_table_text_aligns_columns_and_counts_the_rest():
    text = render.table_text(["name", "n"], [["a", 1], ["longer", 22], ["c", 3]], 3, max_rows=2)
    lines = text.splitlines()
    assert lines[0] == "name    n"
    assert lines[1] == "a       1"
    assert lines[2] == "longer  22"
    assert lines[3] == "… 1 more rows"


# -- safe_markdown ----------------------------------------------------------------------------------

# What a renderer could take for a fence line, inside any container (list item, block quote).
_FENCE_ANYWHERE = re.compile(r"^[ \t>*+\-.)0-9]*(`{3,}[^`]*$|~~~)")
_LIVE_SCHEME = re.compile(r"(?i)\b(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|data)\s*\\?:")
_INERT_CODE = re.compile(r"<code>([^<]*)</code>")


def check_inert(out: str) -> None:
    """The guarantees that make ``out`` safe under any CommonMark or marked-like renderer.

    Raw text (``<`` and script schemes) only inside fences that start at column 0, are closed by
    exactly their own marker, hold no line that could close them earlier, and have a blank line on
    each side (JupyterLab's math pass never pairs delimiters across one). Everywhere else no ``<``
    but the ``<code>`` wrappers, whose content is all entities, and no fence-like line.
    """
    lines = out.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # renderers end lines at \r too
    i = 0
    while i < len(lines):
        line = lines[i]
        opener = re.fullmatch(r"(`{3,}|~{3,})(.*)", line)
        if opener and not (opener.group(1)[0] == "`" and "`" in opener.group(2)):
            marker = opener.group(1)
            assert "<" not in opener.group(2), line
            assert i == 0 or lines[i - 1] == "", f"no blank line before {line!r}"
            i += 1
            while i < len(lines) and lines[i] != marker:
                assert not lines[i].lstrip(" ").startswith(marker), f"{lines[i]!r} could close {marker!r}"
                i += 1
            assert i < len(lines), f"fence {marker!r} is never closed"
            i += 1
            assert i == len(lines) or lines[i] == "", f"no blank line after the fence {marker!r}"
            continue
        assert not _FENCE_ANYWHERE.match(line), f"stray fence-like line {line!r}"
        for code in _INERT_CODE.findall(line):
            assert not re.search(r"[<>&\"'`\[\]()*_\\:!|$]", code.replace("&#", "").replace(";", "")), code
        bare = _INERT_CODE.sub("", line)
        assert "<" not in bare, f"raw < in prose: {line!r}"
        assert not _LIVE_SCHEME.search(bare), f"live scheme in prose: {line!r}"
        i += 1


ATTACKS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "text <svg onload=alert(1)> more",
    "[x](javascript:alert(1))",
    "[x](JaVa\tScRiPt:alert(1))",
    "[x](javascript\\:alert(1))",  # Markdown drops the backslash: javascript:
    "[x](vbscript:msgbox(1))",
    "![x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x]: javascript:alert(1)\n\n[click][x]",
    "<javascript:alert(1)>",
    "&lt;img src=x onerror=alert(1)&gt;",
    "`<img src=x onerror=alert(1)>``",  # closing run longer than the opener: no code span
    "\\`<img src=x onerror=alert(1)>`",  # escaped backtick: no code span
    "`a\n\n<img src=x onerror=alert(1)>\n\n`",  # a span cannot cross a blank line
    "[x](a`b)<img src=x onerror=alert(1)>`",  # the backtick is in a link destination
    "https://x`<img src=x onerror=alert(1)>`",  # marked's autolink swallows the backtick
    "``` `x\n<img src=x onerror=alert(1)>\n",  # a backtick in a backtick fence's info: no fence
    "- a\n  ```\n<img src=x onerror=alert(1)>\n",  # the list item (and its fence) ends at column 0
    "> ```\n> <img src=x onerror=alert(1)>\n",
    "```\na\r```\r<img src=x onerror=alert(1)>\n```",  # \r ends lines too
    "```\n```~\n<img src=x onerror=alert(1)>\n```",  # marked would close a fence here
    "  ```\n```\n<img src=x onerror=alert(1)>\n```",
    "    ```\n<img src=x onerror=alert(1)>\n",
    "~~~ <img src=x onerror=alert(1)>\ncode\n~~~",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_safe_markdown_defuses_attacks(text):
    check_inert(safe_markdown(text))


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "`<img src=x onerror=alert(1)>``",
        "\\`<img src=x onerror=alert(1)>`",
        "[x](a`b)<img src=x onerror=alert(1)>`",
        "https://x`<img src=x onerror=alert(1)>`",
        "``` `x\n<img src=x onerror=alert(1)>\n",
    ],
)
def test_no_tag_survives_in_prose(text):
    assert "<img" not in safe_markdown(text)


def test_script_links_lose_their_scheme():
    out = safe_markdown("[a](javascript:alert(1)) [b](vbscript:x) ![c](data:image/png;base64,AA) [d](javascript\\:y)")
    assert not _LIVE_SCHEME.search(out)
    assert "https://example.com" in safe_markdown("[ok](https://example.com)")


def test_ordinary_markdown_is_unchanged():
    text = "# Title\n\nSome *emphasis*, a [link](https://example.com) and `code`.\n\n- one\n- two\n\n> quote\n"
    assert safe_markdown(text) == text


def test_fenced_code_is_left_as_written():
    code = 'if a < b && c:\n    print("<b>javascript:x</b>")'
    text = f"Intro\n\n```python\n{code}\n```\n\nAfter <b>\n"
    out = safe_markdown(text)
    assert f"```python\n{code}\n```" in out
    assert out.endswith("After &lt;b>\n")


def test_tilde_fence_and_longer_closer():
    text = "~~~\n<b>\n~~~~~\n<i>"
    assert safe_markdown(text) == "~~~\n<b>\n~~~\n\n&lt;i>"


def test_inline_code_is_kept_or_shown_the_same():
    assert safe_markdown("use `a + b` here") == "use `a + b` here"
    out = safe_markdown("compare `a<b` and `x`")
    # A span with < is given as <code> holding entities: it shows exactly "a<b" in any context.
    assert out == "compare <code>a&#60;b</code> and `x`"


def test_indented_fence_moves_to_column_zero_keeping_relative_indent():
    out = safe_markdown("- item\n  ```js\n  x < y\n    z\n  ```\n")
    assert out == "- item\n\n```js\nx < y\n  z\n```\n"


def test_fence_longer_than_any_run_inside():
    # "```` y" is content (a closer has nothing after its run), but a renderer with looser rules
    # could take it for one: the fence grows past every run inside it.
    assert safe_markdown("```\n```` y\n<b>\n```") == "`````\n```` y\n<b>\n`````"


def test_a_longer_run_closes_the_fence():
    assert safe_markdown("```\n````\n<b>\n```") == "```\n```\n\n&lt;b>\n\n```\n```"


def test_unclosed_fence_is_closed():
    assert safe_markdown("```py\nx = '<b>'") == "```py\nx = '<b>'\n```"


def test_fence_cut_by_truncation_is_closed_and_cut_is_noted():
    text = "Intro\n\n```\n" + "<b>\n" * 100 + "```\n\n<script>x</script>"
    out = safe_markdown(text, limit=40)
    check_inert(out)
    assert "<script" not in out
    assert out.endswith("more characters not shown*") and f"{len(text) - 40:,} more" in out
    assert "\n```\n" in out


def test_huge_markdown_is_bounded():
    out = safe_markdown("<b>x</b> " * 1_000_000, limit=1000)
    assert len(out) < 5 * 1000 and "8,999,000 more characters not shown" in out


def test_stray_fence_lines_are_escaped_not_dropped():
    out = safe_markdown("> ```\n> x")
    assert out == "> \\```\n> x"


def test_inline_code_at_line_start_is_not_taken_for_a_fence():
    assert safe_markdown("```a``` and ```b```") == "```a``` and ```b```"
    # Once its span is given as <code>, nothing but backticks-free text follows the first run:
    # that would open a fence, so the run is escaped.
    assert safe_markdown("``````a```<b>```") == "\\``````a<code>&#60;b&#62;</code>"


_MD_ALPHABET = st.sampled_from(
    list("ab <>&`~\\:\n\t[]()!-*>.1 \"'=/")
    + ["```", "~~~", "javascript:", "JaVaScRiPt\\:", "data:", "<img src=x onerror=alert(1)>", "\r", "    ", "- "]
    + ["$", "$$", "\\begin{x}", "\\end{x}", "\\\\(", "\\\\)", "\n\n", "> ", "1. "]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MD_ALPHABET, max_size=60).map("".join))
def test_safe_markdown_fuzz_is_always_inert(text):
    out = safe_markdown(text)
    check_inert(out)
    assert raw_lt_outside_fences(jupyterlab_remove_math(out)) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(_MD_ALPHABET, max_size=80).map("".join), st.integers(min_value=0, max_value=60))
def test_safe_markdown_fuzz_with_truncation(text, limit):
    check_inert(safe_markdown(text, limit=limit))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFF), max_size=40))
def test_safe_markdown_keeps_fenced_code_exactly(code):
    code = code.replace("\r", "").replace("`", "")  # \r is a line end; backticks would shift the fence
    out = safe_markdown(f"```\n{code}\n```")
    body = out.split("\n", 1)[1].rsplit("\n", 1)[0]
    assert body == code


# JupyterLab takes math out of Markdown before rendering it (rendermime/src/latex.ts, removeMath):
# delimiters pair across single line ends, and what they enclose becomes an escaped placeholder.
# A pair from prose into a fence would take the fence's opener with it, and its code would be
# rendered as prose. This is a port of that pass, to check the output survives it.
_MATHSPLIT = re.compile(
    r"(\$\$?|\\(?:begin|end)\{[a-z]*\*?\}|\\[{}$]|[{}]|(?:\n\s*)+|@@\d+@@|\\\\(?:\(|\)|\[|\]))", re.I
)


def jupyterlab_remove_math(text: str) -> str:
    if "`" in text or "~~~" in text:  # "$" inside code is protected first
        text = text.replace("~", "~T")
        protect = lambda m: m.group(0).replace("$", "~D")  # noqa: E731
        text = re.sub(r"^(?P<f>`{3,}|(~T){3,})[^`\n]*\n[\s\S]*?^(?P=f)`*$", protect, text, flags=re.M)
        text = re.sub(r"(^|[^\\])(`+)([^\n]*?[^`\n])\2(?!`)", protect, text, flags=re.M)
    blocks = _MATHSPLIT.split(text.replace("\r\n", "\n").replace("\r", "\n"))

    def process(i: int, j: int) -> None:
        blocks[i : j + 1] = ["@@0@@"] + [""] * (j - i)

    start = end = last = None
    braces = 0
    i = 1
    while i < len(blocks):
        block = blocks[i]
        if start is not None:
            if block == end:
                if braces:
                    last = i
                else:
                    process(start, i)
                    start = end = last = None
            elif re.search(r"\n.*\n", block):
                if last is not None:
                    i = last
                    process(start, i)
                start = end = last = None
                braces = 0
            elif block == "{":
                braces += 1
            elif block == "}" and braces:
                braces -= 1
        elif block in ("$", "$$"):
            start, end, braces = i, block, 0
        elif block in ("\\\\(", "\\\\["):
            start, end, braces = i, "\\\\)" if block.endswith("(") else "\\\\]", 0
        elif block[1:6] == "begin":
            start, end, braces = i, "\\end" + block[6:], 0
        i += 2
    if last is not None:
        process(start, last)
    return re.sub(r"~([TD])", lambda m: "~" if m.group(1) == "T" else "$", "".join(blocks))


def raw_lt_outside_fences(markdown: str) -> list[str]:
    """Lines a CommonMark renderer reads as prose that hold a raw ``<`` (other than ``<code>``)."""
    found, fence = [], None
    for line in markdown.split("\n"):
        if fence is None:
            opener = re.match(r" {0,3}(`{3,}(?=[^`]*$)|~{3,})", line)
            if opener:
                fence = opener.group(1)
            elif "<" in re.sub(r"</?code>", "", line):
                found.append(line)
        elif re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", line):
            fence = None
    return found


MATH_ATTACKS = [
    "\\begin{x}\n```\n\\end{x}<img src=x onerror=alert(1)>\n```",
    "```\n\\begin{x}\n```\ntext \\end{x}\n```\n<img src=x onerror=alert(1)>\n```",
    "$x\n~~~ `a`\n$<img src=x onerror=alert(1)>\n~~~",
    "\\\\(\n```\n\\\\)<img src=x onerror=alert(1)>\n```",
    "a $$\n```\nb $$ <script>alert(1)</script>\n```",
]


def test_math_port_finds_the_attack_without_the_blank_lines():
    # Without a blank line between prose and fence, the math pass swallows the opener.
    joined = "\\begin{x}\n```\n\\end{x}<img src=x onerror=alert(1)>\n```"
    assert raw_lt_outside_fences(jupyterlab_remove_math(joined)) != []


@pytest.mark.parametrize("text", MATH_ATTACKS)
def test_jupyterlab_math_cannot_take_a_fence_apart(text):
    out = safe_markdown(text)
    check_inert(out)
    assert raw_lt_outside_fences(jupyterlab_remove_math(out)) == []


def test_mistune_renders_no_live_markup():
    """A real Markdown renderer (with its own link filter off) finds nothing live in the output."""
    mistune = pytest.importorskip("mistune")

    class Unfiltered(mistune.HTMLRenderer):
        def safe_url(self, url):
            return url

    markdown = mistune.create_markdown(renderer=Unfiltered(escape=False))
    for text in ATTACKS:
        html = markdown(safe_markdown(text))
        assert not re.search(r"<(script|svg|iframe)\b", html), (text, html)
        assert not re.search(r"<[^>]*\son\w+=", html), (text, html)
        assert not re.search(r"(?i)(href|src)=\"\s*(javascript|vbscript|data):", html), (text, html)
