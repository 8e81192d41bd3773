"""Anxin (安心): after-sales service quality and 24-hour road-rescue platform."""

__version__ = "0.1.0"
