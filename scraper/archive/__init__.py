"""The archive: files as text, their index and state on disk, identity, atomic writes, format."""
