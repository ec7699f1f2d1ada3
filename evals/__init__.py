"""Retrieval evaluation over golden question sets."""
