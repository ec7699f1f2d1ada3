"""FreshKB: an internal knowledge base that ranks by relevance and freshness."""

__version__ = "0.1.0"
