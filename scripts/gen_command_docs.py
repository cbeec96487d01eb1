"""Regenerates src/commands/docs.tsv, the COMMAND DOCS / key-spec table,
from a running redis-server's COMMAND DOCS and COMMAND INFO replies (the
server is the spec for those replies).

Usage: python scripts/gen_command_docs.py PORT > src/commands/docs.tsv

One row per command (subcommands as ``container|sub``), tab-separated:
name, summary, since, group, complexity, doc_flags (comma-separated),
deprecated_since, replaced_by, history (``version=>text`` entries joined
by ``;;``), key specs (specs joined by ``;``, each
``flag,flag@begin/find`` with begin ``index:N`` | ``keyword:KW,FROM`` |
``unknown`` and find ``range:LAST,STEP,LIMIT`` | ``keynum:IDX,FIRST,STEP``
| ``unknown``). Empty fields are empty strings.
"""

import sys

import redis


def pairs(x):
    if isinstance(x, dict):
        return x
    return dict(zip(x[::2], x[1::2]))


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def spec_text(spec):
    s = {text(k): v for k, v in pairs(spec).items()}
    flags = ",".join(text(f) for f in s.get("flags", []))
    bs = {text(k): v for k, v in pairs(s["begin_search"]).items()}
    bspec = {text(k): v for k, v in pairs(bs.get("spec", [])).items()}
    if text(bs["type"]) == "index":
        begin = f"index:{bspec['index']}"
    elif text(bs["type"]) == "keyword":
        begin = f"keyword:{text(bspec['keyword'])},{bspec['startfrom']}"
    else:
        begin = "unknown"
    fk = {text(k): v for k, v in pairs(s["find_keys"]).items()}
    fspec = {text(k): v for k, v in pairs(fk.get("spec", [])).items()}
    if text(fk["type"]) == "range":
        find = f"range:{fspec['lastkey']},{fspec['keystep']},{fspec['limit']}"
    elif text(fk["type"]) == "keynum":
        find = f"keynum:{fspec['keynumidx']},{fspec['firstkey']},{fspec['keystep']}"
    else:
        find = "unknown"
    return f"{flags}@{begin}/{find}"


def clean(s):
    assert "\t" not in s and "\n" not in s and ";;" not in s and "=>" not in s, s
    return s


def main():
    r = redis.Redis(port=int(sys.argv[1]), protocol=2)
    r.response_callbacks.pop("COMMAND", None)
    docs = pairs(r.execute_command("COMMAND", "DOCS"))
    infos = {}
    for entry in r.execute_command("COMMAND", "INFO"):
        infos[text(entry[0])] = entry
        for sub in entry[9]:
            infos[text(sub[0])] = sub
    rows = []

    def add(name, doc):
        d = {text(k): v for k, v in pairs(doc).items()}
        history = ";;".join(f"{text(v)}=>{clean(text(t))}" for v, t in d.get("history", []))
        specs = ";".join(spec_text(s) for s in infos[name][8])
        rows.append("\t".join([
            name,
            clean(text(d["summary"])),
            text(d["since"]),
            text(d["group"]),
            clean(text(d.get("complexity", ""))),
            ",".join(text(f) for f in d.get("doc_flags", [])),
            text(d.get("deprecated_since", "")),
            clean(text(d.get("replaced_by", ""))),
            history,
            specs,
        ]))
        for sub, sdoc in pairs(d.get("subcommands", {})).items():
            add(text(sub), sdoc)

    for name in sorted(docs, key=text):
        add(text(name), docs[name])
    print("\n".join(rows))


if __name__ == "__main__":
    main()
