"""Errors raised by infra.

InfraError
├── ConfigError     a setting is missing or invalid; fix the setting
└── StorageError    the store failed; retry later
"""


class InfraError(Exception):
    """Base of every error raised by the infra package."""


class ConfigError(InfraError):
    """A setting is missing or invalid; the message names it and the fix."""


class StorageError(InfraError):
    """The store could not complete an operation; the caller may retry."""
