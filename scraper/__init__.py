"""Keep an archive of New Zealand Government press releases in sync with www.beehive.govt.nz."""

__version__ = "0.1.0"
