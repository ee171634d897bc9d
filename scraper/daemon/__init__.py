"""`scraper daemon`: keep an archive in sync, unattended, with APScheduler 3.

`settings.py` holds its settings (no scheduler); `jobs.py` runs a sync or a verify through
the same engines as the one-off commands and decides when the next one runs; `schedule.py`
is the only importer of APScheduler (signals become stops and reloads in `cli/daemon.py`);
`gitcommit.py` commits what a sync wrote; `logs.py` writes one line per event; `runfile.py`
says which daemon keeps an archive, and when it runs next.
"""
