"""Root conftest: the shared fixtures and hooks of tests/fixtures.py apply to every test in the repository."""

pytest_plugins = ["tests.fixtures"]
