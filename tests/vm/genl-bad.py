#!/usr/bin/env python3
# tests/vm/genl-bad.py REPO - malformed requests to the generic netlink
# family "tessera_lnet" (lnet/netlink.c) over a raw NETLINK_GENERIC socket,
# good ones to show the harness works, and NET_ADD / NET_DEL: bad
# attributes, missing ones, refusals (ENODEV, ENOENT, EEXIST), a caller
# without CAP_NET_ADMIN (a child as nobody: EPERM, even with bad
# attributes), and the round trip of interface lo on network tcp (which
# must be up and its transport loaded).  Run as root.  Each case prints one line:
#   ok<TAB>NAME<TAB>DETAIL    or    bad<TAB>NAME<TAB>DETAIL
# Attribute and command numbers are read from REPO/include/tessera.h.
# Exit status 1 when the family cannot be found (setup), else 0.
import errno
import os
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2


def enum_of(text, first):
    """name -> value of the C enum whose first member is FIRST"""
    m = re.search(r"enum\s*\{\s*(" + first + r"\b.*?)\};", text, re.S)
    names = re.findall(r"^\s*(\w+),", m.group(1), re.M)
    return {n: i for i, n in enumerate(names)}


hdr = open(os.path.join(sys.argv[1], "include/tessera.h")).read()
A = enum_of(hdr, "TESS_NL_A_UNSPEC")
C = enum_of(hdr, "TESS_NL_CMD_UNSPEC")
VERSION = int(re.search(r"#define TESS_NL_VERSION\s+(\d+)", hdr).group(1))

sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
sk.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
sk.bind((0, 0))
sk.settimeout(10)
seq = 0


def nla(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)


def attrs(buf):
    out = {}
    while len(buf) >= 4:
        n, t = struct.unpack_from("=HH", buf)
        if n < 4 or n > len(buf):
            break
        out[t & 0x3FFF] = buf[4:n]
        buf = buf[(n + 3) & ~3:]
    return out


def request(family, cmd, payload=b"", flags=NLM_F_REQUEST | NLM_F_DUMP,
            version=None):
    """send one genl message; returns (errno, extack message, [attrs...])"""
    global seq
    seq += 1
    body = struct.pack("=BBH", cmd, VERSION if version is None else version,
                       0) + payload
    sk.send(struct.pack("=IHHII", 16 + len(body), family, flags, seq, 0) +
            body)
    msgs = []
    while True:
        data = sk.recv(65536)
        while len(data) >= 16:
            n, typ, fl, s, _ = struct.unpack_from("=IHHII", data)
            m, data = data[:n], data[(n + 3) & ~3:]
            if s != seq:
                continue
            if typ == NLMSG_DONE:
                return 0, "", msgs
            if typ == NLMSG_ERROR:
                err = -struct.unpack_from("=i", m, 16)[0]
                msg = ""
                if fl & NLM_F_ACK_TLVS:
                    off = 20 + 16
                    if not fl & NLM_F_CAPPED:
                        off = 20 + ((struct.unpack_from("=I", m, 20)[0] + 3) & ~3)
                    tl = attrs(m[off:])
                    msg = tl.get(NLMSGERR_ATTR_MSG, b"").rstrip(b"\0").decode()
                return err, msg, msgs
            msgs.append(attrs(m[20:]))
            if not fl & 0x2:	# not NLM_F_MULTI: a single reply
                return 0, "", msgs


err, msg, r = request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                      nla(CTRL_ATTR_FAMILY_NAME, b"tessera_lnet\0"),
                      flags=NLM_F_REQUEST, version=1)
if err or not r or CTRL_ATTR_FAMILY_ID not in r[0]:
    print("bad\tfamily tessera_lnet resolves\t%s %s" %
          (errno.errorcode.get(err, err), msg))
    sys.exit(1)
FAM = struct.unpack("=H", r[0][CTRL_ATTR_FAMILY_ID][:2])[0]
print("ok\tfamily tessera_lnet resolves\tid %d" % FAM)

NET, OUT = A["TESS_NL_A_NET"], A["TESS_NL_A_PEER_ADDR"]
NETGET, PEERGET = C["TESS_NL_CMD_NET_GET"], C["TESS_NL_CMD_PEER_GET"]

# the good request first: a dump filtered on tcp lists exactly tcp
err, msg, r = request(FAM, NETGET, nla(NET, b"tcp\0"))
nets = [m.get(NET, b"").rstrip(b"\0").decode() for m in r]
print("%s\tNET_GET --net tcp lists tcp only\t%s" %
      ("ok" if not err and nets == ["tcp"] else "bad",
       "errno %s, nets %s" % (errno.errorcode.get(err, err), nets)))

CASES = [
    # name, command, payload, flags, expected errno, extack message needed
    ("NET as a u32 (no NUL)", NETGET, nla(NET, struct.pack("=I", 0x41414141)),
     None, errno.EINVAL, True),
    ("NET of 300 bytes", NETGET, nla(NET, b"a" * 299 + b"\0"),
     None, errno.EINVAL, True),
    ("NET of 16 characters", PEERGET, nla(NET, b"a" * 16 + b"\0"),
     None, errno.EINVAL, True),
    ("NET with bad characters", NETGET, nla(NET, b"TCP!\0"),
     None, errno.EINVAL, True),
    ("NET empty", PEERGET, nla(NET, b""), None, errno.EINVAL, True),
    ("output-only attribute in a request", PEERGET,
     nla(OUT, b"10.0.0.5@tcp\0"), None, errno.EINVAL, True),
    ("attribute type 0", NETGET, nla(0, b"tcp\0"), None, errno.EINVAL, True),
    ("unknown attribute type 200", PEERGET, nla(200, b"x\0"),
     None, errno.EINVAL, True),
    ("attribute longer than the message", NETGET,
     struct.pack("=HH", 64, NET) + b"tcp\0", None, errno.EINVAL, True),
    ("unknown command 99", 99, b"", None, errno.EOPNOTSUPP, False),
    ("NET_GET without NLM_F_DUMP", NETGET, b"", NLM_F_REQUEST | NLM_F_ACK,
     errno.EOPNOTSUPP, False),
]
for name, cmd, payload, flags, want, need_msg in CASES:
    kw = {"flags": flags} if flags else {}
    try:
        err, msg, _ = request(FAM, cmd, payload, **kw)
    except socket.timeout:
        print("bad\t%s\tno answer in 10 s" % name)
        continue
    good = err == want and (msg or not need_msg)
    print("%s\t%s\t%s%s" % ("ok" if good else "bad", name,
                           errno.errorcode.get(err, err) if err else "no error",
                           ": " + msg if msg else " (no extack message)"))

# ---- NET_ADD / NET_DEL ----
NETIF, NETIFS = A["TESS_NL_A_NET_IF"], A["TESS_NL_A_NET_IFS"]
IFENTRY, IFSTATE = A["TESS_NL_A_NET_IF_ENTRY"], A["TESS_NL_A_NET_IF_STATE"]
IFIPV4 = A["TESS_NL_A_NET_IF_IPV4"]
ADD, DEL = C["TESS_NL_CMD_NET_ADD"], C["TESS_NL_CMD_NET_DEL"]
ACK = NLM_F_REQUEST | NLM_F_ACK


def conf(net, ifname):
    return nla(NET, net + b"\0") + nla(NETIF, ifname + b"\0")


def report(name, err, msg, want, need_msg=True, msg_has=""):
    good = err == want and (msg or not need_msg) and msg_has in msg
    print("%s\t%s\t%s%s" % ("ok" if good else "bad", name,
                           errno.errorcode.get(err, err) if err else "no error",
                           ": " + msg if msg else " (no extack message)"))


CASES = [
    # name, command, payload, flags, expected errno, extack text (or None)
    ("NET_ADD: NET_IF of 16 characters", ADD, conf(b"tcp", b"a" * 16),
     None, errno.EINVAL, "1 to 15 characters"),
    ("NET_ADD: NET_IF empty", ADD, nla(NET, b"tcp\0") + nla(NETIF, b"\0"),
     None, errno.EINVAL, "1 to 15 characters"),
    ("NET_ADD: NET_IF without a NUL", ADD,
     nla(NET, b"tcp\0") + nla(NETIF, b"lo"), None, errno.EINVAL,
     "NUL-terminated"),
    ("NET_ADD: NET_IF with '/'", ADD, conf(b"tcp", b"a/b"), None,
     errno.EINVAL, "'/'"),
    ("NET_ADD: NET_IF with a space", ADD, conf(b"tcp", b"a b"), None,
     errno.EINVAL, "whitespace"),
    ("NET_ADD: NET_IF '..'", ADD, conf(b"tcp", b".."), None, errno.EINVAL,
     "'..'"),
    ("NET_ADD: NET_IF with a control character", ADD,
     conf(b"tcp", b"l\x01o"), None, errno.EINVAL, "control characters"),
    ("NET_ADD: NET_IF with a NUL inside", ADD, conf(b"tcp", b"lo\0x"),
     None, errno.EINVAL, "control characters"),
    ("NET_ADD: NET with bad characters", ADD, conf(b"TCP!", b"lo"), None,
     errno.EINVAL, "a-z and 0-9"),
    ("NET_ADD: no NET_IF", ADD, nla(NET, b"tcp\0"), None, errno.EINVAL,
     "interface name"),
    ("NET_ADD: no NET", ADD, nla(NETIF, b"lo\0"), None, errno.EINVAL,
     "network type"),
    ("NET_DEL: no NET_IF", DEL, nla(NET, b"tcp\0"), None, errno.EINVAL,
     "interface name"),
    ("NET_ADD: output-only NET_IFS", ADD,
     conf(b"tcp", b"lo") + nla(NETIFS, b""), None, errno.EINVAL,
     "output only"),
    ("NET_ADD: unknown attribute type 200", ADD,
     conf(b"tcp", b"lo") + nla(200, b"x\0"), None, errno.EINVAL, ""),
    ("NET_GET: NET_IF in a dump", NETGET, nla(NETIF, b"lo\0"),
     NLM_F_REQUEST | NLM_F_DUMP, errno.EINVAL, "only net add"),
    ("NET_ADD: no such interface", ADD, conf(b"tcp", b"tessnope0"), None,
     errno.ENODEV, "no such interface"),
    ("NET_ADD: no transport for nonet", ADD, conf(b"nonet", b"lo"), None,
     errno.ENOENT, "transport not loaded"),
    ("NET_DEL: not configured", DEL, conf(b"tcp", b"tessnope0"), None,
     errno.ENOENT, "not configured"),
    ("NET_ADD with NLM_F_DUMP", ADD, conf(b"tcp", b"lo"),
     NLM_F_REQUEST | NLM_F_DUMP, errno.EOPNOTSUPP, None),
]
for name, cmd, payload, flags, want, text in CASES:
    try:
        err, msg, _ = request(FAM, cmd, payload, flags=flags or ACK)
    except socket.timeout:
        print("bad\t%s\tno answer in 10 s" % name)
        continue
    report(name, err, msg, want, text is not None, text or "")


def tcp_ifs():
    """the NET_IFS of tcp: [(name, state, ipv4 or None)]"""
    err, msg, r = request(FAM, NETGET, nla(NET, b"tcp\0"))
    out = []
    if err or len(r) != 1 or NETIFS not in r[0]:
        return None
    buf = r[0][NETIFS]
    while len(buf) >= 4:
        n, t = struct.unpack_from("=HH", buf)
        if n < 4 or n > len(buf):
            break
        if t & 0x3FFF == IFENTRY:
            a = attrs(buf[4:n])
            ip = socket.inet_ntoa(a[IFIPV4][:4]) if IFIPV4 in a else None
            out.append((a.get(NETIF, b"").rstrip(b"\0").decode(),
                        a.get(IFSTATE, b"\0")[0], ip))
        buf = buf[(n + 3) & ~3:]
    return out


# the round trip: lo (up, 127.0.0.1) on tcp
err, msg, _ = request(FAM, ADD, conf(b"tcp", b"lo"), flags=ACK)
report("NET_ADD tcp lo", err, msg, 0, False)
ifs = tcp_ifs()
print("%s\tNET_GET tcp lists lo, up, 127.0.0.1\t%s" %
      ("ok" if ifs == [("lo", 2, "127.0.0.1")] else "bad", ifs))
err, msg, _ = request(FAM, ADD, conf(b"tcp", b"lo"), flags=ACK)
report("NET_ADD tcp lo again", err, msg, errno.EEXIST, True, "already")
err, msg, _ = request(FAM, DEL, conf(b"tcp", b"lo"), flags=ACK)
report("NET_DEL tcp lo", err, msg, 0, False)
ifs = tcp_ifs()
print("%s\tNET_GET tcp lists no interface after NET_DEL\t%s" %
      ("ok" if ifs == [] else "bad", ifs))
err, msg, _ = request(FAM, DEL, conf(b"tcp", b"lo"), flags=ACK)
report("NET_DEL tcp lo again", err, msg, errno.ENOENT, True, "not configured")

# without CAP_NET_ADMIN: EPERM, before any attribute is looked at
rfd, wfd = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(rfd)
    lines = []
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
        sk.close()
        sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        sk.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        sk.bind((0, 0))
        sk.settimeout(10)
        for name, cmd, payload in [
                ("nobody: NET_ADD tcp lo", ADD, conf(b"tcp", b"lo")),
                ("nobody: NET_DEL tcp lo", DEL, conf(b"tcp", b"lo")),
                ("nobody: NET_ADD with a bad NET_IF", ADD,
                 conf(b"tcp", b"a/b"))]:
            err, msg, _ = request(FAM, cmd, payload, flags=ACK)
            lines.append("%s\t%s\t%s%s" % (
                "ok" if err == errno.EPERM else "bad", name,
                errno.errorcode.get(err, err) if err else "no error",
                ": " + msg if msg else ""))
        err, msg, r = request(FAM, NETGET, nla(NET, b"tcp\0"))
        lines.append("%s\tnobody: NET_GET still allowed\t%s" % (
            "ok" if not err and len(r) == 1 else "bad",
            errno.errorcode.get(err, err) if err else "no error"))
    except Exception as e:  # noqa: BLE001 - reported as a failed case
        lines.append("bad\tnobody: requests\t%r" % e)
    os.write(wfd, ("\n".join(lines) + "\n").encode())
    os._exit(0)
os.close(wfd)
with os.fdopen(rfd) as f:
    sys.stdout.write(f.read())
os.waitpid(pid, 0)
