"""Tests for scraper.archive.document: Go quoting, the archive file layout, reading and writing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scraper.archive.document import decode, dumps, error_reason, go_quote, is_canonical, loads
from scraper.errors import DocumentError
from scraper.models import Release

ARCHIVE = Path(__file__).parent / "fixtures" / "archive"
CANONICAL_FIXTURES = [
    "1997-12-16-no-foundation-reports-housing-nz-be-sold-tainui.md",
    "2023-04-26-speechird-high-wealth-individuals-research-project-launch.md",
    "2012-08-31-tongan-language-week--uike-katoangai-o-e-lea-faka--tonga.md",
    "2007-10-10-major-health-milestone-reached.md",
    "2006-01-01-30433.md",
]
TE_ARAWHITI = "2018-05-25-government-mourns-passing-kingi-taurua.md"
NESTED_LIST = "2001-11-02-genetic-modification.md"
QUOTED_ITEM = "2002-01-29-points-premium-migrants-relevant-job-offer.md"


def fixture_text(name: str) -> str:
    return decode((ARCHIVE / name).read_bytes(), name)


def release(**changes: Any) -> Release:
    fields: dict[str, Any] = {
        "title": "A title",
        "date": dt.date(2024, 5, 6),
        "url": "https://www.beehive.govt.nz/release/a-title",
        "ministers": ("Hon A Minister",),
        "portfolios": ("Finance",),
        "attachments": (),
        "body": "Body text.",
    }
    fields.update(changes)
    return Release(**fields)


# ---------------------------------------------------------------------------
# go_quote
# ---------------------------------------------------------------------------

# Outputs of Go's strconv.Quote for these inputs.
GO_QUOTE = [
    ("", '""'),
    ("Hello, 世界", '"Hello, 世界"'),
    ("North Korea leads Peters' talks", '"North Korea leads Peters\' talks"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("\a\b\f\n\r\t\v", '"\\a\\b\\f\\n\\r\\t\\v"'),
    ("\x00\x01\x1b\x1f", '"\\x00\\x01\\x1b\\x1f"'),
    ("\x7f", '"\\x7f"'),
    ("\x80\x81\x85\x9f", '"\\u0080\\u0081\\u0085\\u009f"'),
    ("a\u00a0b", '"a\\u00a0b"'),
    ("\u00ad", '"\\u00ad"'),  # soft hyphen, Cf
    ("\u200b\u202f\u2028\u2029\u3000", '"\\u200b\\u202f\\u2028\\u2029\\u3000"'),
    ("\ufeff", '"\\ufeff"'),
    ("\ue000", '"\\ue000"'),  # private use
    ("\u0378", '"\\u0378"'),  # unassigned
    ("\ufffe\uffff", '"\\ufffe\\uffff"'),
    ("\U0001f600", '"\U0001f600"'),  # emoji are printable
    ("\U000e0001", '"\\U000e0001"'),  # language tag, Cf
    ("\U000f0000\U0010ffff", '"\\U000f0000\\U0010ffff"'),
    ("e\u0301", '"e\u0301"'),  # combining mark, printable
    ("Māori “curly” ‘quotes’ – dash … $€£", '"Māori “curly” ‘quotes’ – dash … $€£"'),
    ("Ka\u0081toanga’i", '"Ka\\u0081toanga’i"'),
]


@pytest.mark.parametrize(("text", "quoted"), GO_QUOTE)
def test_go_quote_matches_go(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


def test_go_quote_lone_surrogate_is_escaped_so_it_reads_back() -> None:
    assert go_quote("\ud800x\udfff") == '"\\ud800x\\udfff"'
    assert yaml.safe_load("t: " + go_quote("\ud800")) == {"t": "\ud800"}


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_go_quote_is_valid_yaml_for_the_same_string(s: str) -> None:
    quoted = go_quote(s)
    assert quoted.isprintable()
    assert yaml.safe_load("t: " + quoted) == {"t": s}


# ---------------------------------------------------------------------------
# Real archive files
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CANONICAL_FIXTURES)
def test_real_canonical_files_round_trip(name: str) -> None:
    text = fixture_text(name)
    assert is_canonical(text, name)
    assert dumps(loads(text, name)) == text


def test_real_file_fields() -> None:
    tainui = loads(fixture_text(CANONICAL_FIXTURES[0]))
    assert tainui.title == '"No Foundation to Reports Housing NZ to be Sold to Tainui"'
    assert tainui.date == dt.date(1997, 12, 16)
    assert tainui.ministers == ("Doug Graham",)
    assert tainui.portfolios == ("Housing",)
    assert tainui.attachments == ()
    assert tainui.body.startswith(
        "Responding to suggestions that Housing New Zealand might be sold"
    )
    assert not tainui.body.endswith("\n")

    speech = loads(fixture_text(CANONICAL_FIXTURES[1]))
    assert speech.title == "Speech:\u00a0IRD High Wealth Individuals Research Project launch"
    assert speech.attachments == (
        "https://www.beehive.govt.nz/sites/default/files/2023-04/SPEECH%20-%20Parker%20HWI%20.pdf",
    )

    empty = loads(fixture_text("2006-01-01-30433.md"))
    assert empty.title == ""
    assert empty.body == ""
    assert fixture_text("2006-01-01-30433.md").endswith("---\n\n")


def test_te_arawhiti_item_is_read_as_its_text_and_written_quoted() -> None:
    text = fixture_text(TE_ARAWHITI)
    r = loads(text)
    assert r.portfolios == ("Prime Minister", "Māori Crown Relations: Te Arawhiti")
    assert not is_canonical(text)
    fixed = dumps(r)
    assert fixed == text.replace(
        "  - Māori Crown Relations: Te Arawhiti\n", '  - "Māori Crown Relations: Te Arawhiti"\n'
    )
    assert is_canonical(fixed)
    assert yaml.safe_load(fixed.split("\n---\n")[0][4:])["portfolios"][1] == (
        "Māori Crown Relations: Te Arawhiti"
    )


def test_a_bracketed_item_keeps_its_brackets() -> None:
    # The old exporter wrote the text "[From a speech ...]" plain; YAML reads a flow list.
    text = fixture_text(NESTED_LIST)
    r = loads(text)
    assert r.ministers == (
        "[From a speech in the Wednesday Parliamentary General Debate on 31 October 2001]",
    )
    assert r.portfolios == ("Unassigned Portfolio",)
    assert not is_canonical(text)
    assert dumps(r) == text.replace("  - [From a speech", '  - "[From a speech').replace(
        "2001]\nportfolios", '2001]"\nportfolios'
    )


def test_a_quoted_item_that_needs_no_quotes_keeps_them_as_text() -> None:
    # The old exporter wrote every item plain, so its quotes were part of the text; this
    # tool quotes only items that need it.
    text = fixture_text(QUOTED_ITEM)
    r = loads(text)
    assert r.ministers == ('"Policy Adjustment to General Skills Category"',)
    assert not is_canonical(text)
    assert dumps(r) == text.replace(
        '  - "Policy Adjustment to General Skills Category"\n',
        '  - "\\"Policy Adjustment to General Skills Category\\""\n',
    )


def test_this_tools_own_quoting_is_read_as_yaml_reads_it() -> None:
    r = loads(with_lists('portfolios:\n  - "Māori Crown Relations: Te Arawhiti"\n  - "#1"\n') + " ")
    assert r.portfolios == ("Māori Crown Relations: Te Arawhiti", "#1")


def test_dumps_layout() -> None:
    r = release(
        title='North Korea leads "Peters\'" talks',
        ministers=("Winston Peters",),
        portfolios=("Foreign Affairs", "Māori Crown Relations: Te Arawhiti"),
        attachments=("https://www.beehive.govt.nz/sites/default/files/a%20b.pdf",),
        body="Para one.\n\nPara two.",
    )
    assert dumps(r) == (
        "---\n"
        'title: "North Korea leads \\"Peters\'\\" talks"\n'
        "date: 2024-05-06\n"
        "url: https://www.beehive.govt.nz/release/a-title\n"
        "ministers:\n"
        "  - Winston Peters\n"
        "portfolios:\n"
        "  - Foreign Affairs\n"
        '  - "Māori Crown Relations: Te Arawhiti"\n'
        "attachments:\n"
        "  - https://www.beehive.govt.nz/sites/default/files/a%20b.pdf\n"
        "---\n"
        "\n"
        "Para one.\n\nPara two."
    )


def test_dumps_leaves_out_empty_lists_and_ends_empty_body_with_blank_line() -> None:
    r = release(ministers=(), portfolios=(), attachments=(), body="")
    assert dumps(r) == (
        '---\ntitle: "A title"\ndate: 2024-05-06\n'
        "url: https://www.beehive.govt.nz/release/a-title\n---\n\n"
    )


def test_dumps_drops_leading_and_trailing_newlines_of_the_body() -> None:
    assert dumps(release(body="\n\n  Text.  \n\n")).endswith("---\n\n  Text.  ")


def test_dumps_early_dates_are_zero_padded() -> None:
    assert "\ndate: 0001-01-01\n" in dumps(release(date=dt.date(1, 1, 1)))


@pytest.mark.parametrize(
    "item",
    [
        "Hon Chris Hipkins",
        "Māori Development",
        "Whānau Ora",
        "https://www.beehive.govt.nz/sites/default/files/x%20y.pdf",
        "http://example.com/a#frag",
        "a:b",
        "C:\\path",
        'He said "hi"',
        "Peters' talks",
        "Rt Hon Winston Peters - Foreign Affairs",
        "Item [1]",
        "50% off",
        "2degrees",
        "yes please",
        "...",
        "1.2.3",
        "Budget 2024",
    ],
)
def test_plain_items(item: str) -> None:
    assert f"\n  - {item}\n" in dumps(release(ministers=(item,)))


@pytest.mark.parametrize(
    "item",
    [
        "",
        " leading space",
        "trailing space ",
        "Māori Crown Relations: Te Arawhiti",
        "ends with colon:",
        "a #comment",
        "#hash",
        "- dash",
        "-dash",
        "[flow]",
        "{flow}",
        "*alias",
        "&anchor",
        "!tag",
        "%directive",
        "@at",
        "`tick",
        "?question",
        "|literal",
        ">folded",
        '"quoted"',
        "'single'",
        ",comma",
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "n",
        "true",
        "False",
        "null",
        "Null",
        "~",
        "123",
        "-4",
        "1_000",
        "0x1F",
        "0o17",
        "017",
        "1.5",
        "1e3",
        ".inf",
        "-.Inf",
        ".nan",
        "12:30",
        "2020-01-01",
        "2020-01-01 10:00:00",
        "<<",
        "=",
        "tab\there",
        "line\nbreak",
        "no\u00a0break",
        "zero\u200bwidth",
        "\ufeffbom",
        "nel\x85",
        "ls\u2028",
        "---",
    ],
)
def test_quoted_items(item: str) -> None:
    assert f"\n  - {go_quote(item)}\n" in dumps(release(ministers=(item,)))


def test_url_is_plain_unless_unsafe() -> None:
    assert "\nurl: https://x.test/a?b=1#c\n" in dumps(release(url="https://x.test/a?b=1#c"))
    assert '\nurl: "https://x.test/a #b"\n' in dumps(release(url="https://x.test/a #b"))
    assert '\nurl: ""\n' in dumps(release(url=""))


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

TRICKY = [
    '"',
    "\\",
    ":",
    ": ",
    " #",
    "#",
    "-",
    "- ",
    "[",
    "]",
    "*",
    "&",
    "!",
    "%",
    "@",
    "`",
    "?",
    "|",
    ">",
    "{",
    "}",
    ",",
    "'",
    "---",
    "...",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\u00a0",
    "\u200b",
    "\u202f",
    "\u2028",
    "\ufeff",
    "\ud800",
    "\udfff",
    "ā",
    "Māori",
    "Te Arawhiti",
    "\U0001f600",
    "yes",
    "no",
    "null",
    "Null",
    "~",
    "true",
    "False",
    "on",
    "y",
    "123",
    "-4.5",
    "0o17",
    "0x1F",
    "1e3",
    ".inf",
    "2020-01-01",
    "12:30",
    "<<",
    "=",
    "https://www.beehive.govt.nz/release/x",
]
tricky = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(max_size=4)), min_size=1, max_size=6
).map("".join)
strings = st.one_of(st.text(), tricky, st.sampled_from(TRICKY))
items = st.lists(strings, max_size=4).map(tuple)
bodies = st.one_of(st.text(), tricky).map(lambda s: s.strip("\n"))
releases = st.builds(
    Release,
    title=strings,
    date=st.dates(),
    url=strings,
    ministers=items,
    portfolios=items,
    attachments=items,
    body=bodies,
)


@settings(max_examples=500)
@given(releases)
@example(release(title="", url="", ministers=("",), body=""))
@example(release(title="\n---\n", ministers=("---",), body="---\n\nx\n---"))
def test_loads_dumps_round_trip(r: Release) -> None:
    text = dumps(r)
    assert loads(text) == r
    assert is_canonical(text)
    assert dumps(loads(text)) == text


@settings(max_examples=300)
@given(releases)
def test_front_matter_is_yaml_for_the_same_strings(r: Release) -> None:
    text = dumps(r)
    header = text[4 : text.index("\n---\n") + 1]
    data = yaml.safe_load(header)
    expected: dict[str, object] = {"title": r.title, "date": r.date, "url": r.url}
    for key in ("ministers", "portfolios", "attachments"):
        if getattr(r, key):
            expected[key] = list(getattr(r, key))
    assert data == expected
    assert list(data) == list(expected)  # key order


@settings(max_examples=300)
@given(releases)
def test_canonical_text_has_the_documented_shape(r: Release) -> None:
    text = dumps(r)
    assert text.startswith('---\ntitle: "')
    assert "\r" not in text[: text.index("\n---\n")]
    assert not text.endswith("\n") or text.endswith("---\n\n")
    head = text[: text.index("\n---\n")]
    head.encode("utf-8")  # raises if a surrogate reached the front matter unescaped


@settings(max_examples=500)
@given(st.one_of(st.text(), tricky.map(lambda s: "---\n" + s), releases.map(dumps)))
def test_loads_returns_a_release_or_raises_document_error(text: str) -> None:
    try:
        r = loads(text, "fuzz.md")
    except DocumentError as e:
        assert str(e).startswith("fuzz.md: ")
        return
    assert isinstance(r.date, dt.date)
    for value in (r.title, r.url, *r.ministers, *r.portfolios, *r.attachments, r.body):
        assert isinstance(value, str)
    # Whatever was read, its canonical text reads back the same.
    assert loads(dumps(r)) == r


@given(releases)
def test_bom_crlf_and_final_newline_are_read_but_not_canonical(r: Release) -> None:
    text = dumps(r)
    for changed in (text + "\n", "\ufeff" + text, text.replace("\n", "\r\n")):
        assert not is_canonical(changed)
        assert loads(changed) == r


# ---------------------------------------------------------------------------
# Tolerance
# ---------------------------------------------------------------------------

BASE = (
    '---\ntitle: "T"\ndate: 2020-02-03\nurl: https://www.beehive.govt.nz/release/t\n'
    "{lists}---\n\nBody"
)


def with_lists(lists: str) -> str:
    return BASE.format(lists=lists)


def test_non_string_scalars_are_their_text_as_written() -> None:
    r = loads(
        with_lists(
            "ministers:\n  - 2020-01-01\n  - 1_000\n  - 0x1F\n  - yes\n  - ~\n  - 1.50\n"
            "portfolios:\n  - '12:30'\n  - !!int 7\n"
        )
    )
    assert r.ministers == ("2020-01-01", "1_000", "0x1F", "yes", "~", "1.50")
    assert r.portfolios == ("12:30", "7")


def test_mapping_items_keep_their_text() -> None:
    r = loads(
        with_lists("portfolios:\n  - A: B\n  - {C: D}\n  - Māori Crown Relations: Te Arawhiti\n")
    )
    assert r.portfolios == ("A: B", "{C: D}", "Māori Crown Relations: Te Arawhiti")


def test_block_lists_are_flattened_and_flow_lists_kept_as_text() -> None:
    r = loads(with_lists("ministers:\n  - [a, [b, c]]\n  - - d\n    - e\n  - f\n"))
    assert r.ministers == ("[a, [b, c]]", "d", "e", "f")


def test_irregular_layouts_are_read() -> None:
    text = (
        "---  \n"
        "url: 'https://www.beehive.govt.nz/release/t'\n"
        "title: Plain title\n"
        "date: 2020-2-3\n"
        "portfolios: Finance\n"
        "ministers:\n"
        "- A\n"
        "- B  # comment\n"
        "attachments:\n"
        "---\n"
        "Body\n\n\n"
    )
    r = loads(text)
    assert r == Release(
        title="Plain title",
        date=dt.date(2020, 2, 3),
        url="https://www.beehive.govt.nz/release/t",
        ministers=("A", "B"),
        portfolios=("Finance",),
        attachments=(),
        body="Body",
    )
    assert not is_canonical(text)


def test_bom_crlf_and_trailing_newline_are_read_but_not_canonical() -> None:
    canonical = with_lists("ministers:\n  - A\n")
    r = loads(canonical)
    for text in (
        "\ufeff" + canonical,
        canonical.replace("\n", "\r\n"),
        canonical + "\n",
        canonical.replace("---\n\nBody", "---\nBody"),
        canonical.replace("---\n\nBody", "---\n\n\nBody"),
    ):
        assert not is_canonical(text)
        assert loads(text) == r
    assert loads(canonical.replace("Body", "  Body  ")).body == "  Body  "


def test_unneeded_quotes_and_other_escapes_are_not_canonical() -> None:
    for text in (
        with_lists('ministers:\n  - "A"\n'),
        with_lists("ministers:\n  - 'A'\n"),
        with_lists("ministers:\n  -   A\n"),
        BASE.format(lists="").replace('"T"', '"\\x54"'),
        BASE.format(lists="").replace('"T"', "'T'"),
        BASE.format(lists="").replace('"T"', '"T\\/"'),
        BASE.format(lists="").replace("date: 2020-02-03", "date: 2020-2-3"),
        BASE.format(lists="ministers:\n"),
    ):
        assert not is_canonical(text), text


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no front matter"),
        ("Just a body", "no front matter"),
        ("title: x\n---\n\nbody", "no front matter"),
        ("---\ntitle: x\n", "not closed"),
        ("---\n---\n\nbody", "empty"),
        ('---\ntitle: "x\ndate: 2020-01-01\n---\n', "broken YAML"),
        ("---\ntitle: a: b\ndate: 2020-01-01\n---\n", "broken YAML"),
        ("---\n- a\n- b\n---\n", "not a YAML mapping"),
        ("---\ntitle: x\nurl: u\n---\n", "no date"),
        ("---\ndate: 2020-01-01\n---\n", "no title, url"),
        ("---\ntitle: x\ndate: 2020-13-01\nurl: u\n---\n", "not a valid date"),
        ("---\ntitle: x\ndate: yesterday\nurl: u\n---\n", "not a YYYY-MM-DD date"),
        ("---\ntitle: x\ndate: 2020-01-01 10:00:00\nurl: u\n---\n", "not a YYYY-MM-DD date"),
        ("---\ntitle: x\ndate: 2020-01-01\nurl: u\ntags: [a]\n---\n", "unknown key 'tags'"),
        ("---\ntitle: x\ntitle: y\ndate: 2020-01-01\nurl: u\n---\n", "appears twice"),
        ("---\ntitle: [x]\ndate: 2020-01-01\nurl: u\n---\n", "single value"),
        ("---\ntitle:\ndate: 2020-01-01\nurl: u\n---\n", "'title' is empty"),
        ("---\ntitle: x\ndate: 2020-01-01\nurl: u\nministers: {a: b}\n---\n", "not a mapping"),
        ("---\ntitle: \ud800\ndate: 2020-01-01\nurl: u\n---\n", "broken YAML"),
    ],
)
def test_bad_input_raises_document_error_naming_source_and_reason(text: str, reason: str) -> None:
    with pytest.raises(DocumentError) as info:
        loads(text, "releases/2020/01/x.md")
    message = str(info.value)
    assert message.startswith("releases/2020/01/x.md: ")
    assert reason in message
    assert reason in error_reason(info.value, "releases/2020/01/x.md")
    assert not error_reason(info.value, "releases/2020/01/x.md").startswith("releases/")


def test_broken_yaml_reports_the_file_line() -> None:
    with pytest.raises(DocumentError, match=r"at line 4, column 4"):
        loads('---\ntitle: "x"\ndate: [2020\nurl: u\n---\n')


def test_alias_bombs_are_refused() -> None:
    lines = [
        "---",
        "title: x",
        "date: 2020-01-01",
        "url: u",
        "a0: &a0 [x, x, x, x, x, x, x, x]",
        "---",
    ]
    text = "\n".join(lines) + "\n"
    bomb = (
        "---\ntitle: x\ndate: 2020-01-01\nurl: u\nministers:\n"
        "  - &a [x, x, x, x, x, x, x, x, x, x]\n"
        "  - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "  - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "  - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "  - [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n---\n"
    )
    with pytest.raises(DocumentError, match="unknown key 'a0'"):
        loads(text)
    # Flow lists are read as the text they are, so aliases in them are never expanded.
    assert len(loads(bomb).ministers) == 5


def test_decode_is_strict_utf8() -> None:
    assert decode("Māori".encode()) == "Māori"
    assert decode(b"\xef\xbb\xbf---") == "\ufeff---"
    with pytest.raises(DocumentError, match=r"x\.md: not UTF-8 \(byte 0xe2 at offset 1\)"):
        decode("aâ".encode("latin-1"), "x.md")
