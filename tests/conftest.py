"""The shared fixtures live in tests/fixtures.py, loaded for the whole suite by the root conftest.py.

Add new shared fixtures and hooks there, not here.
"""
