#!/usr/bin/env python3
"""feedparser's reading of a directory of feeds, for `cargo bench --bench feedparser_corpus`.

Usage: python3 benches/feedparser_reading.py CORPUS_DIR > reading.json

Writes one JSON object: for each file (its path relative to CORPUS_DIR, sorted), feedparser's
`bozo` flag, its entry count and each entry's title as text. feedparser gives an HTML title
(`title_detail.type` text/html or application/xhtml+xml) as sanitized markup; it is turned into
text here (tags dropped, entities decoded once) so that it compares with feedwright's titles,
which are always text. Whitespace is left as feedparser gives it; the bench collapses it.
"""

import html
import json
import os
import re
import sys

import feedparser

TAG = re.compile(r"<[^>]*>")


def title_text(entry):
    title = entry.get("title")
    if title is None:
        return None
    kind = entry.get("title_detail", {}).get("type", "text/plain")
    if "html" in kind:
        title = html.unescape(TAG.sub("", title))
    return title


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: feedparser_reading.py CORPUS_DIR")
    root = sys.argv[1]
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".xml"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                data = f.read()
            d = feedparser.parse(data)
            out[os.path.relpath(path, root)] = {
                "bozo": bool(d.bozo),
                "entries": len(d.entries),
                "titles": [title_text(e) for e in d.entries],
            }
    json.dump(dict(sorted(out.items())), sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
