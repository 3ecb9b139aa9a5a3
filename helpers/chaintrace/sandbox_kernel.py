"""The first process inside a grading sandbox: set limits, start the kernel, watch it.

``chaintrace.sandbox`` starts bubblewrap with this file as PID 1 of a fresh PID namespace::

    python -I sandbox_kernel.py --memory BYTES --processes N --file-size BYTES --deadline SECONDS
        -- python -m ipykernel_launcher -f CONNECTION_FILE

It applies the resource limits (inherited by the kernel and everything it starts), runs the
kernel as its child and then supervises the namespace: it reaps orphans, and when the
namespace holds more than ``--processes`` processes or the wall-clock ``--deadline`` passes, it
says so on stderr (which the instructor sees in the ``nbgrader autograde`` log) and kills every
process in the sandbox. Because it is PID 1, its exit ends the whole namespace.

``RLIMIT_NPROC`` alone cannot bound processes here: it counts every process of the user on the
machine and does not apply to root, so the count is taken in this PID namespace instead.

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
EXIT_LIMIT = 137  # what a SIGKILLed kernel reports, so nbgrader treats it as a dead kernel


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the launcher's options; everything after ``--`` is the kernel command."""
    parser = argparse.ArgumentParser(prog="sandbox_kernel")
    parser.add_argument("--memory", type=int, default=0, help="address-space bytes (0: none)")
    parser.add_argument("--processes", type=int, default=0, help="processes in the sandbox")
    parser.add_argument("--file-size", type=int, default=0, help="largest file written, bytes")
    parser.add_argument("--deadline", type=float, default=0, help="wall-clock seconds (0: none)")
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
    if args.processes and os.getuid() != 0:
        # An extra, per-user guard where the kernel enforces it (never for root).
        nproc = len(_pids()) + args.processes
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


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


def supervise(kernel: int, args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.deadline if args.deadline else None
    while True:
        status = reap(kernel)
        if status is not None:
            return status if status >= 0 else 128 - status
        if args.processes and len(_pids()) - 1 > args.processes:
            stop_everything(f"process limit reached (more than {args.processes} processes)")
        if deadline is not None and time.monotonic() > deadline:
            stop_everything(f"notebook time limit reached ({args.deadline:g} s)")
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
