"""`scraper verify`: check archive files on disk and against the source, and fix them.

`offline.py` checks a file on disk alone, `compare.py` a file against the file its page
makes today, `online.py` fetches the pages, `select.py` chooses the files, `fix.py`
rewrites them, `engine.py` ties these to an archive and a page source, and `report.py`
says what was found.
"""
