# Flatten a JSON document into one line per scalar: "PATH<TAB>VALUE".
#   {"uuid": "u1", "public_keys": {"k": "ssh-ed25519 AAAA"}, "keys": [{"name": "k"}]}
# gives
#   /uuid	u1
#   /public_keys/k	ssh-ed25519 AAAA
#   /keys/0/name	k
# The guest has busybox and no jq; this is enough for the metadata documents
# (meta_data.json, network_data.json). Newlines inside strings become spaces so each
# value stays on its line. Exit status 1 on malformed input.

function fail() { bad = 1; pos = n + 1 }

function skip_ws() {
    while (pos <= n && index(" \t\r\n", substr(s, pos, 1)) > 0) pos++
}

function hexval(h,   i, v) {
    v = 0
    for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
    return v
}

function parse_string(   out, c, code) {
    pos++  # opening quote
    out = ""
    while (pos <= n) {
        c = substr(s, pos, 1)
        if (c == "\"") { pos++; return out }
        if (c == "\\") {
            pos++
            c = substr(s, pos, 1)
            if (c == "n" || c == "r" || c == "t") out = out " "
            else if (c == "b" || c == "f") out = out ""
            else if (c == "u") {
                code = hexval(substr(s, pos + 1, 4))
                pos += 4
                # Only ASCII survives: this is for ids, names and keys.
                out = out ((code >= 32 && code < 127) ? sprintf("%c", code) : "?")
            } else out = out c  # \" \\ \/
        } else if (c == "\n") out = out " "
        else out = out c
        pos++
    }
    fail()
    return out
}

function parse_value(path,   c, i, key, start) {
    skip_ws()
    if (pos > n) { fail(); return }
    c = substr(s, pos, 1)
    if (c == "{") {
        pos++
        skip_ws()
        if (substr(s, pos, 1) == "}") { pos++; return }
        while (pos <= n) {
            skip_ws()
            if (substr(s, pos, 1) != "\"") { fail(); return }
            key = parse_string()
            skip_ws()
            if (substr(s, pos, 1) != ":") { fail(); return }
            pos++
            parse_value(path "/" key)
            skip_ws()
            c = substr(s, pos, 1)
            pos++
            if (c == "}") return
            if (c != ",") { fail(); return }
        }
        fail()
        return
    }
    if (c == "[") {
        pos++
        skip_ws()
        if (substr(s, pos, 1) == "]") { pos++; return }
        i = 0
        while (pos <= n) {
            parse_value(path "/" i)
            i++
            skip_ws()
            c = substr(s, pos, 1)
            pos++
            if (c == "]") return
            if (c != ",") { fail(); return }
        }
        fail()
        return
    }
    if (c == "\"") {
        key = parse_string()
        if (!bad) print path "\t" key
        return
    }
    start = pos
    while (pos <= n && index(",}] \t\r\n", substr(s, pos, 1)) == 0) pos++
    if (pos == start) { fail(); return }
    print path "\t" substr(s, start, pos - start)
}

{ s = (NR == 1) ? $0 : s "\n" $0 }

END {
    n = length(s)
    pos = 1
    bad = 0
    parse_value("")
    skip_ws()
    if (bad || pos <= n) exit 1
}
