"""Link and image URLs, re-serialised as html-to-markdown does with Go's net/url."""

from __future__ import annotations

from typing import Final

from scraper.site.markdown.text import SPACE

_ENC_PATH, _ENC_HOST, _ENC_USER, _ENC_QUERY, _ENC_FRAGMENT = range(5)
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_ALNUM: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_USERINFO: Final = _ALNUM | frozenset(b"-._:~!$&'()*+,;=%@")
_PERCENT_REPLACER: Final = str.maketrans(
    {" ": "%20", "[": "%5B", "]": "%5D", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}
)


def _should_escape(c: int, mode: int) -> bool:
    """Go's url.shouldEscape."""
    if c in _ALNUM or c in b"-_.~":
        return False
    if mode == _ENC_HOST and c in b"!$&'()*+,;=:[]<>\"":
        return False
    if c in b"$&+,/:;=?@":
        if mode == _ENC_PATH:
            return c == 0x3F
        if mode == _ENC_USER:
            return c in b"@/?:"
        return mode != _ENC_FRAGMENT
    return not (mode == _ENC_FRAGMENT and c in b"!()*")


def _escape(s: bytes, mode: int) -> bytes:
    """Go's url.escape."""
    out = bytearray()
    for c in s:
        if not _should_escape(c, mode):
            out.append(c)
        elif c == 0x20 and mode == _ENC_QUERY:
            out.append(0x2B)
        else:
            out += b"%%%02X" % c
    return bytes(out)


def _unescape(s: bytes, mode: int) -> bytes | None:
    """Go's url.unescape; None where Go returns an error."""
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == 0x25:
            if i + 2 >= n or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return None
            value = int(s[i + 1 : i + 3], 16)
            if mode == _ENC_HOST and value < 0x80 and value != 0x25:
                return None
            out.append(value)
            i += 3
            continue
        if mode == _ENC_HOST and c < 0x80 and _should_escape(c, mode):
            return None
        out.append(0x20 if c == 0x2B and mode == _ENC_QUERY else c)
        i += 1
    return bytes(out)


def _escaped_form(raw: bytes, decoded: bytes, mode: int) -> bytes:
    """Go's EscapedPath and EscapedFragment: the form as written if valid, else re-escaped."""
    valid = all(c in b"!$&'()*+,;=:@[]%" or not _should_escape(c, mode) for c in raw)
    if valid and _unescape(raw, mode) == decoded:
        return raw
    return _escape(decoded, mode)


def _encode_query(raw: bytes) -> bytes:
    """html-to-markdown's ParseAndEncodeQuery: re-encode keys and values, keeping their order."""

    def recode(part: bytes) -> bytes:
        decoded = _unescape(part, _ENC_QUERY)
        return part if decoded is None else _escape(decoded, _ENC_QUERY)

    parts = []
    for part in raw.split(b"&"):
        key, equals, value = part.partition(b"=")
        parts.append(recode(key) + equals + (recode(value) if value else b""))
    # %20 rather than + so that mailto: subjects keep their spaces.
    return b"&".join(parts).replace(b"+", b"%20")


def _split_scheme(raw: bytes) -> tuple[bytes, bytes] | None:
    """Go's getScheme: the lower-cased scheme and the rest; None if the URL starts with `:`."""
    for i, c in enumerate(raw):
        if c == 0x3A:
            return None if i == 0 else (raw[:i].lower(), raw[i + 1 :])
        if not (c in _ALNUM or c in b"+-.") or (i == 0 and not chr(c).isalpha()):
            break
    return b"", raw


def _parse_authority(authority: bytes) -> tuple[bytes, bytes] | None:
    """Go's parseAuthority: escaped user info with its `@`, and the host; None if invalid."""
    userinfo, at, host = authority.rpartition(b"@")
    user = b""
    if at:
        name, colon, password = userinfo.partition(b":")
        name_raw, password_raw = _unescape(name, _ENC_USER), _unescape(password, _ENC_USER)
        if not set(userinfo) <= _USERINFO or name_raw is None or password_raw is None:
            return None
        user = _escape(name_raw, _ENC_USER)
        user += (colon + _escape(password_raw, _ENC_USER) if colon else b"") + b"@"
    if not host.startswith(b"["):
        port = host.rpartition(b":")[2] if b":" in host else b""
        if port and not port.isdigit():
            return None
    decoded = _unescape(host, _ENC_HOST)
    return None if decoded is None else (user, decoded)


def _hierarchical(scheme: bytes, rest: bytes) -> bytes | None:
    """Serialise a URL that is not opaque: `//user@host` and the path; None if invalid."""
    if not rest.startswith(b"/") and b":" in rest.partition(b"/")[0]:
        return None  # relative path whose first segment has a colon
    out = scheme + b":" if scheme else b""
    user = host = b""
    has_authority = rest.startswith(b"//") and (bool(scheme) or not rest.startswith(b"///"))
    if has_authority:
        authority, slash, path_rest = rest[2:].partition(b"/")
        rest = slash + path_rest
        parsed = _parse_authority(authority)
        if parsed is None:
            return None
        user, host = parsed
    path = _unescape(rest, _ENC_PATH)
    if path is None:
        return None
    escaped_path = b"*" if path == b"*" else _escaped_form(rest, path, _ENC_PATH)
    if has_authority and (host or path or user):
        out += b"//" + user + _escape(host, _ENC_HOST)
    if not out and b":" in escaped_path.partition(b"/")[0]:
        out += b"./"
    return out + escaped_path


def _go_url(raw: str) -> str | None:
    """Parse and re-serialise a URL as Go's url.Parse and URL.String do; None if invalid."""
    data = raw.encode()
    if any(c < 0x20 or c == 0x7F for c in data):
        return None
    data, _, fragment = data.partition(b"#")
    split = _split_scheme(data)
    if split is None:
        return None
    scheme, rest = split
    if scheme == b"data":
        return raw
    # A lone trailing `?` is kept (Go's ForceQuery); otherwise the query starts at the first.
    force_query = rest.endswith(b"?") and rest.count(b"?") == 1
    if force_query:
        rest, query = rest[:-1], b""
    else:
        rest, _, query = rest.partition(b"?")
    if scheme and not rest.startswith(b"/"):
        out: bytes | None = scheme + b":" + rest  # opaque, e.g. mailto: — kept as written
    else:
        out = _hierarchical(scheme, rest)
    if out is None:
        return None
    query = _encode_query(query) if query else b""
    if force_query or query:
        out += b"?" + query
    if fragment:
        decoded = _unescape(fragment, _ENC_FRAGMENT)
        if decoded is None:
            return None
        out += b"#" + _escaped_form(fragment, decoded, _ENC_FRAGMENT)
    return out.decode(errors="replace")


def assemble_url(raw: str) -> str:
    """html-to-markdown's defaultAssembleAbsoluteURL, without a base domain."""
    raw = raw.strip(SPACE)
    if raw == "#":
        return raw
    raw = raw.replace("\n", "%0A").replace("\t", "%09")
    parsed = _go_url(raw)
    return (raw if parsed is None else parsed).translate(_PERCENT_REPLACER)
