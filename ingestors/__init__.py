"""Readers for source exports (Notion, Google Drive) that produce ``kb.records.SourceBatch``."""
