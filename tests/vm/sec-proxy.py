#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sec-proxy PORT HOST DPORT - a TCP proxy that alters one frame.

Listens on HOST:PORT and forwards each connection to HOST:DPORT.  In the
server-to-client stream of the first connection it flips one bit of the
tag of the first protected frame (the third frame: after the HELLO and
AUTH replies), leaving header, body, bulk and CRCs as they are, so that
only the tag check of sec=integrity or sec=privacy can find it.  Every
later connection passes untouched.  Prints "flipped" when it did.
"""
import socket
import struct
import sys
import threading

HDR = 48
TAG = 16
flipped = False
lock = threading.Lock()


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def recvn(s, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = s.recv_into(view[got:], n - got)
        if not k:
            raise EOFError
        got += k
    return buf


def plain(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    close(a, b)


def frames(a, b, alter):
    global flipped
    n = 0
    try:
        while True:
            hdr = recvn(a, HDR)
            body_len, bulk_len = struct.unpack_from("<II", hdr, 24)
            rest = body_len + bulk_len + (TAG if n >= 2 else 0)
            data = recvn(a, rest) if rest else bytearray()
            if alter and n >= 2:
                with lock:
                    if not flipped:
                        data[-1] ^= 1
                        flipped = True
                        print("flipped", flush=True)
            b.sendall(bytes(hdr) + bytes(data))
            n += 1
    except (EOFError, OSError):
        pass
    close(a, b)


def main():
    port, host, dport = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(16)
    print("listening", flush=True)
    first = True
    while True:
        c, _ = ls.accept()
        s = socket.create_connection((host, dport))
        threading.Thread(target=plain, args=(c, s), daemon=True).start()
        threading.Thread(target=frames, args=(s, c, first),
                         daemon=True).start()
        first = False


if __name__ == "__main__":
    main()
