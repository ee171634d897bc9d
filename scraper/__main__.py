"""Run the command line as `python -m scraper`."""

from scraper.cli import main

main()
