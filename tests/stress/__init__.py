"""`make stress`: crash trials, fault and hostile-archive tests, fuzzing, and the table."""
