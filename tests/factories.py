"""Factories shared across test packages (each app's own live in tests/<app>/factories.py)."""
