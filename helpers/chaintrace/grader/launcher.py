"""The first process inside a grading sandbox: set limits, start the kernel, watch it.

``chaintrace.grader.sandbox`` starts bubblewrap with this file as PID 1 of a fresh PID
namespace::

    python -I launcher.py --memory BYTES --processes N --file-size BYTES --deadline SECONDS
        --memory-total BYTES --disk BYTES --files N --watch DIR ...
        -- python -I -m ipykernel_launcher -f CONNECTION_FILE

It applies the per-process limits (inherited by the kernel and everything it starts), runs the
kernel as its child and then supervises the namespace: it reaps orphans, and when the namespace
holds more than ``--processes`` processes, its processes' resident memory together passes
``--memory-total``, the watched folders (the submission's folder and its ``/tmp``) hold more than
``--disk`` bytes or ``--files`` entries, or the wall-clock ``--deadline`` passes, it says so on
stderr (which the instructor sees in the ``nbgrader autograde`` log) and kills every process in
the sandbox. Because it is PID 1, its exit ends the whole namespace.

Totals are sampled (processes every 20 ms, memory and disk every 0.2 s), so a submission can
overshoot a total by what it writes in that time; ``RLIMIT_FSIZE`` and ``RLIMIT_AS`` bound each
single file and process exactly.

``RLIMIT_NPROC`` cannot bound processes here: it counts every process of the user *outside*
the user namespace (all of root's, when the grader runs as root), so the count is taken in this
PID namespace instead.

Only the standard library is used: this runs before (and outside) anything the submission controls.

>>> parse_args(["--memory", "1024", "--", "python", "-c", "pass"]).command
['python', '-c', 'pass']
"""

import argparse
import os
import resource
import signal
import sys
import time

POLL_SECONDS = 0.02  # a fork bomb on two cores makes a few hundred processes in this time
TOTALS_EVERY = 10  # polls between samples of memory and disk (walking folders costs more)
EXIT_LIMIT = 137  # what a SIGKILLed kernel reports, so nbgrader treats it as a dead kernel


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the launcher's options; everything after ``--`` is the kernel command."""
    parser = argparse.ArgumentParser(prog="launcher")
    parser.add_argument("--memory", type=int, default=0, help="address-space bytes (0: none)")
    parser.add_argument("--processes", type=int, default=0, help="processes in the sandbox")
    parser.add_argument("--file-size", type=int, default=0, help="largest file written, bytes")
    parser.add_argument("--deadline", type=float, default=0, help="wall-clock seconds (0: none)")
    parser.add_argument("--memory-total", type=int, default=0, help="resident bytes, all processes")
    parser.add_argument("--disk", type=int, default=0, help="bytes in the watched folders")
    parser.add_argument("--files", type=int, default=0, help="entries in the watched folders")
    parser.add_argument("--watch", action="append", default=[], help="a folder to total")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        parser.error("no kernel command given after '--'")
    return args


def apply_limits(args: argparse.Namespace) -> None:
    """Per-process limits; every child inherits them."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not dump memory to disk
    if args.memory:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    if args.file_size:
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.file_size, args.file_size))


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def say(message: str) -> None:
    print(f"[chaintrace sandbox] {message}", file=sys.stderr, flush=True)


def stop_everything(reason: str) -> None:
    say(f"{reason}; stopping this submission's kernel and every process it started")
    for pid in _pids():
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    sys.exit(EXIT_LIMIT)


def reap(kernel: int) -> int | None:
    """Collect finished children (orphans land here as PID 1); the kernel's status if it ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 0
        if pid == 0:
            return None
        if pid == kernel:
            return os.waitstatus_to_exitcode(status)


def resident_bytes() -> int:
    """Memory the namespace's processes really use together (this one included).

    Proportional set size: a page shared by forked processes counts once in all, not once per
    process as resident size would (a few hundred sleeping forks are a process problem, not a
    memory one).
    """
    total = 0
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += next(int(ln.split()[1]) for ln in handle if ln.startswith("Pss:")) * 1024
        except (OSError, StopIteration, IndexError, ValueError):
            pass  # it ended while we looked
    return total


def mount_points() -> set[str]:
    """Every mount point in this namespace (the read-only folders bound under a watched one)."""
    try:
        with open("/proc/self/mountinfo") as handle:
            return {line.split()[4] for line in handle}
    except (OSError, IndexError):
        return set()


def folder_totals(folders: list[str]) -> tuple[int, int]:
    """``(bytes, entries)`` under ``folders``, links not followed, other mounts not entered.

    The sandbox's ``/tmp`` may hold the course's own folders mounted read-only (when the course
    lives under ``/tmp``): what the submission wrote is what is on the watched folders themselves.
    """
    mounts = mount_points() - set(folders)
    size = count = 0
    stack = list(folders)
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.path in mounts:
                continue
            count += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    size += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                pass
    return size, count


def over_totals(args: argparse.Namespace) -> str | None:
    """Why the submission is over one of its totals, or None."""
    if args.memory_total and resident_bytes() > args.memory_total:
        return f"memory limit reached (more than {args.memory_total >> 20} MB in all its processes)"
    if args.watch and (args.disk or args.files):
        size, count = folder_totals(args.watch)
        if args.disk and size > args.disk:
            return f"disk limit reached (more than {args.disk >> 20} MB written)"
        if args.files and count > args.files:
            return f"file limit reached (more than {args.files} files)"
    return None


def supervise(kernel: int, args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.deadline if args.deadline else None
    polls = 0
    while True:
        status = reap(kernel)
        if status is not None:
            return status if status >= 0 else 128 - status
        if args.processes and len(_pids()) - 1 > args.processes:
            stop_everything(f"process limit reached (more than {args.processes} processes)")
        if deadline is not None and time.monotonic() > deadline:
            stop_everything(f"notebook time limit reached ({args.deadline:g} s)")
        polls += 1
        if polls % TOTALS_EVERY == 0 and (reason := over_totals(args)):
            stop_everything(reason)
        time.sleep(POLL_SECONDS)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    apply_limits(args)
    # SIGTERM to PID 1 is ignored without a handler: make a polite stop end the sandbox.
    signal.signal(signal.SIGTERM, lambda *_: stop_everything("asked to stop"))
    # An interrupt (a cell timeout) is for the kernel, which signals its whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kernel = os.fork()
    if kernel == 0:
        for number in (signal.SIGTERM, signal.SIGINT):  # an ignored signal stays so across exec
            signal.signal(number, signal.SIG_DFL)
        os.execvp(args.command[0], args.command)
    return supervise(kernel, args)


if __name__ == "__main__":
    sys.exit(main())
