#!/usr/bin/env python3
"""timed.py — run a command (optionally N times in a row) and report its cost.

  timed.py [--repeat N] -- COMMAND [ARG...]

Prints one line on stdout: `wall=S cpu=S busy=S` (wall-clock seconds for all runs; the user +
system CPU seconds of the command and its children; and, on Linux, the CPU seconds the whole
machine spent busy meanwhile, from /proc/stat, every process and the kernel together, so that
busy - cpu is what the server and everything else cost), followed by the last non-empty line
the command printed on stdout (with --repeat, the command's output is discarded). The
command's stderr goes to our stderr. Exits with the first non-zero status of a run, after
printing what was measured so far (`failed=N` is added).
"""
import argparse
import os
import resource
import signal
import subprocess
import sys
import time

CHILD = None


def stop(signum, _frame):
    """SIGTERM/SIGINT: stop the command being timed too, then exit as killed by signum."""
    if CHILD is not None and CHILD.poll() is None:
        CHILD.terminate()
        try:
            CHILD.wait(timeout=5)
        except subprocess.TimeoutExpired:
            CHILD.kill()
    sys.exit(128 + signum)


def run(command, stdout):
    """Runs command to its end; returns (status, output)."""
    global CHILD
    CHILD = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout,
                             stderr=subprocess.DEVNULL if stdout == subprocess.DEVNULL else None)
    output, _ = CHILD.communicate()
    status = CHILD.returncode
    CHILD = None
    return status, output


def machine_busy():
    """CPU seconds the machine has spent not idle since boot (Linux), or None."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = ticks + [0] * (8 - len(ticks))
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=0, help="run N times, output discarded")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before = machine_busy()
    start = time.perf_counter()
    last = ""
    status = 0
    if args.repeat:
        for _ in range(args.repeat):
            status, _ = run(command, subprocess.DEVNULL)
            if status != 0:
                break
    else:
        status, output = run(command, subprocess.PIPE)
        lines = [line for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
        last = lines[-1] if lines else ""
    wall = time.perf_counter() - start
    busy_after = machine_busy()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    line = "wall=%.6f cpu=%.6f" % (wall, cpu)
    if busy_before is not None and busy_after is not None:
        line += " busy=%.2f" % (busy_after - busy_before)
    if status != 0:
        line += " failed=%d" % status
    print((line + " " + last).rstrip(), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
