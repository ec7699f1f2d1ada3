"""Knowledge insights for the platform team and owners: health, gaps, traffic.

Owns: knowledge health by space, team and owner with daily snapshots (``health``), knowledge gaps
clustered by topic (``gaps``), the stale-citation rate and the most used documents (``traffic``),
and the report that puts them together for ``kb report`` and ``/admin`` (``report``).
May import: ``kb.lifecycle`` (freshness), ``kb.search`` (embeddings, a search for a gap's likely
owner), ``kb.store`` and the foundation; never ``kb.api`` or ``kb.cli``.
"""
