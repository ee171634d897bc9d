"""`scraper sync`: find what the archive lacks, fetch it, write it.

A sync is a plan (`plan.py`: what the feed and listings show that a snapshot of the archive
lacks; `finder.py` reads them) and an apply step (`apply.py`) that carries it out;
`engine.py` ties them to an archive and a page source.
"""

from scraper.sync.engine import dry_run, plan_sync, run_sync, sync_archive
from scraper.sync.options import SyncOptions

__all__ = ["SyncOptions", "dry_run", "plan_sync", "run_sync", "sync_archive"]
