"""The benchmark harness: how fast and how large the dashboard is at England's size.

``python -m bench`` writes ``bench/results.md``; ``python -m bench --smoke`` runs every step on the
small demo data in a temporary folder, for CI. See ``bench/README.md``.
"""
