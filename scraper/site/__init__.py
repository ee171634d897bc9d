"""The site's pages into Releases: URLs, discovery, page parsing, block pages, Markdown (pure)."""
