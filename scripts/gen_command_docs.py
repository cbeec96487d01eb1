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
| ``unknown``), COMMAND INFO's tips (comma-separated) and the key specs'
notes (one per spec, in spec order, joined by ``;;``; empty when no spec
has a note). Empty fields are empty strings.
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
        tips = ",".join(text(t) for t in infos[name][7])
        notes = [text(pairs(s).get(b"notes", b"")) for s in infos[name][8]]
        notes = ";;".join(clean(n) for n in notes) if any(notes) else ""
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
            tips,
            notes,
        ]))
        subs = pairs(d.get("subcommands", {}))
        for sub in sorted(subs, key=text):
            add(text(sub), subs[sub])

    for name in sorted(docs, key=text):
        add(text(name), docs[name])
    print("\n".join(rows))


if __name__ == "__main__" and "--args" not in sys.argv:
    main()


# -- argument trees -------------------------------------------------------------
#
# `python scripts/gen_command_docs.py PORT --args > src/commands/docs_args.resp`
# writes each command's (and subcommand's) `arguments` reply as Redis 7.0
# sends it over RESP3: one `*2` frame per command, `[name, arguments]`,
# RESP3 types kept (maps, sets, simple strings), one frame per line group.


def _read_resp3(buf, i=0):
    """Parses one RESP3 value at buf[i:]; returns (value, next index).
    Values are kept as (type byte, payload) so they can be written back
    exactly."""
    t = buf[i:i + 1]
    end = buf.index(b"\r\n", i)
    head = buf[i + 1:end]
    i = end + 2
    if t in (b"+", b"-", b":", b",", b"#", b"("):
        return (t, head), i
    if t in (b"$", b"="):
        n = int(head)
        return (t, buf[i:i + n]), i + n + 2
    if t == b"_":
        return (t, None), i
    n = int(head)
    count = n * 2 if t in (b"%", b"|") else n
    items = []
    for _ in range(count):
        v, i = _read_resp3(buf, i)
        items.append(v)
    return (t, items), i


def _write_resp3(v):
    t, p = v
    if t in (b"+", b"-", b":", b",", b"#", b"("):
        return t + p + b"\r\n"
    if t in (b"$", b"="):
        return t + str(len(p)).encode() + b"\r\n" + p + b"\r\n"
    if t == b"_":
        return b"_\r\n"
    n = len(p) // 2 if t in (b"%", b"|") else len(p)
    return t + str(n).encode() + b"\r\n" + b"".join(_write_resp3(x) for x in p)


def _pairs3(v):
    items = v[1]
    return [(items[k], items[k + 1]) for k in range(0, len(items), 2)]


def dump_args(port):
    import socket

    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"HELLO 3\r\nCOMMAND DOCS\r\nPING\r\n")
    buf = b""
    while not buf.endswith(b"+PONG\r\n"):
        buf += s.recv(1 << 20)
    _, i = _read_resp3(buf)  # HELLO
    docs, _ = _read_resp3(buf, i)
    out = []

    def walk(name, doc):
        for k, v in _pairs3(doc):
            if k[1] == b"arguments":
                out.append(b"*2\r\n" + _write_resp3((b"$", name)) + _write_resp3(v))
            elif k[1] == b"subcommands":
                for sub, sdoc in _pairs3(v):
                    walk(sub[1], sdoc)

    for name, doc in sorted(_pairs3(docs), key=lambda p: p[0][1]):
        walk(name[1], doc)
    sys.stdout.buffer.write(b"".join(out))


if __name__ == "__main__" and "--args" in sys.argv:
    dump_args(int(sys.argv[1]))
