"""Fake providers and handlers for the worker and notification tests."""
