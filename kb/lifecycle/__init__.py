"""Document lifecycle: is a document current for this reader, and what replaced it.

Owns: freshness (``freshness``: status, weight and reasons from review dates, intervals, status
properties and in-text banners, with an injectable clock) and successors.
May import: the foundation only (config, records, clock, errors) and ``kb.store`` for reviews.
Pure domain logic: no Chroma, no HTTP, no model.
"""
