#!/usr/bin/env python3
"""wakeup_latency.py — commit-to-MAIL latency of `mail-queue send --daemon`, with the wake-up
on enqueue (PostgreSQL NOTIFY/LISTEN) and with polling alone (--poll-only), side by side.

  wakeup_latency.py --mail-queue BIN --postgres URL --psql PSQL --dir DIR [--count N] [--poll S]

For each mode: a new database on the PostgreSQL server at URL, `mail-queue init`, an SMTP peer
(mail_clock.py, aiosmtpd) that notes when each MAIL command arrives, and a daemon sending to
it. One warm-up request is sent first (not counted); then N requests are enqueued one at a time
by `mail-queue enqueue`, a random 50-250 ms apart (so that they fall anywhere in a poll
interval). A request's latency is the peer's MAIL time minus its `requested_at` (the enqueue's
clock just before its transaction began: the figure includes the enqueue's own transaction, so
it is an upper bound of commit-to-MAIL). The request id is read back from the Message-ID
(<mq.ID@domain>). Prints one line per mode and exits 1 when a request was not sent in time.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise SystemExit("wakeup_latency: timed out waiting for %s" % what)


def clock_lines(path):
    seen = {}
    if not os.path.exists(path):
        return seen
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2 or not parts[0].startswith("<mq."):
                continue
            request_id = parts[0][len("<mq."):].split("@", 1)[0]
            seen[request_id] = float(parts[1])
    return seen


def database_url(base, name):
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def run_mode(args, mode):
    name = "bench_wakeup_%s_%d" % (mode, os.getpid())
    subprocess.run([args.psql, args.postgres, "-qAt", "-c", "CREATE DATABASE %s" % name], check=True)
    url = database_url(args.postgres, name)
    subprocess.run([args.mail_queue, "init", "--database", url], check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(args.dir, "clock-%s.tsv" % mode)
    port_file = os.path.join(args.dir, "clock-%s.port" % mode)
    here = os.path.dirname(os.path.abspath(__file__))
    clock = subprocess.Popen([sys.executable, os.path.join(here, "mail_clock.py"), "--port-file", port_file, "--out", out])
    daemon = None
    try:
        wait_for(lambda: os.path.exists(port_file), 20, "the SMTP peer")
        port = open(port_file).read().strip()
        log_path = os.path.join(args.dir, "daemon-%s.log" % mode)
        command = [args.mail_queue, "send", "--daemon", "--database", url, "--smtp", "127.0.0.1:" + port,
                   "--helo", "bench.example.test", "--idle-poll-seconds", str(args.poll)]
        if mode == "poll":
            command.append("--poll-only")
        with open(log_path, "w") as log:
            daemon = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def enqueue(subject):
            result = subprocess.run([args.mail_queue, "enqueue", "--database", url, "--from", "a@example.com",
                                     "--to", "b@example.com", "--subject", subject, "--body", "latency"],
                                    check=True, capture_output=True, text=True)
            return result.stdout.strip()

        if mode == "notify":
            wait_for(lambda: "wake-up: listening" in open(log_path).read(), 30, "the daemon to listen")
        warm = enqueue("warm-up")
        wait_for(lambda: warm in clock_lines(out), 60, "the warm-up request")
        ids = []
        for n in range(args.count):
            time.sleep(random.uniform(0.05, 0.25))  # pacing between enqueues, not synchronisation
            ids.append(enqueue("latency %d" % n))
        wait_for(lambda: all(i in clock_lines(out) for i in ids), 60 + 2 * args.poll, "every request to be sent")
        mail = clock_lines(out)
        rows = subprocess.run([args.psql, url, "-qAt", "-F", "\t", "-c", "SELECT id, requested_at FROM mail_request"],
                              check=True, capture_output=True, text=True).stdout.split("\n")
        requested = {}
        for row in rows:
            if "\t" in row:
                request_id, at = row.split("\t")
                requested[request_id] = float(at)
        latencies = [mail[i] - requested[i] for i in ids]
        return latencies
    finally:
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
        clock.send_signal(signal.SIGTERM)
        try:
            clock.wait(timeout=10)
        except subprocess.TimeoutExpired:
            clock.kill()
        subprocess.run([args.psql, args.postgres, "-qAt", "-c", "DROP DATABASE IF EXISTS %s" % name])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mail-queue", required=True)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--psql", default="psql")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--poll", type=float, default=2.0)
    args = parser.parse_args()
    results = {}
    for mode in ("notify", "poll"):
        results[mode] = run_mode(args, mode)
    print("commit-to-MAIL latency on PostgreSQL, %d requests each, poll interval %g s (ms):" % (args.count, args.poll))
    print("  %-28s %9s %9s %9s" % ("daemon", "p50", "p99", "max"))
    labels = {"notify": "NOTIFY/LISTEN (default)", "poll": "polling only (--poll-only)"}
    for mode in ("notify", "poll"):
        values = results[mode]
        print("  %-28s %9.1f %9.1f %9.1f" % (labels[mode], percentile(values, 0.5), percentile(values, 0.99), max(values)))
    p50 = percentile(results["notify"], 0.5)
    ratio = percentile(results["poll"], 0.5) / p50 if p50 > 0 else float("inf")
    verdict = "PASS" if p50 < 50 else "MISS"
    print("  NOTIFY p50 %.1f ms, target < 50 ms: %s; polling's p50 is %.1fx NOTIFY's" % (p50, verdict, ratio))


if __name__ == "__main__":
    main()
