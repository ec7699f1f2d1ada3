"""Search: from a question to ranked, permission-checked hits.

Owns: query embedding (``embedding``, ``query_batch``), the Chroma vector index (``index``), the
exact in-memory dense scan with its ACL mask (``dense``), BM25 over the readable chunks
(``lexical``), score fusion and freshness-aware ordering (``ranking``), and the ``Retriever`` that
runs them in order (``retrieval``).
May import: ``kb.lifecycle`` (freshness for a reader), ``kb.store`` and the foundation (config,
records, errors, clock); never ``kb.answer``, ``kb.api``, ``kb.cli`` or ``kb.alerts``.
"""
