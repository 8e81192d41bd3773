"""The digital twin of the rescue network: plain Python, no Django (enforced by import-linter).

It drives the same :mod:`anxin.dispatching` code as production.
"""
