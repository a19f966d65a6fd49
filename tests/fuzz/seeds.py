#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpora for the request-handler and S3 listing fuzzers.

seeds.py frame|mds|ost|s3list DIR writes valid inputs into DIR.  A handler input
is a sequence of requests, each an 8-byte record (opcode u16, flags u8,
pad u8, body_len u16, bulk_len u16) then body then bulk: the format of
tests/fuzz/fuzz_req.h.
"""
import os
import struct
import sys

CRED = 0x01
ROLE_OST = 1 << 1      # TESS_ROLE_CLIENT + 1
ROLE_MDS = 2 << 1      # TESS_ROLE_CLIENT + 2
FAR = 0x08
PEER2 = 0x10
OLD = 0x20
USER = 0x40            # ids from the pad byte (fuzz_req.h)

ROOT = 1


def rec(op, body=b'', bulk=b'', flags=0, pad=0):
    return struct.pack('<HBBHH', op, flags, pad, len(body), len(bulk)) + \
        body + bulk


def user(op, body, ids=0x15, flags=0):
    """a request of uid 1000, gid 1000, one group (FZ_USER)"""
    return rec(op, body, flags=flags | USER, pad=ids)


def cred(uid, gid, groups=()):
    g = list(groups) + [0] * (16 - len(groups))
    return struct.pack('<4I16I', 0x44455243, uid, gid, len(groups), *g)


def as_user(op, body, uid=1000, gid=1000, flags=0, bulk=b''):
    return rec(op, body + cred(uid, gid, [100]), bulk, flags | CRED)


# ---- the frame decoder (fuzz_frame.c): whole frames, header first ----
def frame(op, body, flags=1, xid=1):
    h = struct.pack('<IHHQIIIIIIQ', 0x41525354, 1, op, xid, flags, 0,
                    len(body), 0, 0, 0, 0)
    return h + body


def frame_seeds():
    return {
        'lookup': frame(16, struct.pack('<QII', 1, 3, 0) + b'abc'),
        'create': frame(19, struct.pack('<QIIIIIIII', 1, 0o100644, 0, 0, 0,
                                        0, 1, 16, 0) +
                        struct.pack('<IIHHI', 1, 1 << 20, 4, 0xffff, 0) +
                        b'f'),
        'rename': frame(23, struct.pack('<QQIIII', 1, 1, 0, 1, 1, 0) + b'ab'),
        'readdir_rep': frame(27, struct.pack('<II', 1, 1) +
                             struct.pack('<QQII', 2, 3, 8, 1) + b'x' +
                             b'\0' * 7, flags=2, xid=3),
        # READDIRPLUS (issue #11): eof word TESS_READDIR_PLUS, the entry
        # followed by its tess_dirent_plus (attr with ino 2, xflags SEC)
        'readdirplus_rep': frame(27, struct.pack('<II', 1, 2) +
                                 struct.pack('<QQII', 2, 3, 8, 1) + b'x' +
                                 b'\0' * 7 +
                                 struct.pack('<6Q10IQ', 2, 1, 1, 0, 0, 0,
                                             0, 0, 0, 0o100644, 0, 0, 1, 0,
                                             0, 0, 1) +
                                 struct.pack('<II', 1, 0),
                                 flags=2, xid=3),
        'write': frame(65, struct.pack('<QQII', 1, 0, 0, 0)),
        'lookup_cred': frame(16, struct.pack('<QII', 1, 3, 0) + b'abc' +
                             struct.pack('<4I16I', 0x44455243, 1000, 100, 2,
                                         *([100, 2000] + [0] * 14)),
                             flags=0x11),
        'ostlist_rep': frame(36, struct.pack('<II', 1, 0) +
                             struct.pack('<II', 0, 1) +
                             b'127.0.0.1:7431@tcp'.ljust(64, b'\0'),
                             flags=2, xid=5),
        # STATS (issue #11): an empty request; a reply of the fixed part
        # and two per-opcode records in increasing opcode order
        'stats': frame(4, b''),
        'stats_rep': frame(4, struct.pack('<8Q6I', 5000, 9, 1, 4096, 0, 3,
                                          0, 0, 1, 1, 2, 0, 0, 2) +
                           struct.pack('<HHIQQ', 3, 0, 0, 2, 1000) +
                           struct.pack('<HHIQQ', 65, 0, 0, 7, 9000),
                           flags=2, xid=6),
    }


# ---- MDS ----
LOOKUP, GETATTR, SETATTR, CREATE, MKDIR, UNLINK, RMDIR, RENAME, LINK, \
    SYMLINK, READLINK, READDIR, STATFS, GETXATTR, SETXATTR, LISTXATTR, \
    REMOVEXATTR, GET_LAYOUT, SET_LAYOUT, OST_REGISTER, OST_LIST, HSM_SET, \
    HSM_GET, OPEN, CLOSE, OST_REPLACE, OBJ_SCAN, OST_LEAVE = range(16, 44)


def name_req(parent, name):
    return struct.pack('<QII', parent, len(name), 0) + name


def create(parent, name, mode=0o100644, layout=b'', flags=0, op=CREATE):
    return struct.pack('<QIIIIIII', parent, mode, 0, 0, 0, flags, len(name),
                       len(layout)) + struct.pack('<I', 0) + layout + name


def layout(count=2, size=1 << 20, offset=0xffff, objs=()):
    b = struct.pack('<IIHHI', 1 if count else 0, size, count, offset, 0)
    for idx, oid in objs:
        b += struct.pack('<IIQ', idx, 0, oid)
    return b


def setattr_req(ino, valid, mode=0, uid=0, gid=0, size=0):
    return struct.pack('<QIIIIQQQQIIII', ino, valid, mode, uid, gid, size,
                       1, 2, 3, 0, 0, 0, 0)


def xattr(ino, name, value=b'', flags=0, value_len=None):
    vl = len(value) if value_len is None else value_len
    return struct.pack('<QIIII', ino, flags, len(name), vl, 0) + name + value


def hsm_set(ino, valid, sset=0, sclear=0, stripe=0, bucket=b'', key=b'',
            etag=b''):
    return struct.pack('<QIIIIQQIHHHHI', ino, valid, sset, sclear, stripe,
                       4096, 1700000000, 0, len(bucket), len(key), len(etag),
                       0, 0) + bucket + key + etag


def mds_seeds():
    d, f = 2, 3          # the first inodes a new store hands out
    mk = rec(MKDIR, create(ROOT, b'd', 0o40755, op=MKDIR))
    cr = rec(CREATE, create(ROOT, b'f', layout=layout(2)))
    tmp = rec(MKDIR, create(ROOT, b'd', 0o41777, op=MKDIR))
    s = {
        'mkdir_lookup': mk + rec(LOOKUP, name_req(ROOT, b'd')),
        'create_getattr': cr + rec(GETATTR, struct.pack('<Q', 2)) +
        rec(GET_LAYOUT, struct.pack('<Q', 2)),
        # a user's 0600 file in a 1777 directory: another user may
        # neither open nor remove it
        'sticky': tmp + as_user(CREATE, create(d, b'u', 0o100600)) +
        as_user(OPEN, struct.pack('<QII', f, 3, 0), uid=1001) +
        as_user(UNLINK, name_req(d, b'u'), uid=1001) +
        as_user(SETATTR, setattr_req(f, 0x1, 0o100666), uid=1001),
        'setattr': cr + rec(SETATTR, setattr_req(2, 0x0f, 0o100600, 1000,
                                                 1000, 5000)),
        'readdir': mk + cr + rec(READDIR, struct.pack('<QQII', ROOT, 0,
                                                      4096, 0)),
        'readdirplus': mk + cr + rec(READDIR, struct.pack('<QQII', ROOT, 0,
                                                          4096, 2)),
        'symlink': rec(SYMLINK, struct.pack('<QIIII', ROOT, 0, 0, 1, 3) +
                       b'ltgt') + rec(READLINK, struct.pack('<Q', 2)),
        'rename': mk + cr + rec(RENAME, struct.pack('<QQIIII', ROOT, d, 0,
                                                    1, 1, 0) + b'fg'),
        'link_unlink': cr + rec(LINK, struct.pack('<QQII', 2, ROOT, 1, 0) +
                                b'h') +
        rec(UNLINK, name_req(ROOT, b'f')) + rec(UNLINK, name_req(ROOT, b'h')),
        'rmdir': mk + rec(RMDIR, name_req(ROOT, b'd')),
        'statfs': rec(STATFS),
        'xattr': cr + rec(SETXATTR, xattr(2, b'user.a', b'value')) +
        rec(GETXATTR, xattr(2, b'user.a', value_len=64)) +
        rec(LISTXATTR, xattr(2, b'', value_len=0)) +
        rec(REMOVEXATTR, xattr(2, b'user.a')),
        'layout': cr + rec(SET_LAYOUT, struct.pack('<QII', 2, 16, 0) +
                           layout(1)),
        'ost_register': rec(OST_REGISTER, struct.pack('<II', 3, 18) +
                            bytes(range(16)) + b'127.0.0.1:7431@tcp',
                            flags=ROLE_OST) + rec(OST_LIST),
        'ost_leave': rec(OST_LEAVE, struct.pack('<II', 0, 0) +
                         bytes([1] + [0] * 15), flags=ROLE_OST),
        'obj_scan': cr + rec(OBJ_SCAN, struct.pack('<QII', 0, 256, 0)),
        'hsm': cr + rec(HSM_SET, hsm_set(2, 0x3, sset=0x3, bucket=b'b',
                                         key=b'k', etag=b'e')) +
        rec(HSM_GET, struct.pack('<Q', 2)),
        'open_close': cr + rec(OPEN, struct.pack('<QII', 2, 3, 0)) +
        rec(UNLINK, name_req(ROOT, b'f')) +
        rec(CLOSE, struct.pack('<QII', 2, 0, 0)),
        'users': tmp + user(CREATE, create(d, b'a', 0o100640)) +
        user(SETATTR, setattr_req(f, 0x7, 0o104755, 1001, 1000)) +
        user(SETATTR, setattr_req(f, 0x1, 0o100600), ids=0x16) +
        user(MKDIR, create(d, b's', 0o42770, op=MKDIR), ids=0x26) +
        user(READDIR, struct.pack('<QQII', d, 0, 4096, 0), ids=0x3a) +
        user(RENAME, struct.pack('<QQIIII', d, 4, 0, 1, 1, 0) + b'ab',
             ids=0x2a),
        'squashed': tmp + rec(CREATE, create(d, b'r'), flags=FAR) +
        as_user(UNLINK, name_req(d, b'r'), flags=FAR | PEER2) +
        rec(UNLINK, name_req(d, b'r'), flags=FAR),
    }
    return s


# ---- OST ----
READ, WRITE, PUNCH, OGETATTR, DESTROY, SYNC, OSTATFS, OHSM_SET, OHSM_GET, \
    PRECREATE, LIST, SYNC_OWN = range(64, 76)


def io(oid, off, length, flags=0):
    return struct.pack('<QQII', oid, off, length, flags)


def ost_seeds():
    data = b'tessera fuzz' * 8
    # a store precreates: objects exist once the MDS had them made
    pre = rec(PRECREATE, struct.pack('<QII', 1, 16, 0), flags=ROLE_MDS)
    w = pre + rec(WRITE, io(5, 0, len(data)), data)
    ohsm = struct.pack('<QQQQIIIHHHHI', 5, 2, 8192, 0, 1, 0, 1 << 20, 1,
                       1, 1, 1, 0) + b'bke'
    return {
        'write_read': w + rec(READ, io(5, 0, 4096)),
        'write_sync': pre + rec(WRITE, io(6, 4096, len(data), 1), data) +
        rec(SYNC, struct.pack('<Q', 6)) +
        rec(SYNC, struct.pack('<Q', 0), flags=ROLE_MDS),
        # a client's oid 0 is refused; OBJ_SYNC_OWN syncs what it wrote
        'write_sync_own': pre + rec(WRITE, io(6, 0, len(data)), data) +
        rec(SYNC, struct.pack('<Q', 0)) + rec(SYNC_OWN) +
        rec(SYNC_OWN, flags=ROLE_MDS),
        'punch': w + rec(PUNCH, struct.pack('<QQQII', 5, 10, 0, 1, 0)) +
        rec(PUNCH, struct.pack('<QQQII', 5, 0, 8, 2, 1)) +
        rec(PUNCH, struct.pack('<QQQII', 5, 4, 0, 3, 0)),
        'getattr_destroy': w + rec(OGETATTR, struct.pack('<Q', 5)) +
        rec(DESTROY, struct.pack('<Q', 5), flags=ROLE_MDS) +
        rec(READ, io(5, 0, 10)) + rec(WRITE, io(5, 0, 1), b'x'),
        'statfs': rec(OSTATFS),
        'precreate_list': pre + rec(LIST, struct.pack('<QII', 0, 64, 0)),
        'hsm_stub': w + rec(OHSM_SET, ohsm, flags=ROLE_MDS) +
        rec(OHSM_GET, struct.pack('<QII', 5, 64, 0)) +
        rec(READ, io(5, 0, 100)) + rec(WRITE, io(5, 8000, 4), b'abcd'),
        'hsm_get_all': rec(OHSM_GET, struct.pack('<QII', 0, 0, 0)),
        'old_proto': pre + rec(WRITE, io(7, 0, 4), b'abcd', flags=OLD) +
        rec(SYNC, struct.pack('<Q', 7), flags=OLD),
    }


# ---- S3 ListObjectsV2 pages ----
def s3list_seeds():
    page = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b'<Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount>'
            b'<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>'
            b'<IsTruncated>%s</IsTruncated>%s'
            b'<Contents><Key>dir/a%%20b+c%%00d</Key>'
            b'<LastModified>2024-01-02T03:04:05.678Z</LastModified>'
            b'<ETag>&quot;0123456789abcdef&quot;</ETag><Size>1234</Size>'
            b'<StorageClass>STANDARD</StorageClass></Contents>'
            b'<Contents><Key>e</Key><LastModified>2024-01-02T03:04:05Z'
            b'</LastModified><ETag>"abc-2"</ETag><Size>0</Size></Contents>'
            b'</ListBucketResult>')
    return {
        'last': page % (b'false', b''),
        'truncated': page % (b'true', b'<NextContinuationToken>tok=='
                             b'</NextContinuationToken>'),
        'plain': b'<ListBucketResult><Contents><Key>k</Key><Size>1</Size>'
                 b'</Contents></ListBucketResult>',
        'error': b'<Error><Code>NoSuchBucket</Code><Message>m</Message>'
                 b'</Error>',
    }


def main():
    kind, out = sys.argv[1], sys.argv[2]
    seeds = {'frame': frame_seeds, 'mds': mds_seeds, 'ost': ost_seeds,
             's3list': s3list_seeds}[kind]()
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as fh:
            fh.write(data)


if __name__ == '__main__':
    main()
