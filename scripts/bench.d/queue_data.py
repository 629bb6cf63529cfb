#!/usr/bin/env python3
"""queue_data.py — inputs for scripts/bench-queue.

  queue_data.py jsonl COUNT SIZE FROM TO          JSON Lines for `mail-queue enqueue --jsonl`
  queue_data.py shell-sql DATABASE                the rows DATABASE holds, as the SQL script the
                                                  sqlite3 shell runs: one BEGIN … COMMIT per request

The shell script inserts exactly the rows `mail-queue enqueue` wrote (every column of the
request and of its recipients), with the same journal mode and synchronous setting the queue
uses (WAL, NORMAL), so both sides do the same inserts into the same schema.
"""
import json
import sqlite3
import sys


def jsonl(count, size, sender, recipient):
    line = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" * 2)[:71] + "\n"
    body = (line * (size // len(line) + 1))[:size]
    out = sys.stdout
    for i in range(count):
        out.write(json.dumps({"from": sender, "to": [recipient], "subject": "bench %d" % i, "body": body}) + "\n")


def literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    return "'" + value.replace("'", "''") + "'"


def shell_sql(path):
    db = sqlite3.connect(path)
    tables = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%REFERENCES%'")]
    requests = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%request%' AND sql NOT LIKE '%REFERENCES%'")]
    if len(requests) != 1:
        sys.exit("queue_data.py: cannot tell the requests table among %r" % requests)
    children = {}
    for table in tables:
        fk = db.execute("PRAGMA foreign_key_list(\"%s\")" % table).fetchone()
        column = fk[3]
        for row in db.execute("SELECT \"%s\", * FROM \"%s\"" % (column, table)):
            children.setdefault(row[0], []).append((table, row[1:]))
    out = sys.stdout
    out.write("PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA foreign_keys = ON;\n")
    for row in db.execute("SELECT * FROM \"%s\"" % requests[0]):
        out.write("BEGIN IMMEDIATE;\n")
        out.write("INSERT INTO \"%s\" VALUES (%s);\n" % (requests[0], ", ".join(map(literal, row))))
        for table, values in children.get(row[0], []):
            out.write("INSERT INTO \"%s\" VALUES (%s);\n" % (table, ", ".join(map(literal, values))))
        out.write("COMMIT;\n")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "jsonl":
        jsonl(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif len(sys.argv) == 3 and sys.argv[1] == "shell-sql":
        shell_sql(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
