// SigV4 as S3 checks it, for the strict test front (server.js) and the
// test client (strict_test.js).  Node's crypto only.
//
// Canonicalisation (as user/lib/sigv4.c, which is unit-tested against
// AWS's published suite):
//   path    the raw path of the request line, not normalised; bytes
//           outside the unreserved set, '/' and "%XX" are encoded
//   query   each name and value percent-decoded, then URI-encoded
//           (A-Z a-z 0-9 - _ . ~ kept, upper-case hex; '+' is %2B),
//           sorted by name then value
//   headers names lower-cased, values trimmed and runs of spaces made
//           one, repeated headers joined with ','
'use strict';

const crypto = require('crypto');

const EMPTY_SHA = crypto.createHash('sha256').update('').digest('hex');

function unreserved(b) {
  return (
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e
  );
}

const ishex = b =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);

const pct = b => '%' + b.toString(16).toUpperCase().padStart(2, '0');

// bytes (a Buffer) URI-encoded; '/' kept if keepSlash
function uriEncode(buf, keepSlash) {
  let out = '';
  for (const b of buf) {
    if (unreserved(b) || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += pct(b);
  }
  return out;
}

// raw (a latin1 string of the request line's bytes) -> canonical path
function canonPath(raw) {
  const buf = Buffer.from(raw, 'latin1');
  if (!buf.length) return '/';
  let out = '';
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (
      unreserved(b) ||
      b === 0x2f ||
      (b === 0x25 && i + 2 < buf.length && ishex(buf[i + 1]) && ishex(buf[i + 2]))
    )
      out += String.fromCharCode(b);
    else out += pct(b);
  }
  return out;
}

function pctDecode(raw) {
  const buf = Buffer.from(raw, 'latin1');
  const out = [];
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x25 && i + 2 < buf.length && ishex(buf[i + 1]) && ishex(buf[i + 2])) {
      out.push(parseInt(String.fromCharCode(buf[i + 1], buf[i + 2]), 16));
      i += 2;
    } else {
      out.push(buf[i]);
    }
  }
  return Buffer.from(out);
}

// raw query (no '?') -> [[name, value] decoded as latin1 strings], in order
function parseQuery(raw) {
  const pairs = [];
  for (const part of (raw || '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const n = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([pctDecode(n), pctDecode(v)]);
  }
  return pairs;
}

// pairs of Buffers -> canonical query string
function canonQuery(pairs) {
  return pairs
    .map(([n, v]) => uriEncode(n, false) + '=' + uriEncode(v, false))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .join('&');
}

const canonValue = v => String(v).trim().replace(/[ \t]+/g, ' ');

// rawHeaders ([name, value, ...]) -> Map lower-case name -> [values]
function headerMap(rawHeaders) {
  const m = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const n = rawHeaders[i].toLowerCase();
    if (!m.has(n)) m.set(n, []);
    m.get(n).push(rawHeaders[i + 1]);
  }
  return m;
}

function canonicalRequest(method, path, queryPairs, hdrs, signed, payloadHash) {
  const lines = signed.map(n => n + ':' + (hdrs.get(n) || []).map(canonValue).join(','));
  return [
    method,
    canonPath(path),
    canonQuery(queryPairs),
    lines.join('\n') + '\n',
    signed.join(';'),
    payloadHash,
  ].join('\n');
}

const hmac = (key, s) => crypto.createHmac('sha256', key).update(s).digest();
const sha256hex = s => crypto.createHash('sha256').update(s).digest('hex');

function stringToSign(amzdate, scope, creq) {
  return ['AWS4-HMAC-SHA256', amzdate, scope, sha256hex(creq)].join('\n');
}

function signature(secret, date8, region, service, sts) {
  let k = hmac('AWS4' + secret, date8);
  k = hmac(k, region);
  k = hmac(k, service);
  k = hmac(k, 'aws4_request');
  return hmac(k, sts).toString('hex');
}

// "20150830T123600Z" -> ms since the epoch, NaN if not that form
function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function amzDate(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

module.exports = {
  EMPTY_SHA,
  uriEncode,
  canonPath,
  parseQuery,
  canonQuery,
  headerMap,
  canonicalRequest,
  stringToSign,
  signature,
  parseAmzDate,
  amzDate,
  sha256hex,
};
