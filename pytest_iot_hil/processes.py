"""Child processes and scratch directories that never outlive their owner.

Three layers make sure no emulator survives a test run:

1. every process is killed by its owner's ``close()`` (fixture teardown);
2. an ``atexit`` handler and a SIGTERM handler kill whatever is still
   registered when the interpreter exits (Ctrl-C, ``pytest -x``, ...);
3. on Linux, ``PR_SET_PDEATHSIG`` makes the kernel send SIGKILL to the child
   when its parent dies, which covers a SIGKILLed pytest-xdist worker. The
   kernel ties that signal to the *thread* that forked, so every child is
   started from one long-lived spawner thread: a power-on from a short-lived
   thread (a timer, a flash-watch thread) must not doom its emulator.

Scratch directories live under one per-user parent; each holds an ``owner.pid``
file, and a later run removes those whose owner is gone.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence

_PR_SET_PDEATHSIG = 1
_live: set["ManagedProcess"] = set()
_live_dirs: set[Path] = set()
# Re-entrant: the SIGTERM handler runs on the main thread, possibly while
# that thread already holds the lock.
_lock = threading.RLock()
_handlers_installed = False


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True) if sys.platform.startswith("linux") else None


_SETPRIV = shutil.which("setpriv") if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:  # runs in the child between fork and exec: keep it tiny
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _kill_everything() -> None:
    with _lock:
        procs = list(_live)
        dirs = list(_live_dirs)
    for proc in procs:
        proc.kill()
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


def _on_sigterm(signum: int, frame: object) -> None:
    _kill_everything()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_kill_everything)
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)


_spawner: concurrent.futures.ThreadPoolExecutor | None = None


def _forget_spawner() -> None:
    # A forked child has no spawner thread: it must start its own.
    global _spawner
    _spawner = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_spawner)


def _spawn(argv: list[str], **kwargs) -> subprocess.Popen:
    global _spawner
    with _lock:
        if _spawner is None:
            _spawner = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="hil-spawner")
    return _spawner.submit(subprocess.Popen, argv, **kwargs).result()


class ManagedProcess:
    """A child process that is killed with its owner, whatever happens."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        pass_fds: Sequence[int] = (),
        cwd: str | Path | None = None,
        env: dict[str, str] | None = None,
        stdout_path: Path | None = None,
        append: bool = False,
    ) -> None:
        _install_handlers()
        self.argv = list(argv)
        self._stdout = open(stdout_path, "ab" if append else "wb") if stdout_path else subprocess.DEVNULL
        preexec = None
        if _SETPRIV:
            # util-linux's setpriv sets the parent-death signal and execs the
            # program; unlike preexec_fn it lets Python use vfork (~6 ms less).
            argv = [_SETPRIV, "--pdeathsig", "KILL", "--", *self.argv]
        elif sys.platform.startswith("linux"):
            preexec = _die_with_parent
        try:
            self.popen = self._start(argv, pass_fds, cwd, env, preexec)
        except BaseException:
            if self._stdout is not subprocess.DEVNULL:
                self._stdout.close()
            raise
        with _lock:
            _live.add(self)

    def _start(self, argv, pass_fds, cwd, env, preexec) -> subprocess.Popen:
        return _spawn(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=subprocess.STDOUT,
            pass_fds=tuple(pass_fds),
            cwd=cwd,
            env=env,
            # Own process group: a Ctrl-C at the terminal reaches pytest, which
            # then tears the emulator down in order instead of racing it.
            start_new_session=True,
            preexec_fn=preexec,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float | None = None) -> int:
        return self.popen.wait(timeout)

    def kill(self) -> None:
        """Kill the process and reap it. Idempotent."""
        if self.popen.poll() is None:
            try:
                self.popen.kill()
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:  # pragma: no cover - kernel trouble
                pass
        if self._stdout not in (subprocess.DEVNULL, None):
            self._stdout.close()
            self._stdout = subprocess.DEVNULL
        with _lock:
            _live.discard(self)


def _scratch_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"pytest-iot-hil-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_scratch_dirs() -> None:
    """Delete scratch directories left by processes that died uncleanly."""
    for path in _scratch_root().iterdir():
        try:
            pid = int((path / "owner.pid").read_text())
        except (OSError, ValueError):
            # Another worker may be between mkdtemp() and writing its pid.
            try:
                if time.time() - path.stat().st_mtime < 60:
                    continue
            except OSError:
                continue
            pid = 0
        if pid and _pid_alive(pid):
            continue
        shutil.rmtree(path, ignore_errors=True)


def make_scratch_dir(prefix: str) -> Path:
    """A private directory removed by :func:`remove_scratch_dir` or at exit."""
    _install_handlers()
    path = Path(tempfile.mkdtemp(prefix=prefix + "-", dir=_scratch_root()))
    (path / "owner.pid").write_text(str(os.getpid()))
    with _lock:
        _live_dirs.add(path)
    return path


def remove_scratch_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _live_dirs.discard(path)


def live_processes() -> list[ManagedProcess]:
    with _lock:
        return list(_live)
