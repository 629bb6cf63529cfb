#!/usr/bin/env python3
"""parse_message.py FILE... : parse each message with Python's email package (strict policy)
and print one JSON object per file describing what a reader sees.

The strict policy raises on any defect (bad folding, bad encoded words, bad MIME structure),
so a message that parses here is well formed as far as CPython's parser can tell.

Output per file: {"headers": [[name, decoded value], ...], "addresses": {name: [[display, addr]]},
"parts": [{"content_type", "charset", "cte", "filename", "content_id", "disposition",
"text" (text parts, decoded, CRLF shown as LF) | "sha256"+"size" (other leaves)}], "max_line": longest raw line,
"bare_lf": count of LF not preceded by CR, "defects": [...]}"""
import email.parser
import email.policy
import hashlib
import json
import sys


def describe(path):
    raw = open(path, "rb").read()
    msg = email.parser.BytesParser(policy=email.policy.strict).parsebytes(raw)
    headers = []
    addresses = {}
    for name in msg.keys():
        value = msg[name]  # header_factory parses (and raises on defects) here
        headers.append([name, str(value)])
        if hasattr(value, "addresses"):
            addresses.setdefault(name, []).extend(
                [a.display_name, a.addr_spec] for a in value.addresses)
    parts = []
    for part in msg.walk():
        entry = {
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "cte": part.get("Content-Transfer-Encoding"),
            "filename": part.get_filename(),
            "content_id": part.get("Content-ID"),
            "disposition": part.get_content_disposition(),
        }
        for name in part.keys():
            str(part[name])
        if part.is_multipart():
            entry["boundary"] = part.get_boundary()
        elif part.get_content_maintype() == "text":
            # Line ends are CRLF on the wire; compare text with LF line ends.
            entry["text"] = part.get_content().replace("\r\n", "\n")
        else:
            data = part.get_content()
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["size"] = len(data)
        defects = [type(d).__name__ for d in part.defects]
        if defects:
            entry["defects"] = defects
        parts.append(entry)
    lines = raw.split(b"\r\n")
    bare_lf = sum(line.count(b"\n") for line in lines)
    return {
        "headers": headers,
        "addresses": addresses,
        "parts": parts,
        "max_line": max(len(line) for line in lines),
        "bare_lf": bare_lf,
        "defects": [type(d).__name__ for d in msg.defects],
    }


def main():
    results = []
    for path in sys.argv[1:]:
        try:
            results.append(describe(path))
        except Exception as error:  # reported to the Swift test, which fails with it
            results.append({"error": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
