"""Shared fixtures live in tests/support/ and are registered here."""

pytest_plugins = [
    "tests.support.postgres",
    "tests.support.temporal",
    "tests.support.smtp",
    "tests.support.bch",
]
