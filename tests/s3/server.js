// Local S3 server for the HSM tests: a strict SigV4 front on one address
// (127.0.0.1 unless ADDR is given; the VM suites use the bridge address,
// which the OSTs' network namespaces can reach), before s3rver, which
// itself checks no signature and listens on 127.0.0.1 at a port of its
// own.
//
//   node --openssl-legacy-provider tests/s3/server.js DIR PORT [ADDR]
//        [--access-key K] [--secret-key S] [--session-token T] [--region R]
//        [--temp-creds FILE]
//
// PORT 0 is any free port; the line printed once listening names it.
// tests/s3/strict_test.js shows the front refuses what S3 refuses.
//
// Credentials: the options, else $TESS_S3_ACCESS_KEY, $TESS_S3_SECRET_KEY,
// $TESS_S3_SESSION_TOKEN, $TESS_S3_REGION, else S3RVER / S3RVER / no token
// / us-east-1 (what the tests give the OSTs, hsm, s3cmd and curl).
//
// Temporary credentials (issue #13): with --temp-creds FILE (or
// $TESS_S3_TEMP_CREDS), the JSON file that tests/s3/fake_creds.js writes
// (AKID -> secret, token, expires in ms) is read at each request; a key
// found there is accepted with its own secret and session token while
// Date.now() < expires, and answered 400 ExpiredToken after, as S3
// does.  Without the option nothing changes.
//
// The front checks every request as S3 does (header or query-string
// SigV4), and answers with S3's error XML otherwise:
//   - the canonical request from the raw request line (path as sent, not
//     normalised; query decoded, encoded and sorted) and the signed
//     headers, which must include host and every x-amz-* header sent:
//     403 SignatureDoesNotMatch (with the StringToSign and CanonicalRequest
//     the front computed), 403 AccessDenied for unsigned x-amz-* headers
//   - the access key: 403 InvalidAccessKeyId; the scope's date, region,
//     service and terminator: 400 AuthorizationHeaderMalformed
//   - x-amz-content-sha256 present and the body's SHA-256 unless
//     UNSIGNED-PAYLOAD: 400 InvalidRequest, 400 XAmzContentSHA256Mismatch
//     (a signed body is held in memory, up to 1 GiB, until its hash is
//     checked: s3rver would store it, in place, once received whole)
//   - x-amz-security-token equal to the session token when one is
//     configured, absent otherwise: 400 InvalidToken (403
//     InvalidAccessKeyId when missing)
//   - x-amz-date (or Date) within 15 minutes of the clock: 403
//     RequestTimeTooSkewed; presigned URLs also by X-Amz-Expires: 403
//     AccessDenied "Request has expired"
//   - no signature at all: 403 AccessDenied; SigV2: 400 InvalidRequest;
//     aws-chunked (STREAMING-*) bodies: 501 NotImplemented
// Each refusal is logged on stderr.
//
// Conditional writes (s3rver ignores If-Match and If-None-Match on PUT
// and CompleteMultipartUpload; S3 honours both): for a PUT of an object
// (not of a part) or a POST ?uploadId with If-Match or If-None-Match,
// the front HEADs the object from s3rver first and answers as S3 does:
// 412 PreconditionFailed if the ETag differs from If-Match or an object
// exists under If-None-Match: *, 404 NoSuchKey for If-Match on no
// object.  (Checked, then written: not atomic, as S3 is; enough for
// tests that change the object before, not during, a write.)
//
// Fault injection for the tests, each at most once per run:
//   S3_FAULT_503_ONCE=REGEX   the first signed request whose
//       "METHOD URL" matches gets 503 SlowDown (the body read, nothing
//       stored)
//   S3_FAULT_DROP_ONCE=REGEX  the first such request is done by s3rver
//       but its reply is never sent: the connection is closed (a reply
//       lost on the way back)
//   S3_FAULT_200ERR_ONCE=REGEX  the first such request gets "200 OK"
//       with an <Error> InternalError body, as S3 may answer a
//       CompleteMultipartUpload (nothing done)
//   S3_FAULT_NORANGE_ONCE=REGEX  the first such request is passed on
//       without its Range: a server that ignores Range answers 200 with
//       the whole object
//
// Addressing (issue #13): a request whose Host is BUCKET.localhost[:PORT]
// (or BUCKET.$S3_VHOST_BASE) is virtual-hosted: the bucket is taken from
// the Host, the signature checked over the path as sent (/KEY), and
// s3rver (path-style only) is asked for /BUCKET/KEY.  Any other Host is
// path-style: /BUCKET/KEY.
//
// Buckets in other regions: S3_BUCKET_REGION=BUCKET=REGION[:301][,...]
// puts BUCKET in REGION; a request signed for another region is refused
// as S3 refuses it, 400 AuthorizationHeaderMalformed with <Region> (or,
// with ":301", 301 PermanentRedirect, as a regional endpoint answers for
// a bucket elsewhere), both with the header x-amz-bucket-region.  The
// request signed for REGION works.
//
// With S3_LOG_REQUESTS=1 each request that passes the checks is logged on
// stderr: "strict front: ok METHOD HOST URL (region R)".
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

const crypto = require('crypto');
const http = require('http');
const S3rver = require('s3rver');
const sv = require('./sigv4');
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


// ---- arguments ----

const pos = [];
const opt = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const m = /^--(access-key|secret-key|session-token|region|temp-creds)(?:=(.*))?$/.exec(a);
  if (m) opt[m[1]] = m[2] !== undefined ? m[2] : process.argv[++i];
  else pos.push(a);
}
const [dir, port, address = '127.0.0.1'] = pos;
if (!dir || !port) {
  console.error(
    'usage: node server.js DIR PORT [ADDR] [--access-key K] [--secret-key S] ' +
      '[--session-token T] [--region R]'
  );
  process.exit(2);
}
const env = process.env;
const cred = {
  accessKey: opt['access-key'] || env.TESS_S3_ACCESS_KEY || 'S3RVER',
  secretKey: opt['secret-key'] || env.TESS_S3_SECRET_KEY || 'S3RVER',
  token: opt['session-token'] || env.TESS_S3_SESSION_TOKEN || '',
  region: opt.region || env.TESS_S3_REGION || 'us-east-1',
};
const tempCredsFile = opt['temp-creds'] || env.TESS_S3_TEMP_CREDS || '';
const tempSeen = new Set();

// the temporary credentials of akid (tests/s3/fake_creds.js), or null
function tempCred(akid) {
  if (!tempCredsFile) return null;
  let all;
  try {
    all = JSON.parse(require('fs').readFileSync(tempCredsFile, 'utf8'));
  } catch (e) {
    return null;
  }
  const t = Object.prototype.hasOwnProperty.call(all, akid) ? all[akid] : null;
  return t && typeof t.secret === 'string' && typeof t.token === 'string' ? t : null;
}
const MAX_SKEW_MS = 15 * 60 * 1000;
// the largest signed payload held in memory until its hash is checked
const MAX_HELD = 1 << 30;

// ---- S3's error replies ----

const xmlEsc = s =>
  String(s).replace(/[<>&'"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);

class S3Error extends Error {
  constructor(status, code, message, extra = {}, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}

function sendError(req, res, e) {
  const id = crypto.randomBytes(8).toString('hex').toUpperCase();
  let body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + e.code + '</Code><Message>' + xmlEsc(e.message) + '</Message>';
  for (const [k, v] of Object.entries(e.extra)) body += `<${k}>${xmlEsc(v)}</${k}>`;
  body += `<RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`;
  console.error(`strict front: ${req.method} ${req.url} -> ${e.status} ${e.code}: ${e.message}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(e.status, {
    ...e.headers,
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
    'x-amz-request-id': id,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const malformed = msg => new S3Error(400, 'AuthorizationHeaderMalformed', msg);

// ---- addressing, and the buckets of other regions ----

const vhostBase = (env.S3_VHOST_BASE || 'localhost').toLowerCase();
const bucketRegion = new Map();
for (const item of (env.S3_BUCKET_REGION || '').split(',').filter(Boolean)) {
  const m = /^([^=]+)=([a-z0-9-]+)(?::(301|400))?$/.exec(item);
  if (!m) {
    console.error(`S3_BUCKET_REGION: '${item}' is not BUCKET=REGION[:301]`);
    process.exit(2);
  }
  bucketRegion.set(m[1], { region: m[2], status: m[3] === '301' ? 301 : 400 });
}

// -> { bucket, vhost, path }: path is the path-style one s3rver is asked
function addressOf(req) {
  const host = String(req.headers.host || '').toLowerCase().replace(/:\d+$/, '');
  if (host.endsWith('.' + vhostBase) && host.length > vhostBase.length + 1) {
    const bucket = host.slice(0, -vhostBase.length - 1);
    return { bucket, vhost: true, path: '/' + bucket + req.url };
  }
  const m = /^\/([^/?]*)/.exec(req.url);
  let bucket = m ? m[1] : '';
  try {
    bucket = decodeURIComponent(bucket);
  } catch (e) {
    /* left as sent */
  }
  return { bucket, vhost: false, path: req.url };
}

// ---- the check of one request (all but the payload) ----

// -> { payloadHash } to check against the body, or throws an S3Error
function verify(req) {
  const raw = req.url;
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  let pairs = sv.parseQuery(qi < 0 ? '' : raw.slice(qi + 1));
  const hdrs = sv.headerMap(req.rawHeaders);
  const one = n => (hdrs.has(n) ? hdrs.get(n).join(',') : undefined);
  const q = n => {
    const p = pairs.find(([k]) => k.toString('latin1') === n);
    return p ? p[1].toString('latin1') : undefined;
  };
  const auth = one('authorization');
  const presigned = q('X-Amz-Algorithm') !== undefined || q('X-Amz-Signature') !== undefined;
  let credential, signedList, sigGiven, amzdate, payloadHash, token;

  if (auth !== undefined && presigned)
    throw new S3Error(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
  if (auth !== undefined) {
    if (/^AWS /.test(auth))
      throw new S3Error(400, 'InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
    const m = /^AWS4-HMAC-SHA256 +(.*)$/.exec(auth);
    if (!m) throw malformed('The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.');
    const f = {};
    for (const part of m[1].split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) f[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    if (!f.Credential || !f.SignedHeaders || !f.Signature)
      throw malformed('The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.');
    credential = f.Credential;
    signedList = f.SignedHeaders;
    sigGiven = f.Signature;
    amzdate = one('x-amz-date');
    payloadHash = one('x-amz-content-sha256');
    token = one('x-amz-security-token');
    if (payloadHash === undefined)
      throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    if (!/^([0-9a-f]{64}|UNSIGNED-PAYLOAD)$/.test(payloadHash)) {
      if (/^STREAMING-/.test(payloadHash))
        throw new S3Error(501, 'NotImplemented', 'aws-chunked uploads are not implemented by this test server');
      throw new S3Error(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.', { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash });
    }
  } else if (presigned) {
    if (q('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    credential = q('X-Amz-Credential');
    signedList = q('X-Amz-SignedHeaders');
    sigGiven = q('X-Amz-Signature');
    amzdate = q('X-Amz-Date');
    token = q('X-Amz-Security-Token');
    const expires = q('X-Amz-Expires');
    if (!credential || !signedList || !sigGiven || !amzdate || !/^\d+$/.test(expires || ''))
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
    if (+expires > 604800)
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is; the maximum expires is 604800 seconds');
    const t = sv.parseAmzDate(amzdate);
    if (!Number.isNaN(t) && Date.now() > t + expires * 1000)
      throw new S3Error(403, 'AccessDenied', 'Request has expired', { 'X-Amz-Expires': expires, Expires: new Date(t + expires * 1000).toISOString(), ServerTime: new Date().toISOString() });
    payloadHash = one('x-amz-content-sha256') || 'UNSIGNED-PAYLOAD';
    // the signature is over every parameter but itself
    pairs = pairs.filter(([k]) => k.toString('latin1') !== 'X-Amz-Signature');
  } else {
    throw new S3Error(403, 'AccessDenied', 'Access Denied');
  }

  // Credential=AKID/DATE/REGION/SERVICE/aws4_request
  const c = credential.split('/');
  if (c.length !== 5)
    throw malformed(`The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  const [akid, date8, region, service, term] = c;
  const temp = akid !== cred.accessKey ? tempCred(akid) : null;
  const secretKey = temp ? temp.secret : cred.secretKey;
  const wantToken = temp ? temp.token : cred.token;
  if (akid !== cred.accessKey && !temp)
    throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: akid });

  // the request's time
  let t;
  if (amzdate !== undefined) {
    t = sv.parseAmzDate(amzdate);
  } else {
    t = Date.parse(one('date') || '');
    amzdate = Number.isNaN(t) ? undefined : sv.amzDate(t);
  }
  if (amzdate === undefined || Number.isNaN(t))
    throw new S3Error(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (!presigned && Math.abs(Date.now() - t) > MAX_SKEW_MS)
    throw new S3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: amzdate,
      ServerTime: new Date().toISOString(),
      MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
    });
  if (date8 !== amzdate.slice(0, 8))
    throw malformed(`The authorization header is malformed; Invalid credential date "${date8}". This date is not the same as X-Amz-Date: "${amzdate.slice(0, 8)}".`);
  const far = bucketRegion.get(req.s3addr.bucket);
  const wantRegion = far ? far.region : cred.region;
  if (region !== wantRegion && far && far.status === 301)
    throw new S3Error(301, 'PermanentRedirect', 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.', { Bucket: req.s3addr.bucket, Endpoint: `s3.${wantRegion}.amazonaws.com` }, { 'x-amz-bucket-region': wantRegion });
  if (region !== wantRegion)
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${region}' is wrong; expecting '${wantRegion}'`, { Region: wantRegion }, far ? { 'x-amz-bucket-region': wantRegion } : {});
  if (service !== 's3')
    throw malformed(`The authorization header is malformed; incorrect service "${service}". This endpoint belongs to "s3".`);
  if (term !== 'aws4_request')
    throw malformed(`The authorization header is malformed; incorrect terminal "${term}". This endpoint uses "aws4_request".`);

  // the session token
  if (wantToken && token === undefined)
    throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: akid });
  if (token !== undefined && token !== wantToken)
    throw new S3Error(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.', { Token: token });
  if (temp && Date.now() >= temp.expires)
    throw new S3Error(400, 'ExpiredToken', 'The provided token has expired.', { 'Token-0': token });
  if (temp && !tempSeen.has(akid)) {
    tempSeen.add(akid);
    console.error(`strict front: temporary key ${akid} (${temp.source}) used, valid until ${new Date(temp.expires).toISOString()}`);
  }

  // signed headers: sorted, lower case, host and every x-amz-* among them
  const signed = signedList.split(';');
  if (signed.some((n, i) => !n || n !== n.toLowerCase() || (i && signed[i - 1] >= n)))
    throw malformed('The authorization header is malformed; SignedHeaders must be lower case, sorted and without repeats.');
  if (!signed.includes('host'))
    throw new S3Error(403, 'AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: 'host' });
  const unsigned = [...hdrs.keys()].filter(
    n => n.startsWith('x-amz-') && !signed.includes(n) && !(presigned && n === 'x-amz-content-sha256')
  );
  if (!presigned && unsigned.length)
    throw new S3Error(403, 'AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  for (const n of signed)
    if (!hdrs.has(n)) throw new S3Error(403, 'SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided: signed header ${n} is not in the request.`);

  const creq = sv.canonicalRequest(req.method, path, pairs, hdrs, signed, payloadHash);
  const scope = [date8, region, service, term].join('/');
  const sts = sv.stringToSign(amzdate, scope, creq);
  const want = sv.signature(secretKey, date8, region, service, sts);
  const a = Buffer.from(want);
  const b = Buffer.from(String(sigGiven));
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b))
    throw new S3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: akid,
      StringToSign: sts,
      SignatureProvided: sigGiven,
      CanonicalRequest: creq,
    });
  return { payloadHash, tempAkid: temp ? akid : null };
}

// ---- conditional writes ----

const isCondWrite = req =>
  (req.headers['if-match'] !== undefined || req.headers['if-none-match'] !== undefined) &&
  ((req.method === 'PUT' && !/[?&]partNumber=/.test(req.url)) ||
    (req.method === 'POST' && /[?&]uploadId=/.test(req.url)));

const unquote = e => String(e).trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');

// -> an S3Error if the precondition fails, else null (promise)
function precondition(req, upPort, agent) {
  const qi = req.s3addr.path.indexOf('?');
  const path = qi < 0 ? req.s3addr.path : req.s3addr.path.slice(0, qi);
  const ifMatch = req.headers['if-match'];
  const ifNone = req.headers['if-none-match'];
  return new Promise(resolve => {
    const h = http.request({ host: '127.0.0.1', port: upPort, method: 'HEAD', path, agent });
    h.on('response', r => {
      r.resume();
      const exists = r.statusCode === 200;
      const etag = exists ? unquote(r.headers.etag || '') : null;
      if (ifMatch !== undefined) {
        const want = ifMatch.split(',').map(unquote);
        if (!exists) return resolve(new S3Error(404, 'NoSuchKey', 'The specified key does not exist.'));
        if (!want.includes('*') && !want.includes(etag))
          return resolve(new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' }));
      }
      if (ifNone !== undefined && exists && unquote(ifNone) === '*')
        return resolve(new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' }));
      resolve(null);
    });
    h.on('error', err => resolve(new S3Error(500, 'InternalError', `s3rver: ${err.message}`)));
    h.end();
  });
}

// ---- fault injection ----

const faults = {};
for (const [name, v] of [
  ['503', env.S3_FAULT_503_ONCE],
  ['drop', env.S3_FAULT_DROP_ONCE],
  ['200err', env.S3_FAULT_200ERR_ONCE],
  ['norange', env.S3_FAULT_NORANGE_ONCE],
])
  if (v) faults[name] = new RegExp(v);

// the fault this request gets, if any (each fires once)
function fault(req) {
  for (const [name, re] of Object.entries(faults)) {
    if (re.test(`${req.method} ${req.s3addr.path}`)) {
      delete faults[name];
      console.error(`strict front: fault ${name} injected on ${req.method} ${req.s3addr.path}`);
      return name;
    }
  }
  return null;
}

// ---- s3rver behind, on 127.0.0.1 at a port of its own ----

const s3 = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  vhostBuckets: false,
});
const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

// read (and drop) the body, then answer, so keep-alive goes on
function refuse(req, res, e) {
  req.resume();
  req.on('end', () => sendError(req, res, e));
  req.on('error', () => res.destroy());
}

function proxy(req, res, upPort) {
  let checked;
  req.s3addr = addressOf(req);
  try {
    checked = verify(req);
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    refuse(req, res, e);
    return;
  }
  if (env.S3_LOG_REQUESTS === '1')
    console.error(`strict front: ok ${req.method} ${req.headers.host} ${req.url} (bucket ${req.s3addr.bucket})`);
  const f = fault(req);
  if (f === '503') {
    refuse(req, res, new S3Error(503, 'SlowDown', 'Please reduce your request rate.'));
    return;
  }
  if (f === '200err') {
    req.resume();
    req.on('end', () => {
      const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>FAULT</RequestId><HostId>FAULT</HostId></Error>';
      console.error(`strict front: ${req.method} ${req.url} -> 200 with an InternalError body`);
      res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  if (!isCondWrite(req)) {
    forward(req, res, upPort, checked, f);
    return;
  }
  req.pause();
  precondition(req, upPort, upstreamAgent).then(e => {
    if (e) refuse(req, res, e);
    else forward(req, res, upPort, checked, f);
  });
}

function forward(req, res, upPort, checked, f) {
  const headers = { ...req.headers };
  delete headers.expect;
  if (f === 'norange') delete headers.range;
  // s3rver is path-style only, and told so by the Host
  if (req.s3addr.vhost) headers.host = `127.0.0.1:${upPort}`;
  // s3rver knows only its own key: a temporary one, checked here, is
  // passed on as that key
  if (checked.tempAkid && headers.authorization) {
    headers.authorization = headers.authorization.replace(`Credential=${checked.tempAkid}/`, `Credential=${cred.accessKey}/`);
    delete headers['x-amz-security-token'];
  }
  const up = http.request({
    host: '127.0.0.1',
    port: upPort,
    method: req.method,
    path: req.s3addr.path,
    headers,
    agent: upstreamAgent,
  });
  let refused = false;
  up.on('response', ur => {
    if (refused) return ur.resume();
    if (f === 'drop') {
      // s3rver did it; the client never hears
      ur.resume();
      ur.on('end', () => res.destroy());
      return;
    }
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on('error', err => {
    if (refused) return;
    if (!res.headersSent) sendError(req, res, new S3Error(500, 'InternalError', `s3rver: ${err.message}`));
    else res.destroy();
  });
  // A signed payload is kept here until its hash is checked: s3rver
  // writes an object in place, and a body it received whole (the
  // Content-Length reached) would be stored even if the request were
  // aborted after.  UNSIGNED-PAYLOAD streams through.
  const hash = crypto.createHash('sha256');
  const held = [];
  let heldLen = 0;
  const streaming = checked.payloadHash === 'UNSIGNED-PAYLOAD';
  req.on('data', chunk => {
    hash.update(chunk);
    if (streaming) {
      up.write(chunk);
      return;
    }
    held.push(chunk);
    heldLen += chunk.length;
    if (heldLen > MAX_HELD && !refused) {
      refused = true;
      up.destroy();
      sendError(req, res, new S3Error(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of this test server for a signed payload (${MAX_HELD} bytes)`));
    }
  });
  req.on('end', () => {
    const got = hash.digest('hex');
    if (refused) return;
    if (!streaming && got !== checked.payloadHash) {
      refused = true;
      up.destroy();
      sendError(req, res, new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: checked.payloadHash,
        S3ComputedContentSHA256: got,
      }));
      return;
    }
    for (const c of held) up.write(c);
    held.length = 0;
    up.end();
  });
  req.on('error', () => up.destroy());
  // (paused for a precondition's HEAD)
  req.resume();
}

s3.run()
  .then(upAddr => {
    const front = http.createServer((req, res) => proxy(req, res, upAddr.port));
    front.keepAliveTimeout = 120000;
    front.headersTimeout = 125000;
    s3.httpServer.keepAliveTimeout = 120000;
    s3.httpServer.headersTimeout = 125000;
    front.on('error', err => {
      console.error(err);
      process.exit(1);
    });
    front.listen(Number(port), address, () => {
      // the port actually bound (PORT 0: any free one)
      console.log(
        `s3rver behind a strict SigV4 front on ${address}:${front.address().port} (key ${cred.accessKey}, region ${cred.region}` +
          `${cred.token ? ', session token' : ''}), data in ${dir}`
      );
    });
  })
  .catch(err => {
    console.error(err);
    process.exit(1);
  });
