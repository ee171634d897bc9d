"""`scraper sync`: find what the archive lacks, fetch it, write it."""

from scraper.sync.engine import SyncOptions, sync_archive

__all__ = ["SyncOptions", "sync_archive"]
