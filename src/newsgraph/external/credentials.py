"""Credentials for writing to a store: from the environment or a file, never
from the command line (where other users of the machine see them in ``ps``).

* ``NEWSGRAPH_STORE_USER`` and ``NEWSGRAPH_STORE_PASSWORD``, or
* ``NEWSGRAPH_STORE_CREDENTIALS``: a file whose first line is ``user:password``
  (the password may hold ``:``); ``--credentials FILE`` names such a file too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsgraph.external.errors import ExternalStoreError

USER_VAR = "NEWSGRAPH_STORE_USER"
PASSWORD_VAR = "NEWSGRAPH_STORE_PASSWORD"
FILE_VAR = "NEWSGRAPH_STORE_CREDENTIALS"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def __repr__(self) -> str:  # never print a password, even in a debugger
        return f"Credentials(user={self.user!r}, password=***)"


def read_credentials_file(path: Path) -> Credentials:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExternalStoreError(f"cannot read the credentials file {path}: "
                                 f"{exc.strerror or exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ExternalStoreError(f"the credentials file {path} can be read by others; "
                                 f"make it private (chmod 600 {path})")
    line = text.splitlines()[0].strip() if text.strip() else ""
    user, sep, password = line.partition(":")
    if not sep or not user:
        raise ExternalStoreError(f"the credentials file {path} must hold one line "
                                 "user:password")
    return Credentials(user, password)


def find_credentials(file: Path | None = None,
                     environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials to write with: ``file``, else the environment, else none."""
    env = os.environ if environ is None else environ
    if file is None and env.get(FILE_VAR):
        file = Path(env[FILE_VAR])
    if file is not None:
        return read_credentials_file(file)
    user, password = env.get(USER_VAR), env.get(PASSWORD_VAR)
    if user and password is not None:
        return Credentials(user, password)
    if user or password:
        raise ExternalStoreError(f"set both {USER_VAR} and {PASSWORD_VAR} (or "
                                 f"{FILE_VAR} to a file holding user:password)")
    return None
