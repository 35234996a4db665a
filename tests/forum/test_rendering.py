"""Tests for forum.rendering: Markdown and remote HTML must come out inert.

Safety is checked structurally: the output is parsed with the stdlib HTMLParser and every
tag, attribute and link target is held against the allowlist, so a vector cannot pass by
merely spelling its payload differently from what a substring search expects.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from forum.rendering import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    LINK_REL,
    render_markdown,
    sanitize_html,
)

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
FORBIDDEN_TAGS = frozenset({"img", "script", "style", "iframe", "svg"})
# Browsers ignore ASCII whitespace and control characters inside a scheme, so they are
# removed before the scheme is read; "java\tscript:" must count as "javascript:".
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


class _Collector(HTMLParser):
    """Records every tag with its attributes, plus anything that is not plain markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.oddities: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        # A stray end tag for something outside the allowlist still means markup leaked.
        if tag not in ALLOWED_TAGS:
            self.oddities.append(f"end tag </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.oddities.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.oddities.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.oddities.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.oddities.append(f"unknown declaration {data!r}")


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def _text(html: str) -> str:
    return "".join(_parse(html).text)


def _links(html: str) -> list[dict[str, str | None]]:
    return [dict(attrs) for tag, attrs in _parse(html).tags if tag == "a"]


def _href_scheme(href: str) -> str | None:
    """The scheme a browser would act on, or None for a relative reference."""
    cleaned = _IGNORED_IN_URL.sub("", href).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


def assert_inert(html: str) -> None:
    assert "<script" not in html.lower(), html
    parsed = _parse(html)
    assert parsed.oddities == [], html
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, f"<{tag}> is not allowed: {html}"
        assert tag not in FORBIDDEN_TAGS, html
        allowed_here = set(ALLOWED_ATTRIBUTES.get(tag, []))
        if tag == "a":
            allowed_here.add("rel")
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} on <{tag}>: {html}"
            assert name != "style", f"style attribute on <{tag}>: {html}"
            assert name in allowed_here, f"{name} is not allowed on <{tag}>: {html}"
            if name == "href":
                assert value is not None, html
                scheme = _href_scheme(value)
                assert scheme is None or scheme in SAFE_SCHEMES, f"href {value!r}: {html}"


# (id, source). Each is fed to render_markdown as Markdown and to sanitize_html as if a
# remote server had sent it, so Markdown-only and HTML-only tricks are both exercised.
XSS_VECTORS: list[tuple[str, str]] = [
    # <script> in many spellings
    ("script-plain", "<script>alert(1)</script>"),
    ("script-upper", "<SCRIPT>alert(1)</SCRIPT>"),
    ("script-mixed-case-src", "<ScRiPt src=//evil.example/x.js></ScRiPt>"),
    ("script-type-attr", '<script type="text/javascript">alert(1)</script>'),
    ("script-slash-attr", "<script/xss src=//evil.example/x.js></script>"),
    ("script-nested-split", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script-double-open", "<<script>alert(1);//<</script>"),
    ("script-in-template", "<template><script>alert(1)</script></template>"),
    ("script-in-noscript-title", '<noscript><p title="</noscript><script>alert(1)</script>">'),
    # event handler attributes
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("img-javascript-src", '<IMG SRC="javascript:alert(1)">'),
    ("body-onload", "<body onload=alert(1)>"),
    ("div-onmouseover", '<div onmouseover="alert(1)">hover me</div>'),
    ("input-autofocus-onfocus", "<input autofocus onfocus=alert(1)>"),
    ("a-onclick", '<a href="https://example.com" onclick="alert(1)">click</a>'),
    ("details-ontoggle", "<details open ontoggle=alert(1)>x</details>"),
    ("video-source-onerror", "<video><source onerror=alert(1)></video>"),
    # dangerous schemes in Markdown links, autolinks, reference links, images
    ("md-link-javascript", "[x](javascript:alert(1))"),
    ("md-link-javascript-case", "[x](JaVaScRiPt:alert(1))"),
    ("md-link-javascript-angle", "[x](<javascript:alert(1)>)"),
    ("md-link-vbscript", "[x](vbscript:msgbox(1))"),
    ("md-link-data-html", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-link-data-html-plain", "[x](data:text/html,%3Cscript%3Ealert(1)%3C/script%3E)"),
    ("md-autolink-javascript", "<javascript:alert(1)>"),
    ("md-autolink-vbscript", "<vbscript:msgbox(1)>"),
    ("md-autolink-quote-breakout", '<http://example.com/" onmouseover="alert(1)>'),
    ("md-reference-javascript", "[x][r]\n\n[r]: javascript:alert(1)"),
    ("md-reference-data-titled", '[x]\n\n[x]: data:text/html,<script>alert(1)</script> "t"'),
    ("md-image-javascript", "![x](javascript:alert(1))"),
    ("md-image-data-html", "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-image-data-svg", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("md-image-reference-javascript", "![x][i]\n\n[i]: javascript:alert(1)"),
    # entity and encoding tricks
    ("entity-tab-in-scheme", "[x](jav&#x09;ascript:alert(1))"),
    ("entity-decimal-j", "[x](&#106;avascript:alert(1))"),
    ("entity-hex-ja", "[x](&#x6A;&#x61;vascript:alert(1))"),
    ("nul-in-scheme", "[x](java\0script:alert(1))"),
    ("url-encoded-scheme", "[x](%6A%61vascript:alert(1))"),
    ("url-encoded-colon", "[x](javascript%3Aalert(1))"),
    ("html-href-newline-entity", '<a href="jav&#x0A;ascript:alert(1)">x</a>'),
    ("html-href-padded-entities", '<a href="&#0000106&#0000097vascript:alert(1)">x</a>'),
    ("html-href-leading-space", '<a href="  javascript:alert(1)">x</a>'),
    ("html-href-colon-entity", '<a href="javascript&colon;alert(1)">x</a>'),
    ("html-href-tab-entity", '<a href="java&Tab;script:alert(1)">x</a>'),
    ("html-href-hex-entities", '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>'),
    ("html-href-no-semicolon", '<a href="&#106avascript:alert(1)">x</a>'),
    ("md-link-colon-entity", "[x](javascript&colon;alert(1))"),
    ("html-href-data", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    # SVG and MathML
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("svg-xlink-href", '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>'),
    ("mathml-href", '<math href="javascript:alert(1)">x</math>'),
    ("mathml-mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    # CSS
    ("style-attr-url", '<p style="background:url(javascript:alert(1))">x</p>'),
    ("style-attr-expression", '<div style="width: expression(alert(1))">x</div>'),
    ("style-block-import", "<style>@import 'javascript:alert(1)';</style>"),
    ("style-block-url", '<style>body{background:url("javascript:alert(1)")}</style>'),
    # embedding and navigation elements
    ("iframe-javascript", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object-data", '<object data="javascript:alert(1)"></object>'),
    ("embed-data", '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">'),
    ("form-action", '<form action="javascript:alert(1)"><button>go</button></form>'),
    ("button-formaction", '<button formaction="javascript:alert(1)">x</button>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base-href", '<base href="javascript:alert(1)//">'),
    ("link-stylesheet", '<link rel=stylesheet href="javascript:alert(1)">'),
    # malformed and unclosed markup
    ("unclosed-img", "<img src=x onerror=alert(1)"),
    ("unclosed-attribute", '<a href="javascript:alert(1)" title="x'),
    ("tag-inside-tag", "<div <script>alert(1)</script>"),
    ("xmp-raw-text", "<xmp><script>alert(1)</script></xmp>"),
    # comments, conditional comments, CDATA
    ("html-comment", "<!-- <script>alert(1)</script> -->"),
    ("conditional-comment", "<!--[if IE]><script>alert(1)</script><![endif]-->"),
    ("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    # Markdown link titles and alt text trying to break out of their attribute
    ("title-double-quote-breakout", '[x](https://example.com "a\\" onmouseover=\\"alert(1)")'),
    ("title-single-quoted", "[x](https://example.com 'a\" onmouseover=\"alert(1)')"),
    ("title-closes-tag", '[x](https://example.com "\\"><script>alert(1)</script>")'),
    ("alt-breakout", '![x" onerror="alert(1)](https://example.com/i.png)'),
    ("bare-url-breakout", 'https://example.com/"><script>alert(1)</script>'),
    # code spans, code blocks and tables holding HTML
    ("code-span-script", "`<script>alert(1)</script>`"),
    ("code-span-img", "``<img src=x onerror=alert(1)>``"),
    ("fenced-code-script", "```html\n<script>alert(1)</script>\n```"),
    ("indented-code-iframe", "    <iframe src=javascript:alert(1)></iframe>"),
    (
        "table-with-html",
        "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    ),
    ("table-with-link", "| a |\n|---|\n| [x](javascript:alert(1)) |"),
]

XSS_PARAMS = [pytest.param(source, id=vector_id) for vector_id, source in XSS_VECTORS]


def test_corpus_is_large_and_distinct() -> None:
    ids = [vector_id for vector_id, _ in XSS_VECTORS]
    sources = [source for _, source in XSS_VECTORS]
    assert len(XSS_VECTORS) >= 40
    assert len(set(ids)) == len(ids)
    assert len(set(sources)) == len(sources)


@pytest.mark.parametrize("source", XSS_PARAMS)
def test_render_markdown_output_is_inert(source: str) -> None:
    assert_inert(render_markdown(source))


@pytest.mark.parametrize("source", XSS_PARAMS)
def test_sanitize_html_output_is_inert(source: str) -> None:
    assert_inert(sanitize_html(source))


@pytest.mark.parametrize("source", XSS_PARAMS)
def test_sanitized_output_is_stable_when_sanitized_again(source: str) -> None:
    # If a second pass changed anything, the first output would mean something different
    # to the next parser that reads it (the root of mutation XSS).
    for once in (render_markdown(source), sanitize_html(source)):
        assert sanitize_html(once) == once


def test_checker_rejects_unsafe_markup() -> None:
    # The structural checker is only worth something if it actually fails on bad output.
    unsafe = [
        "<script>alert(1)</script>",
        '<img src="x">',
        '<p onclick="alert(1)">x</p>',
        '<p style="color:red">x</p>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JAVA\tSCRIPT:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        "<div>x</div>",
        "<!-- x -->",
    ]
    for html in unsafe:
        with pytest.raises(AssertionError):
            assert_inert(html)


def test_commonmark_emphasis_renders_em_and_strong() -> None:
    html = render_markdown("*soft* and **loud**")
    assert "<em>soft</em>" in html
    assert "<strong>loud</strong>" in html


def test_commonmark_lists_render_ul_and_ol() -> None:
    html = render_markdown("- one\n- two\n\n3. three\n4. four\n")
    assert "<ul>" in html
    assert html.count("<li>") == 4
    assert '<ol start="3">' in html


def test_code_block_keeps_angle_brackets_escaped() -> None:
    html = render_markdown("```\nif a < b && c > d:\n    pass\n```")
    assert "<pre><code>" in html
    assert "a &lt; b &amp;&amp; c &gt; d" in html
    assert "if a < b && c > d:" in _text(html)
    assert_inert(html)


def test_code_span_shows_html_as_literal_text() -> None:
    html = render_markdown("use `<b>hi</b>` for bold")
    assert "<code>&lt;b&gt;hi&lt;/b&gt;</code>" in html
    # Escaped exactly once: a reader sees <b>hi</b>, not &lt;b&gt;hi&lt;/b&gt;.
    assert _text(html) == "use <b>hi</b> for bold\n"


def test_remote_code_keeps_entities_escaped_once() -> None:
    html = sanitize_html("<pre><code>x &lt; y &amp;&amp; z</code></pre>")
    assert html == "<pre><code>x &lt; y &amp;&amp; z</code></pre>"


def test_tables_render_table_markup() -> None:
    html = render_markdown("| name | note |\n|:-----|-----:|\n| a | b |\n")
    assert "<table>" in html
    assert "<th" in html
    assert "<td" in html
    assert_inert(html)


def test_strikethrough_renders_s_or_del() -> None:
    html = render_markdown("~~withdrawn~~")
    assert "<s>withdrawn</s>" in html or "<del>withdrawn</del>" in html


def test_bare_urls_are_linkified() -> None:
    html = render_markdown("see https://example.com/help and www.example.org")
    hrefs = [link.get("href") for link in _links(html)]
    assert hrefs == ["https://example.com/help", "http://www.example.org"]


def test_bare_url_inside_code_is_not_linkified() -> None:
    html = render_markdown("`https://example.com`")
    assert _links(html) == []


def test_every_markdown_link_gets_rel() -> None:
    html = render_markdown(
        "[a](https://example.com) <https://example.net> https://example.org "
        "![pic](https://example.com/p.png)\n\n[r]\n\n[r]: https://example.com/ref"
    )
    links = _links(html)
    assert len(links) == 5
    assert all(link.get("rel") == LINK_REL for link in links)


def test_remote_html_links_get_rel_replacing_their_own() -> None:
    html = sanitize_html(
        '<p><a href="https://a.example" rel="opener">a</a> '
        '<a href="https://b.example" rel="me nofollow" target="_blank">b</a> '
        '<a href="https://c.example">c</a> <a>no href</a></p>'
    )
    links = _links(html)
    assert len(links) == 4
    assert all(link.get("rel") == LINK_REL for link in links)
    assert all("target" not in link for link in links)
    assert_inert(html)


def test_images_become_links_not_img() -> None:
    html = render_markdown("![a calm lake](https://example.com/lake.png)")
    assert "<img" not in html
    assert _links(html) == [{"href": "https://example.com/lake.png", "rel": LINK_REL}]
    assert "Image: a calm lake" in _text(html)


def test_image_alt_text_is_escaped_inside_link() -> None:
    html = render_markdown('![say "hi" <b>](https://example.com/i.png)')
    assert 'Image: say "hi" <b>' in _text(html)
    assert_inert(html)


def test_raw_html_in_markdown_is_shown_escaped() -> None:
    html = render_markdown("before <b>hi</b> after")
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    assert "<b>" not in html
    assert "before <b>hi</b> after" in _text(html)


def test_data_image_url_is_not_a_clickable_data_link() -> None:
    html = render_markdown("![dot](data:image/png;base64,iVBORw0KGgo=)")
    assert "<img" not in html
    for link in _links(html):
        href = link.get("href")
        assert href is None or _href_scheme(href) != "data"
    assert "data:" not in html
    assert_inert(html)


def test_mailto_and_relative_links_are_kept() -> None:
    html = render_markdown("[mail](mailto:help@example.com) [rules](/boards/rules)")
    hrefs = [link.get("href") for link in _links(html)]
    assert hrefs == ["mailto:help@example.com", "/boards/rules"]


def test_remote_html_disallowed_tags_are_stripped_keeping_text() -> None:
    html = sanitize_html("<div><p>kept <font color=red>text</font></p></div>")
    assert html == "<p>kept text</p>"
