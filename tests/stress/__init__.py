"""`make stress`: crash trials, fault and hostile-archive tests, fuzzing, and the table.

Each module here with a `main` is one part of it.
"""
