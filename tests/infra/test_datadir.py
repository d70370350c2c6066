"""The data folder: checks at start and the one-gateway lock."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from infra.datadir import LOCK_FILE, DataDirLock, prepare_data_dir
from infra.errors import ConfigError, DataDirLocked


def test_missing_data_dir_is_created(tmp_path: Path) -> None:
    data = tmp_path / "a" / "data"
    prepare_data_dir(data)
    assert data.is_dir()


def test_data_dir_that_is_a_file_is_rejected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder")
    with pytest.raises(ConfigError, match="which is a file, not a folder"):
        prepare_data_dir(data)


def test_data_dir_that_cannot_be_created_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="cannot create the data folder") as caught:
        prepare_data_dir(tmp_path / "file" / "data")
    assert "REDLINE_DATA_DIR" in str(caught.value)


def test_second_lock_on_a_folder_is_refused(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path)
    first.acquire()
    second = DataDirLock(tmp_path)
    with pytest.raises(DataDirLocked) as caught:
        second.acquire()
    message = str(caught.value)
    assert str(tmp_path.resolve()) in message
    assert f"(process {os.getpid()})" in message
    assert "REDLINE_DATA_DIR" in message
    first.release()
    second.acquire()
    second.release()


def test_lock_file_is_private_and_names_the_holder(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    path = tmp_path / LOCK_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().strip() == str(os.getpid())
    lock.release()


def test_lock_is_held_against_another_process(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from infra.datadir import DataDirLock\n"
        "from infra.errors import DataDirLocked\n"
        "try:\n"
        "    DataDirLock(Path(sys.argv[1])).acquire()\n"
        "except DataDirLocked:\n"
        "    sys.exit(3)\n"
    )
    root = Path(__file__).resolve().parents[2]
    held = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], cwd=root, check=False
    )
    assert held.returncode == 3
    lock.release()
    free = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], cwd=root, check=False
    )
    assert free.returncode == 0
