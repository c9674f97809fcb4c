"""Repository scripts; a package so tests (and mypy) import them by one name: ``scripts.<module>``."""
