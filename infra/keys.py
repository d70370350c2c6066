"""Secrets kept in the data folder when the configuration gives none.

A generated key is written once, with file mode 0600, and read back on every
later start, so fingerprints stay comparable across restarts.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

from infra.errors import ConfigError

log = logging.getLogger(__name__)


def load_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the secret stored at `path`, creating it if absent.

    The secret is URL-safe base64 text of `nbytes` random bytes. Creation
    uses O_EXCL, so two processes starting together end up with one secret.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
    except OSError as error:
        raise ConfigError(
            f"cannot create the folder {path.parent} for secret files "
            f"({error.strerror}); move away any file of that name, or make its "
            "parent folder writable"
        ) from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError as error:
        raise ConfigError(
            f"cannot create the secret file {path} ({error.strerror}); make "
            f"{path.parent} writable"
        ) from None
    value = base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    log.info("generated a new secret at %s", path)
    return value


def _read_secret(path: Path) -> str:
    if not path.is_file():
        raise ConfigError(
            f"secret file {path} is not a regular file; move it away to generate "
            "a new secret"
        )
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("secret file %s has mode %o; tightening it to 600", path, mode)
        os.chmod(path, 0o600)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ConfigError(
            f"cannot read the secret file {path} ({reason}); restore it from a "
            "backup, or delete it to generate a new one"
        ) from None
    if not value:
        raise ConfigError(
            f"secret file {path} is empty; delete it to generate a new one"
        )
    return value
