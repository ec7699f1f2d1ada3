"""Document lifecycle: is a document current for this reader, and what replaced it.

Owns: freshness (``freshness``: status, weight and reasons from review dates, intervals, status
properties and in-text banners, with an injectable clock; ``banners``), successors (``successors``:
the one judgement per reader; ``evidence``: owners' decisions and stored inferences;
``inference`` and ``corpus_inference``: guessed successors), ``[[rules]]`` (``rules``), the
document as a reader sees it (``view``), the status filter (``status_filter``) and what a
reader sees of a breadcrumb (``breadcrumbs``: an unreadable parent is a placeholder, never its
title).
May import: the foundation only (config, records, clock, errors) and ``kb.store`` for reviews.
Pure domain logic: no Chroma, no HTTP, no model.
"""
