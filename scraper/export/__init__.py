"""The archive as data and as a picture: `scraper export --sqlite` and `scraper report`.

`sqlite.py` keeps an SQLite database (tables in `schema.py`, Datasette's metadata in
`metadata.py`) up to date with the archive, by the plan of `plan.py`; `governments.py` says
which government was in office on a day. Both commands open the archive read-only.
"""
