"""Work in a child process that the caller can always stop, and that cannot take the
caller down with it.

KLayout's C++ calls keep Python's interpreter lock while they run: a signal handler, a
timer or another thread waits until the call returns (seconds on a large layout), and a
crash inside one (a damaged file) ends the whole process. So the work runs in a forked
child, in a process group of its own, and the caller only watches it:

- on SIGINT or SIGTERM, at the time limit, or when a stage the child announced (reading a
  file, see :func:`stage`) runs past its own limit, the caller kills the child's process
  group (the child and its worker processes) at once, and removes the temporary files the
  child had made with :mod:`tempfile` (a report half written: reports are written to a
  temporary file and renamed, so the earlier report at that path stays);
- a memory limit is the child's address-space limit (``RLIMIT_AS``), so an allocation
  beyond it fails inside the child, as ``MemoryError`` in Python and ``std::bad_alloc`` in
  KLayout, and the work ends with its own message;
- when the child dies of a signal, the caller learns which stage it was in;
- when the caller dies, even of SIGKILL, a watcher in the child's group kills the group.

This module imports nothing but the standard library: the command line uses it before it
loads KLayout, which keeps the fork cheap (a few milliseconds) and safe (one thread).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import select
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

# how often the caller looks at the child while waiting for its output
_POLL_SECONDS = 0.05
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_EXIT_WORK_RAISED = 3

# in the child: the pipe to the caller, for stages and temporary files
_channel: int | None = None


@dataclass(frozen=True)
class Limits:
    """``seconds`` for the whole run; ``memory``: bytes the work may allocate beyond what
    the child holds once prepared (Python and the libraries it imported)."""

    seconds: float | None = None
    memory: int | None = None


@dataclass(frozen=True)
class Stage:
    """A step the child announced: ``what`` it does (``reading the layout``), on which
    file, and how long it may take (None: as long as the run)."""

    what: str
    path: str
    seconds: float | None = None


@dataclass(frozen=True)
class Ending:
    """How an isolated run ended: ``code``, the work's exit code; or ``interrupted``, the
    signal (SIGINT, SIGTERM) that made the caller stop it; or ``timed_out``, the limit in
    seconds it ran past; or ``signal``, the signal the child died of (a crash, or the
    system's out-of-memory killer). ``stage``: the stage it was in when it did not end
    by itself."""

    code: int | None = None
    interrupted: int | None = None
    timed_out: float | None = None
    signal: int | None = None
    stage: Stage | None = None


def why_not_isolated() -> str | None:
    """Why work cannot run in a child here, or None when it can."""
    if not hasattr(os, "fork"):
        return "this system cannot fork"
    if threading.current_thread() is not threading.main_thread():
        return "it is called from a thread other than the main one"
    if threading.active_count() > 1:
        # a fork copies only the calling thread: a lock another thread holds would stay
        # locked in the child for ever
        return "other threads are running"
    return None


def memory_limit_supported() -> bool:
    """Whether :attr:`Limits.memory` is enforced here: Linux counts a process's address
    space, and reports it in /proc."""
    return sys.platform.startswith("linux")


def run_isolated(
    work: Callable[[], int],
    limits: Limits | None = None,
    prepare: Callable[[], object] | None = None,
) -> Ending:
    """Run ``work()`` in a forked child and wait for it (see the module's text).

    ``prepare()`` runs in the child before the memory limit applies (imports the work
    needs anyway). Standard output and error reach this process's ``sys.stdout`` and
    ``sys.stderr``: the child writes to their file descriptors, or, for streams without
    one (captured in memory), through pipes that this process copies from."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # else the child would write this process's buffered text again
    channel_read, channel_write = os.pipe()
    # held open by this process alone: its end, however it comes, closes it
    lifeline_read, lifeline_write = os.pipe()
    relays = {
        name: os.pipe() for name in ("stdout", "stderr") if _fd_of(getattr(sys, name)) is None
    }
    previous = {signum: signal.getsignal(signum) for signum in _STOP_SIGNALS}
    # blocked across the fork: a signal arriving in between waits for the parent's
    # handler, instead of reaching the child's or none
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        pipes = [channel_read, channel_write, lifeline_read, lifeline_write]
        pid = _fork_or_close(pipes + [fd for pair in relays.values() for fd in pair])
        if pid == 0:
            for fd in (channel_read, lifeline_write, *(read for read, _ in relays.values())):
                os.close(fd)
            outputs = {name: write for name, (_read, write) in relays.items()}
            _run_child(work, limits or Limits(), prepare, lifeline_read, channel_write, outputs)
        os.close(channel_write)
        os.close(lifeline_read)
        for _read, write in relays.values():
            os.close(write)
        with contextlib.suppress(OSError):  # the child may have done it, or exited already
            os.setpgid(pid, pid)
        readers = {read: _Relay(getattr(sys, name)) for name, (read, _write) in relays.items()}
        watch = _Watch(pid, channel_read, readers, limits or Limits())
        for signum in _STOP_SIGNALS:
            signal.signal(signum, watch.note_signal)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        return watch.until_ended()
    finally:
        with contextlib.suppress(OSError):
            os.close(lifeline_write)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _fork_or_close(fds: list[int]) -> int:
    try:
        return os.fork()
    except OSError:
        for fd in fds:
            os.close(fd)
        raise


@contextlib.contextmanager
def stage(what: str, path: str, seconds: float | None = None) -> Iterator[None]:
    """Announce a step to the caller watching this process, if any: a crash in it is
    reported with ``what`` and ``path``, and it may take at most ``seconds`` unless the
    run has a time limit of its own. Stages do not nest."""
    _send({"stage": {"what": what, "path": path, "seconds": seconds}})
    try:
        yield
    finally:
        _send({"stage": None})


# ---------------------------------------------------------------- the child
def _run_child(
    work: Callable[[], int],
    limits: Limits,
    prepare: Callable[[], object] | None,
    lifeline: int,
    channel: int,
    outputs: dict[str, int],
) -> None:
    """The child's whole life: it ends here, with the work's exit code."""
    global _channel
    code = _EXIT_WORK_RAISED
    try:
        os.setpgid(0, 0)  # the caller stops the child and its workers as one group
        _start_watcher(lifeline)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for signum in (signal.SIGTTOU, signal.SIGTTIN):
            # a group in the background of a terminal set to stop it (stty tostop) when
            # it writes: ignoring the signal lets the write (the progress bar) proceed
            signal.signal(signum, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        for name, fd in outputs.items():
            # line-buffered: what the child says before a hang or a crash gets out
            output = io.TextIOWrapper(
                io.FileIO(fd, "w"), encoding="utf-8", errors="replace", line_buffering=True
            )
            setattr(sys, name, output)
        _channel = channel
        sys.addaudithook(_report_temporary_files)
        if prepare is not None:
            prepare()
        if limits.memory is not None:
            _limit_address_space(limits.memory)
        code = work()
    except SystemExit as stopped:
        code = stopped.code if isinstance(stopped.code, int) else _EXIT_WORK_RAISED
    except BaseException:  # the work reports its own errors; this is a bug in it
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _start_watcher(lifeline: int) -> None:
    """Fork a process into the child's group that waits for the caller's end and then
    kills the group: a caller killed with SIGKILL then leaves no check running on, and
    no worker process of it (the workers would wait for ever on each other's pipes).
    While it lives, the group's number stays taken, so the caller can always kill it."""
    if os.fork() != 0:
        os.close(lifeline)
        return
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # a pipe reading the caller's output must not wait for it
            os.dup2(null, fd)
        os.closerange(3, lifeline)
        os.closerange(lifeline + 1, os.sysconf("SC_OPEN_MAX"))
        while os.read(lifeline, 1):
            pass  # nothing is written: the read returns when the caller's end closes
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(0)


def _limit_address_space(extra: int) -> None:
    """Let the child map ``extra`` bytes beyond what it maps now."""
    import resource

    with open("/proc/self/statm", encoding="ascii") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mapped + extra if hard == resource.RLIM_INFINITY else min(hard, mapped + extra)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _report_temporary_files(event: str, args: tuple[Any, ...]) -> None:
    """An audit hook: tell the caller of every temporary file or folder about to be made,
    so that it can remove them if it has to kill the child."""
    if event in ("tempfile.mkstemp", "tempfile.mkdtemp"):
        _send({"temporary": os.fsdecode(args[0])})


def _send(record: dict[str, Any]) -> None:
    if _channel is not None:
        # one write of less than a pipe's atomic size: records from threads never mix
        os.write(_channel, json.dumps(record).encode() + b"\0")


# ---------------------------------------------------------------- the caller
@dataclass
class _Watch:
    """The caller's view of a running child."""

    pid: int
    channel: int
    relays: dict[int, _Relay]
    limits: Limits
    started: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    stage: Stage | None = None
    stage_started: float = 0.0
    temporaries: list[str] = field(default_factory=list)
    pending: bytes = b""
    signalled: int | None = None
    status: int | None = None  # the child's wait status, once reaped

    def note_signal(self, signum: int, _frame: object) -> None:
        """The handler of SIGINT and SIGTERM while the child runs: noted, and acted on
        within one poll, never halfway through the clean-up."""
        self.signalled = self.signalled or signum

    def until_ended(self) -> Ending:
        try:
            return self._wait()
        finally:
            for fd in [self.channel, *self.relays]:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _wait(self) -> Ending:
        while True:
            if self._exited():
                self._pump(0.0, until_quiet=True)
                return self._ended()
            if self.signalled is not None:
                self._kill()
                return Ending(interrupted=self.signalled, stage=self.stage)
            limit, left = self._limit_left(time.monotonic())
            if limit is not None and left <= 0:
                self._kill()
                return Ending(timed_out=limit, stage=self.stage)
            self._pump(min(_POLL_SECONDS, left))

    def _exited(self) -> bool:
        """Whether the child has ended, leaving it unreaped where the system allows: its
        number stays its own until :meth:`_reap`, so its group can still be killed."""
        if hasattr(os, "waitid"):
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return os.waitid(os.P_PID, self.pid, flags) is not None
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = status
        return bool(pid)

    def _limit_left(self, now: float) -> tuple[float | None, float]:
        """The time limit that applies now, and the seconds left until it: the run's, or
        else the current stage's."""
        if self.limits.seconds is not None:
            return self.limits.seconds, self.started + self.limits.seconds - now
        if self.stage is not None and self.stage.seconds is not None:
            return self.stage.seconds, self.stage_started + self.stage.seconds - now
        return None, float("inf")

    def _pump(self, timeout: float, until_quiet: bool = False) -> None:
        """Copy what the child wrote, waiting up to ``timeout``; with ``until_quiet``,
        everything it has written."""
        while True:
            open_fds = [*self.relays, *([self.channel] if self.channel >= 0 else [])]
            if not open_fds:
                return
            ready, _, _ = select.select(open_fds, [], [], max(0.0, timeout))
            for fd in ready:
                self._take(fd, os.read(fd, 1 << 16))
            if not ready or not until_quiet:
                return

    def _take(self, fd: int, data: bytes) -> None:
        if fd == self.channel:
            self._records(data)
            if not data:
                os.close(fd)
                self.channel = -1
            return
        self.relays[fd].write(data)
        if not data:
            os.close(fd)
            del self.relays[fd]

    def _records(self, data: bytes) -> None:
        self.pending += data
        *records, self.pending = self.pending.split(b"\0")
        for text in records:
            record = json.loads(text)
            if "temporary" in record:
                self.temporaries.append(record["temporary"])
            elif record.get("stage") is not None:
                self.stage = Stage(**record["stage"])
                self.stage_started = time.monotonic()
            else:
                self.stage = None

    def _ended(self) -> Ending:
        code = os.waitstatus_to_exitcode(self._reap())
        if code >= 0:
            return Ending(code=code)
        self._remove_temporaries()
        return Ending(signal=-code, stage=self.stage)

    def _kill(self) -> None:
        self._reap()
        self._pump(0.0, until_quiet=True)  # the records sent just before
        self._remove_temporaries()

    def _reap(self) -> int:
        """Kill what is left of the child's group (all of it, when stopping it; worker
        processes a crashed child left), then collect the child's exit status."""
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        if self.status is None:
            with contextlib.suppress(OSError):  # not yet in its own group
                os.kill(self.pid, signal.SIGKILL)
            self.status = os.waitpid(self.pid, 0)[1]
        return self.status

    def _remove_temporaries(self) -> None:
        """Remove what the child made with tempfile and left; a path that existed before
        the run (a name the child tried and found taken) is not the child's."""
        for path in self.temporaries:
            with contextlib.suppress(OSError):
                if os.lstat(path).st_mtime < self.started_wall - 1:
                    continue
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)


class _Relay:
    """Copies a child's output pipe to a text stream, decoding UTF-8 across reads."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def write(self, data: bytes) -> None:
        text = self.decoder.decode(data, final=not data)
        if text:
            self.stream.write(text)
            self.stream.flush()


def _fd_of(stream: TextIO) -> int | None:
    """The file descriptor under ``stream``, or None for a stream in memory."""
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
