"""Real-world evaluation corpora rendered from the git history of public tech-docs handbooks.

``python -m evals.corpora.build`` turns a fetched git mirror (no work tree needed) into a Notion
"Markdown & CSV" export (and, for gds-way, a Drive export) whose pages are the handbook's live
pages plus the pages deleted or renamed away over its history. See ``evals/corpora/README.md``.
"""
