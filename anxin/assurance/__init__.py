"""Checking that service was good and gets better: manager callbacks, post-repair callbacks,
sampled audits, mystery checks and improvement actions (CB-1..4, FB-5, FB-6, WS-8)."""
