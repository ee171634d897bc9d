"""The only network code: the polite HTTP client, the page-source interface, a run's session."""
