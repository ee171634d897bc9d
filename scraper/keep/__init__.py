"""Kept pages: every page fetched, in WARC files, and the archive rebuilt from them offline."""
