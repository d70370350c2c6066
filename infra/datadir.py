"""The data folder: checked and created at start, and held by one gateway.

Two gateways on one folder would both drain its queue. `DataDirLock` takes
an exclusive `flock` on DATA_DIR/gateway.lock for the life of the process,
so a second gateway stops at start instead. The kernel releases the lock
when the process exits, however it exits.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from infra.errors import ConfigError, DataDirLocked

LOCK_FILE = "gateway.lock"


def prepare_data_dir(path: Path) -> None:
    """Create the data folder if it is missing; raise `ConfigError` if it is unusable."""
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"REDLINE_DATA_DIR is {path}, which is a file, not a folder; set "
            "REDLINE_DATA_DIR to a folder or move the file away"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"cannot create the data folder {path} given by REDLINE_DATA_DIR "
            f"({error.strerror}); create it yourself or set REDLINE_DATA_DIR to a "
            "writable folder"
        ) from None


class DataDirLock:
    """An exclusive lock on a data folder, held until `release` or exit.

    NOTE: `flock` may not hold across hosts on a network file system, so
    two gateways on two hosts sharing one folder may both get the lock.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock without waiting, raising `DataDirLocked` if it is held."""
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise ConfigError(
                f"cannot open the lock file {self.path} ({error.strerror}); check "
                "that the data folder is writable"
            ) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = _read_pid(descriptor)
            os.close(descriptor)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise ConfigError(
                    f"cannot lock {self.path} ({error.strerror}); put "
                    "REDLINE_DATA_DIR on a local file system"
                ) from None
            by = f" (process {holder})" if holder else ""
            raise DataDirLocked(
                f"another gateway{by} is already running on the data folder "
                f"{self.data_dir.resolve()}; stop it, or set REDLINE_DATA_DIR to "
                "another folder"
            ) from None
        # The process id in the file only helps the message above; the lock
        # itself is the flock, which the kernel drops when this process ends.
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def _read_pid(descriptor: int) -> str:
    text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    return text if text.isdigit() else ""
