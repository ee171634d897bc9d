"""Body HTML to Markdown, rule by rule, on small snippets (the golden tests cover real pages)."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.site.markdown import html_to_markdown, node_to_markdown

NBSP = "\xa0"


def md(html: str) -> str:
    """Convert a fragment."""
    return html_to_markdown(html)


def check(cases: list[tuple[str, str]]) -> None:
    """Assert every (html, expected Markdown) pair, reporting the first that differs."""
    for html, expected in cases:
        assert md(html) == expected, html


def test_node_to_markdown_converts_the_children_of_the_body_div() -> None:
    page = (
        "<div class='main'><h1>Title</h1>"
        "<div class='prose field--name-body'>\n<p>One.</p>\n<p>Two.</p>\n</div></div>"
    )
    body = LexborHTMLParser(page).css_first(".field--name-body")
    assert body is not None
    assert node_to_markdown(body) == "One.\n\nTwo."


def test_empty_input_gives_an_empty_string() -> None:
    check([("", ""), ("<p> </p>", ""), ("<div>\n  \n</div>", "")])


def test_paragraphs_are_separated_by_one_blank_line_and_whitespace_collapses() -> None:
    check(
        [
            ("<p>a</p><p>b</p>", "a\n\nb"),
            ("<p>  a \n\t b  </p>\n\n\n<p>c</p>", "a b\n\nc"),
            ("<div>a</div>b<p>c</p>", "a\n\nb\n\nc"),
        ]
    )


def test_no_break_spaces_and_typographic_quotes_are_kept() -> None:
    check(
        [
            (f"<p>a{NBSP}{NBSP}b</p>", f"a{NBSP}{NBSP}b"),
            # A paragraph holding only a no-break space survives (the archive has many).
            ("<p>a</p><p>&nbsp;</p><p>b</p>", f"a\n\n{NBSP}\n\nb"),
            ("<p>end.&nbsp;</p>", "end."),  # trimmed at the very end of the body only
            ("<p>end.&nbsp;</p><p>x</p>", f"end.{NBSP}\n\nx"),
            ("<p>“quoted” – ‘single’</p>", "“quoted” – ‘single’"),
        ]
    )


def test_bullet_and_numbered_lists() -> None:
    check(
        [
            ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
            ("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"),
            ('<ol start="3"><li>a</li><li>b</li></ol>', "3. a\n4. b"),
            # Numbers are zero-padded to the width of the last one.
            ("<ol>" + "<li>x</li>" * 10 + "</ol>", "\n".join(f"{i:02d}. x" for i in range(1, 11))),
            ("<p>x</p><ul><li>a</li><li></li><li>&nbsp;</li></ul>", "x\n\n- a"),
            ("<ul><li><p>a</p><p>b</p></li></ul>", "- a\n  \n  b"),
        ]
    )


def test_nested_lists_are_indented_under_the_marker_after_a_blank_line() -> None:
    check(
        [
            (
                "<ul><li>a<ul><li>b</li><li>c</li></ul></li><li>d</li></ul>",
                "- a\n  \n  - b\n  - c\n- d",
            ),
            ("<ol><li>a<ul><li>b</li></ul></li></ol>", "1. a\n   \n   - b"),
            (
                "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li></ul>",
                "- a\n  \n  - b\n    \n    - c",
            ),
        ]
    )


def test_consecutive_lists_are_kept_apart_by_an_end_comment() -> None:
    check(
        [
            ("<ul><li>a</li></ul>\n<ul><li>b</li></ul>", "- a\n\n<!--THE END-->\n\n- b"),
            ("<ul><li>a</li></ul><ol><li>b</li></ol>", "- a\n\n<!--THE END-->\n\n1. b"),
            ("<ul><li>a</li></ul><p>x</p><ul><li>b</li></ul>", "- a\n\nx\n\n- b"),
            ("<ul><li>a</li></ul><hr><ul><li>b</li></ul>", "- a\n\n* * *\n\n- b"),
        ]
    )


def test_bold_and_italic() -> None:
    check(
        [
            ("<p><strong>bold</strong> and <em>italic</em></p>", "**bold** and *italic*"),
            ("<p><b>b</b> <i>i</i></p>", "**b** *i*"),
            # Whitespace at the edges moves outside the delimiters.
            ("<p>x<b> a </b>y</p>", "x **a** y"),
            # Adjacent or nested bold merges instead of giving `**a****b**`.
            ("<p><b>a</b><b>b</b></p>", "**ab**"),
            ("<p><b>a</b><span><b>b</b></span> c</p>", "**ab** c"),
            ("<p><b>a<strong>b</strong></b></p>", "**ab**"),
            # A delimiter cannot span lines, so each line gets its own.
            ("<p><strong>a<br>b</strong></p>", "**a**  \n**b**"),
            ("<p><strong> </strong>x</p>", "x"),
        ]
    )


def test_word_span_soup_is_flattened() -> None:
    check(
        [
            ("<p><span><span>a</span> <span>b</span></span></p>", "a b"),
            ("<p><span lang='EN-AU'><span>x</span></span></p>", "x"),
            # A span holding blocks is treated as a block.
            ("<span><p>a</p><p>b</p></span>", "a\n\nb"),
        ]
    )


def test_links_keep_the_href_as_written_with_spaces_percent_encoded() -> None:
    check(
        [
            ('<p><a href="https://www.govt.nz/a">text</a></p>', "[text](https://www.govt.nz/a)"),
            (
                '<p><a href="/sites/default/files/2019-05/A B.pdf">A B</a></p>',
                "[A B](/sites/default/files/2019-05/A%20B.pdf)",
            ),
            (
                '<p><a href="mailto:operational.separation@med.govt.nz  '
                '?subject=Telecom%20operational%20separation">x</a></p>',
                "[x](mailto:operational.separation@med.govt.nz%20%20"
                "?subject=Telecom%20operational%20separation)",
            ),
            ('<p><a href=" /x ">t</a></p>', "[t](/x)"),
            ('<p><a href="#_ftn1">[1]</a></p>', "[\\[1\\]](#_ftn1)"),
            ('<p><a href="/x" title="T">t</a></p>', '[t](/x "T")'),
            ('<p><a href="">t</a></p>', "[t]()"),
            ('<p><a href="/x"></a></p>', "[](/x)"),
            # Whitespace at the edges of the text moves outside the brackets.
            ('<p>see<a href="/x"> here </a>now</p>', "see [here](/x) now"),
            # Bold around a link goes inside it; a link around a heading goes inside it.
            ('<p><strong><a href="/x">t</a></strong></p>', "[**t**](/x)"),
            ('<a href="/x">\n<h2>t</h2>\n</a>', "## [t](/x)"),
            ('<p><a href="/a">x<br><br>y</a></p>', "[x  \n\\\ny](/a)"),
        ]
    )


def test_hrefs_are_normalised_as_go_net_url_does() -> None:
    check(
        [
            # The query is re-encoded key by key, spaces as %20 rather than +.
            (
                '<p><a href="http://www.beehive.govt.nz/?q=node/31463">x</a></p>',
                "[x](http://www.beehive.govt.nz/?q=node%2F31463)",
            ),
            (
                '<p><a href="HTTP://Example.com/ā?x=a b&amp;y">x</a></p>',
                "[x](http://Example.com/%C4%81?x=a%20b&y)",
            ),
            ('<p><a href="http://x.org/a(b)">x</a></p>', "[x](http://x.org/a%28b%29)"),
            ('<p><a href="http://x.org/a+b?open">x</a></p>', "[x](http://x.org/a+b?open)"),
            # Not a valid URL for Go: left as written, apart from the always-encoded characters.
            ('<p><a href="/100% sure">x</a></p>', "[x](/100%%20sure)"),
        ]
    )


def test_images_and_linked_images() -> None:
    check(
        [
            ('<p><img src="/a b.jpg" alt="A [b]"></p>', "![A \\[b\\]](/a%20b.jpg)"),
            (
                '<p><a href="/media/59"><img src="/i.jpg?itok=a_B" alt="x"></a></p>',
                "[![x](/i.jpg?itok=a_B)](/media/59)",
            ),
            ('<p><img src="/a.png" title="say &quot;hi&quot;"></p>', "![](/a.png 'say \"hi\"')"),
            ('<p><img alt="no source"></p>', ""),
            # The space after an image is kept...
            ('<p><img src="/a.png" alt="a"> caption</p>', "![a](/a.png) caption"),
            # ...but not once the image's link has ended (the Drupal media embed).
            (
                '<div><a href="/m"><img src="/i.jpg" alt="x">\n\n</a>\n</div>\nThe text',
                "[![x](/i.jpg)](/m)\n\nThe text",
            ),
        ]
    )


def test_atx_headings() -> None:
    check(
        [
            ("<h2>Title</h2><p>x</p>", "## Title\n\nx"),
            ("<h3>Ti<br>tle</h3>", "### Ti tle"),
            ("<h1>a  \n b</h1>", "# a b"),
            ("<h3>C#</h3>", "### C\\#"),
            ("<h2>&nbsp;</h2><p>x</p>", "x"),
            ("<h2><ul><li>x</li></ul></h2>", "## x"),
        ]
    )


def test_horizontal_rule() -> None:
    # Inside a heading a rule cannot stand, so it is dropped.
    check([("<p>a</p><hr><p>b</p>", "a\n\n* * *\n\nb"), ("<h2>a<hr>b</h2>", "## ab")])


def test_blockquotes() -> None:
    check(
        [
            ("<blockquote><p>a</p><p>b</p></blockquote>", "> a\n> \n> b"),
            ("<blockquote><blockquote>x<br>y<br></blockquote></blockquote>", "> > x  \n> > y"),
            ("<blockquote> </blockquote><p>x</p>", "x"),
        ]
    )


def test_line_breaks() -> None:
    check(
        [
            ("<p>a<br>b</p>", "a  \nb"),
            ("<p>a <br> b</p>", "a  \nb"),
            # Breaks that make a blank line become a paragraph break; trailing ones go.
            ("<p>a<br><br>b</p>", "a\n\nb"),
            ("<p>a <br/><br/>\n<br/><br/>\nb</p>", "a\n\nb"),
            ("<p>a<br></p><p>b</p>", "a\n\nb"),
            ("<p>a<br><br></p>", "a"),
        ]
    )


def test_markdown_characters_are_escaped_only_where_they_would_be_markdown() -> None:
    check(
        [
            ("<p>1. Not a list</p>", "1\\. Not a list"),
            ("<p>2007. A year</p>", "2007\\. A year"),
            ("<p>1) x</p>", "1\\) x"),
            ("<p>In 2007. Next</p>", "In 2007. Next"),
            ("<p>- dash</p>", "\\- dash"),
            ("<p>+ plus</p>", "\\+ plus"),
            ("<p>co-operation - and -5%</p>", "co-operation - and -5%"),
            ("<p># hash</p>", "\\# hash"),
            ("<p>### three</p>", "\\### three"),
            ("<p>#hashtag</p>", "#hashtag"),
            ("<p>---</p>", "\\---"),
            ("<p>Title<br>===</p>", "Title  \n\\==="),
            ("<p>a_b *c* 2 * 3</p>", "a\\_b \\*c* 2 * 3"),
            ("<p>*Footnote</p>", "\\*Footnote"),
            ("<p>[Slide 1] and [x</p>", "\\[Slide 1] and [x"),
            ("<p>a\\b `c`</p>", "a\\\\b \\`c\\`"),
            ("<p>&lt;b&gt; &amp; &gt; quote</p>", "&lt;b&gt; & &gt; quote"),
            ("<p>$5 (GST) | 100% \"ok\" 'yes' ~ = !</p>", "$5 (GST) | 100% \"ok\" 'yes' ~ = !"),
            # Escaping is decided per list item, where the item's text starts a line.
            ("<ul><li>- x</li><li>1. y</li></ul>", "- \\- x\n- 1\\. y"),
        ]
    )


def test_unwanted_elements_are_dropped() -> None:
    check(
        [
            (
                "<p>a<script>x()</script>b</p><style>p{}</style>"
                '<iframe src="https://www.youtube.com/embed/x"></iframe><noscript>n</noscript>',
                "ab",
            ),
            ("<p>a<!-- comment -->b</p>", "ab"),
            ("<p>H<sub>2</sub>O and x<sup>2</sup></p>", "H2O and x2"),
        ]
    )


def test_code() -> None:
    check(
        [
            ("<p>use <code>a  |  b</code></p>", "use `a | b`"),
            ("<p><code>a`b</code></p>", "``a`b``"),
            ('<pre><code class="language-py">a\n\n\nb</code></pre>', "```py\na\n\n\nb\n```"),
        ]
    )


def test_tables_become_gfm_tables() -> None:
    check(
        [
            (
                "<table><thead><tr><th>A</th><th>B</th></tr></thead>"
                "<tbody><tr><td>1</td><td>2</td></tr></tbody></table>",
                "| A | B |\n| --- | --- |\n| 1 | 2 |",
            ),
            # Without a thead the first row is the header; short rows are padded.
            (
                "<table><tr><td>a|b</td><td>x<br>y</td></tr>"
                '<tr><td colspan="2">- wide</td></tr><tr><td>only</td></tr></table>',
                "| a\\|b | x y |\n| --- | --- |\n| - wide |  |\n| only |  |",
            ),
            (
                "<p>x</p><table><caption><strong>Fees</strong></caption>"
                "<tr><th>&nbsp;</th><th>Now</th></tr>"
                "<tr><th>Adult</th><td><p>$1</p><p>&nbsp;</p></td></tr></table><p>y</p>",
                "x\n\n**Fees**\n\n|  | Now |\n| --- | --- |\n| Adult | $1 |\n\ny",
            ),
            ("<p>x</p><table></table><p>y</p>", "x\n\ny"),
            (
                "<table><tr><td><table><tr><td>in</td><td>x|y</td></tr></table></td></tr></table>",
                "| in x\\|y |\n| --- |",
            ),
        ]
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # The Telecom release (2007-12-24): doubled <br>s, an nbsp paragraph, nested quotes.
        (
            "<p>Mr Cunliffe said. <br/><br/>\n<br/><br/>\n“Telecom has”</p>\n<p>\xa0</p>\n"
            "<blockquote><blockquote> Operational Separation Submission<br><br>\n"
            "ICT Regulatory Team <br><br>\nWELLINGTON <br>\n</blockquote>\n</blockquote>",
            "Mr Cunliffe said.\n\n“Telecom has”\n\n\xa0\n\n"
            "> > Operational Separation Submission\n> > \n> > ICT Regulatory Team\n> > \n"
            "> > WELLINGTON",
        ),
        # The NZ–Turkey release (2008-04-29): nbsp-only headings vanish, nbsp paragraphs stay.
        (
            "<h2><span>New Zealand</span><span> and Turkey</span></h2>\n"
            "<h2><span>\xa0</span></h2>\n"
            "<p><span>“Today”</span></p>\n<p><span>\xa0</span></p>\n"
            '<p><span lang="EN-AU">areas.<span>\xa0\xa0 </span></span></p><p>More.</p>',
            "## New Zealand and Turkey\n\n“Today”\n\n\xa0\n\nareas.\xa0\xa0\n\nMore.",
        ),
    ],
    ids=["telecom", "turkey"],
)
def test_real_page_excerpts(html: str, expected: str) -> None:
    assert md(html) == expected
