// Local S3 server for the HSM tests: s3rver on one address (127.0.0.1
// unless ADDR is given; the VM suites use the bridge address, which the
// OSTs' network namespaces can reach).
//
//   node --openssl-legacy-provider tests/s3/server.js DIR PORT [ADDR]
//
// Idle keep-alive connections are kept for 120 s instead of node's 5 s:
// clients (s3cmd hashing the next part of a multipart upload under QEMU
// TCG, the OSTs' pooled curl handles) may be quiet that long.
//
// (s3rver makes ListObjectsV2 continuation tokens with DES, which
// OpenSSL 3 only has in its legacy provider.)
//
// s3rver keeps each object as a file named after its key, so keys that
// are not file paths (an empty segment "a//b", ".." segments, a segment
// over 255 bytes) would be normalised or refused.  Real S3 stores any
// key; the HSM import must see such keys to skip them, so the store's
// key <-> path mapping is made reversible here: '%' is escaped, empty,
// "." and ".." segments are escaped, and long segments are cut into
// pieces joined by a "%+" continuation marker.
'use strict';

const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');

const PIECE = 200;

function encSeg(seg) {
  if (seg === '') return '%e';
  seg = seg.replace(/%/g, '%25');
  if (seg === '.') return '%2E';
  if (seg === '..') return '%2E%2E';
  const out = [];
  while (Buffer.byteLength(seg) > PIECE) {
    // cut at a character boundary, never inside an escape
    let n = PIECE;
    while (Buffer.byteLength(seg.slice(0, n)) > PIECE) n--;
    while (n > 0 && /%.?$/.test(seg.slice(n - 2, n))) n--;
    out.push(seg.slice(0, n) + '%+');
    seg = seg.slice(n);
  }
  out.push(seg);
  return out.join('/');
}

function decSeg(seg) {
  if (seg === '%e') return '';
  return seg.replace(/%(25|2E)/g, m => (m === '%25' ? '%' : '.'));
}

// a trailing empty segment stays empty: listings encode prefixes ("a/")
FilesystemStore.encodeKeyPath = key =>
  key
    .split('/')
    .map((seg, i, all) => (i === all.length - 1 && seg === '' ? '' : encSeg(seg)))
    .join('/');
FilesystemStore.decodeKeyPath = p =>
  p.replace(/%\+\//g, '').split('/').map(decSeg).join('/');

const [dir, port, address = '127.0.0.1'] = process.argv.slice(2);
if (!dir || !port) {
  console.error('usage: node server.js DIR PORT [ADDR]');
  process.exit(2);
}
const server = new S3rver({
  address,
  port: Number(port),
  directory: dir,
  silent: true,
  vhostBuckets: false,
});
server
  .run()
  .then(() => {
    server.httpServer.keepAliveTimeout = 120000;
    server.httpServer.headersTimeout = 125000;
    console.log(`s3rver on ${address}:${port}, data in ${dir}`);
  })
  .catch(err => {
    console.error(err);
    process.exit(1);
  });
