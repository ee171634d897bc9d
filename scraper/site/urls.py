"""The site's URLs and the archive's paths: pure functions, no I/O.

Two forms of a release's address matter:

- the *public URL*, percent-encoded as the site links it
  (``https://www.beehive.govt.nz/release/t%C4%81maki-makaurau-election-date-set``): this is
  what identifies a release and what the archive's ``url:`` line now holds;
- the *folded id* (``tamaki-makaurau-election-date-set``): the ASCII name the existing archive
  gives the file, and the last segment of the URL the old exporter wrote.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from scraper.models import CONTENT_FOLDERS

#: The public site: canonical URLs always use it, whatever host a page was fetched from.
PUBLIC_SITE = "https://www.beehive.govt.nz"

#: Hosts whose links are links into the site (others are ignored by the parsers).
SITE_HOSTS: frozenset[str] = frozenset({"www.beehive.govt.nz", "beehive.govt.nz"})

# /release/<slug>, /speech/<slug>, /feature/<slug>; one non-empty segment, optional "/".
_CONTENT_PATH = re.compile(r"^/(" + "|".join(CONTENT_FOLDERS) + r")/([^/]+)/?$")
_NODE_PATH = re.compile(r"^/node/([0-9]+)/?$")

# Characters a path may carry as they are (RFC 3986 pchar without "%", plus "/").
_PATH_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
)
_HEX = frozenset("0123456789abcdefABCDEF")

#: Whitespace trimmed from the ends of a URL: ASCII only (a trailing no-break space, raw or
#: ``%C2%A0``, is part of some real slugs).
ASCII_WHITESPACE = " \t\r\n\f\v"

_ALL_SAFE = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")

# Characters that must never reach a file name even if a slug decodes to them.
_UNSAFE_IN_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def _path_of(url_or_path: str) -> str:
    """The path of a URL or of a bare path (query, fragment and a trailing "/" dropped)."""
    path = urlsplit(url_or_path.strip(ASCII_WHITESPACE)).path
    if not path.startswith("/"):
        path = "/" + path
    # /release/x/ is the same page as /release/x: one identity, not two.
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def normalise_path(path: str) -> str:
    """Percent-encode a path the way the site links it.

    Raw non-ASCII characters, spaces and other characters not allowed in a path are encoded
    as UTF-8 with uppercase ``%XX`` escapes; existing escapes are kept, their hex uppercased;
    a ``%`` that starts no escape becomes ``%25``. Normalising twice changes nothing.
    """
    if _ALL_SAFE.fullmatch(path):
        return path  # the common case: nothing to encode (checked in C, not char by char)
    out: list[str] = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "%" and i + 2 < len(path) and path[i + 1] in _HEX and path[i + 2] in _HEX:
            out.append("%" + path[i + 1 : i + 3].upper())
            i += 3
            continue
        if ch in _PATH_SAFE:
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def content_type_of(url_or_path: str) -> str | None:
    """The content type ("release", "speech", "feature") of a content URL or path, else None.

    Only the path is looked at (any host, query or fragment is ignored): ``/release/<slug>``
    is a release; ``/releases``, ``/release/<slug>/edit``, ``/node/<id>``, ``/minister/…`` are
    not content paths and give None.
    """
    try:
        match = _CONTENT_PATH.match(_path_of(url_or_path))
    except ValueError:  # not parseable as a URL, e.g. "http://[broken"
        return None
    return match.group(1) if match else None


def node_id_of(url_or_path: str) -> int | None:
    """The node id of a ``/node/<id>`` URL or path (which redirects to the page), else None."""
    try:
        match = _NODE_PATH.match(_path_of(url_or_path))
    except ValueError:
        return None
    return int(match.group(1)) if match else None


def canonical_url(url_or_path: str, site: str = PUBLIC_SITE) -> str:
    """The public URL for a content path: ``site`` + the path, percent-encoded as the site links it.

    Scheme and host (a mirror's, or none for a bare path) are replaced by ``site``; the path is
    kept, normalised by :func:`normalise_path` (raw non-ASCII and spaces encoded with uppercase
    ``%XX``, existing escapes kept with their hex uppercased); query and fragment are dropped.
    """
    return site.rstrip("/") + normalise_path(_path_of(url_or_path))


def slug_of(url: str) -> str:
    """The last path segment of a URL, percent-encoded (normalised as :func:`canonical_url`).

    A trailing "/" is ignored. Raises ValueError when the path has no segment.
    """
    segments = [s for s in normalise_path(_path_of(url)).split("/") if s]
    if not segments:
        raise ValueError(f"URL {url!r} has no path segment to take a slug from")
    return segments[-1]


def folded_id(url: str) -> str:
    """The archive id of a URL: its last segment folded to ASCII.

    The rule of the existing archive: the last path segment, percent-decoded (UTF-8),
    Unicode-NFD-decomposed, combining marks dropped, then every character above U+007F
    dropped. ``t%C4%81maki-makaurau`` → ``tamaki-makaurau``;
    ``government%E2%80%99s-condolences`` → ``governments-condolences``; a trailing ``%C2%A0``
    (no-break space) is dropped. Case and ASCII punctuation are kept as they are. This
    reproduces the names of all 55,167 files of the existing archive from their URLs.

    Two additions so that an id is always a usable file name (neither occurs in the archive):

    - ``/``, ``\\`` and control characters that a slug decodes to (``%2F``, ``%00``…) are
      dropped too;
    - when no letter or digit is left (a slug made only of non-ASCII characters and hyphens,
      e.g. a title in a non-Latin script), the id is the percent-encoded slug with the
      ``%`` signs removed, lowercased: ``%E2%80%9C%E2%80%9D`` → ``e2809ce2809d``.
      Deterministic, ASCII, and different for different slugs of this kind.

    Raises ValueError when the URL has no path segment.
    """
    slug = slug_of(url)
    if "%" not in slug and any(ch.isalnum() for ch in slug):
        return slug  # plain ASCII (what normalising leaves unescaped): nothing to fold
    decoded = unquote(slug, encoding="utf-8", errors="replace")
    decomposed = unicodedata.normalize("NFD", decoded)
    ascii_only = "".join(
        ch for ch in decomposed if not unicodedata.combining(ch) and ord(ch) <= 0x7F
    )
    folded = _UNSAFE_IN_NAME.sub("", ascii_only)
    if any(ch.isalnum() for ch in folded):
        return folded
    return _UNSAFE_IN_NAME.sub("", slug.replace("%", "").lower())


def site_hosts(base_url: str) -> frozenset[str]:
    """The hosts whose links are the site's: the public ones and that of `base_url` (a mirror).

    The mirror's is written ``host:port`` when its URL names a port, so that another server
    on the same machine is not taken for it.
    """
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    return SITE_HOSTS | {netloc} if host else SITE_HOSTS
