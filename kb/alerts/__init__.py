"""Staleness alerts: digests to document owners, review links, and the scheduler that sends them.

Owns: what is overdue for whom (``digest``), rendering (``render``), delivery over SMTP and
webhooks (``channels``), signed one-click review links (``links``), recording reviews
(``review``), the runner with its no-spam and escalation rules (``runner``) and APScheduler
wiring (``scheduler``).
May import: ``kb.lifecycle`` (freshness, ownership rules), ``kb.search``, ``kb.store`` and the
foundation; never ``kb.api`` or ``kb.cli``.
"""
