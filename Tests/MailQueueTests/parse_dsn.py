#!/usr/bin/env python3
"""parse_dsn.py FILE : read a delivery status notification with Python's email package and print
what a reader sees, as JSON: {"content_type", "report_type", "from", "to", "subject",
"auto_submitted", "text" (the human part), "per_message": {field: value}, "recipients":
[{field: value}] (the message/delivery-status part, RFC 3464), "headers_type", "headers" (the
third part's text), "defects"}. Exit 1 when the message is not a multipart/report."""
import email
import email.policy
import json
import sys


def fields(block):
    return {name: str(value) for name, value in block.items()}


def main():
    raw = open(sys.argv[1], "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = {
        "content_type": msg.get_content_type(),
        "report_type": msg.get_param("report-type"),
        "from": str(msg["From"]),
        "to": str(msg["To"]),
        "subject": str(msg["Subject"]),
        "auto_submitted": str(msg["Auto-Submitted"]),
        "defects": [type(d).__name__ for d in msg.defects],
    }
    if not msg.is_multipart():
        print(json.dumps(out))
        return 1
    parts = msg.get_payload()
    out["part_types"] = [p.get_content_type() for p in parts]
    out["text"] = parts[0].get_content()
    status = parts[1].get_payload()  # message/delivery-status: a list of field blocks
    out["per_message"] = fields(status[0])
    out["recipients"] = [fields(block) for block in status[1:]]
    out["headers_type"] = parts[2].get_content_type()
    out["headers"] = parts[2].get_payload(decode=True).decode("utf-8", "replace")
    for part in parts:
        out["defects"] += [type(d).__name__ for d in part.defects]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
