"""Errors raised by infra.

InfraError
├── ConfigError     a setting or a data-folder file is invalid; fix it
├── DataDirLocked   another gateway has the data folder; stop it
├── StorageError    the store failed; retry later
├── CaseNotFound    no case has the id given
└── InvalidTransition  the case cannot move to the status asked for
"""


class InfraError(Exception):
    """Base of every error raised by the infra package."""


class ConfigError(InfraError):
    """A setting or a data-folder file is invalid; the message names it and the fix."""


class DataDirLocked(InfraError):
    """Another process holds the lock on the data folder."""


class StorageError(InfraError):
    """The store could not complete an operation; the caller may retry."""


class CaseNotFound(InfraError):
    """No case in the ledger has the id given."""


class InvalidTransition(InfraError):
    """A case cannot move from its status to the one asked for."""
