#!/usr/bin/env python3
"""List an S3 bucket as the HSM tests compare it: one line "KEY SIZE MTIME"
per object (MTIME in seconds since the epoch), every ListObjectsV2 page.

    python3 tests/s3/list.py ENDPOINT BUCKET

Requests are signed by curl (--aws-sigv4) with the s3rver test keys.
"""
import calendar
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

ep, bucket = sys.argv[1], sys.argv[2]
ns = {"s": "http://doc.s3.amazonaws.com/2006-03-01/"}
token = None
while True:
    # parameters in canonical (sorted) order, values fully encoded: curl
    # 7.88 signs the query as given, the server sorts it (as S3 does)
    q = ("continuation-token=" + urllib.parse.quote(token, safe="~") + "&" if token else "") + "list-type=2"
    xml = subprocess.run(["curl", "-sS", "--aws-sigv4", "aws:amz:us-east-1:s3",
                          "--user", "S3RVER:S3RVER", "-H",
                          "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                          "%s/%s/?%s" % (ep, bucket, q)],
                         check=True, capture_output=True).stdout
    root = ET.fromstring(xml)
    for c in root.findall("s:Contents", ns):
        lm = c.find("s:LastModified", ns).text
        sec = calendar.timegm(time.strptime(lm[:19], "%Y-%m-%dT%H:%M:%S"))
        print(c.find("s:Key", ns).text, c.find("s:Size", ns).text, sec)
    if root.find("s:IsTruncated", ns).text != "true":
        break
    token = root.find("s:NextContinuationToken", ns).text
