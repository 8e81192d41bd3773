"""The dispatch engine: plain Python, no Django (enforced by import-linter).

Inputs are typed requests and fleet snapshots; outputs are ranked proposals with reasons.
The Django apps adapt the database to it; the simulator calls the same code.
"""
