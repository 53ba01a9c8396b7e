"""Forbid a process to open Internet sockets (Linux seccomp), as a second lock.

The query guard refuses ``SERVICE`` before a query runs; the engine would
otherwise make the HTTP request itself. Query worker processes also install
this filter, so that a query the guard misread still cannot reach the network:
``socket(AF_INET | AF_INET6, ...)`` fails with ``EACCES``. Everything else (the
pipes to the web worker, reading the store) is untouched. The filter is
inherited by children and cannot be removed.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import socket
import struct

# linux/seccomp.h, linux/filter.h, linux/audit.h
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_BPF_RET_K = 0x06  # BPF_RET | BPF_K
_NR_IO_URING_SETUP = 425  # the same number on x86_64 and aarch64

# (audit arch, syscall number of socket) per machine
_ARCHES = {
    "x86_64": (0xC000003E, 41),
    "aarch64": (0xC00000B7, 198),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _program(arch: int, nr_socket: int) -> list[tuple[int, int, int, int]]:
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    # struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (low word, little endian)
    return [
        (_BPF_LD_W_ABS, 0, 0, 4),
        (_BPF_JEQ_K, 1, 0, arch),  # a foreign ABI (ia32, ...): deny every call
        (_BPF_RET_K, 0, 0, deny),
        (_BPF_LD_W_ABS, 0, 0, 0),
        (_BPF_JGE_K, 5, 0, 0x40000000),  # x32 calls: deny
        (_BPF_JEQ_K, 4, 0, _NR_IO_URING_SETUP),  # io_uring could open sockets too
        (_BPF_JEQ_K, 0, 4, nr_socket),
        (_BPF_LD_W_ABS, 0, 0, 16),
        (_BPF_JEQ_K, 1, 0, socket.AF_INET),
        (_BPF_JEQ_K, 0, 1, socket.AF_INET6),
        (_BPF_RET_K, 0, 0, deny),
        (_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
    ]


def deny_internet_sockets() -> bool:
    """Install the filter in this process; False (and nothing done) if unsupported."""
    machine = platform.machine()
    if platform.system() != "Linux" or machine not in _ARCHES or struct.calcsize("P") != 8:
        return False
    arch, nr_socket = _ARCHES[machine]
    rows = _program(arch, nr_socket)
    filters = (_SockFilter * len(rows))(*[_SockFilter(*row) for row in rows])
    prog = _SockFprog(len(rows), ctypes.cast(filters, ctypes.POINTER(_SockFilter)))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:
        return False
    return True
