"""Ingest: source batches (from ``ingestors``) into the store and the vector index.

Owns: the ingest pipeline (``pipeline``: change detection, embedding groups, writes, removals),
chunking (``chunking``), vector reuse for unchanged chunks (``reuse``), removal guards
(``removal``), scheduled API pulls (``pull``), near-duplicates across sources (``duplicates``),
inferred successors after a run (``successors``) and the answerer's sentences (``sentences``).
It applies ``kb.lifecycle.rules`` (owners, intervals, readers), ``kb.identity`` (display name ->
email) and ``kb.redaction`` (foundation, so the pullers in ``ingestors`` redact with the same
function before they store anything).
May import: ``kb.search`` (the embedder and the vector index it writes to), ``kb.answer`` (the
answerer's candidate sentences, embedded once at ingest: ``sentences``),
``kb.store`` and the foundation; never ``kb.api``, ``kb.cli`` or ``kb.alerts``.
"""
