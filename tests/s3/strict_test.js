// The strict SigV4 front (server.js) refuses what S3 refuses.
//
//   node tests/s3/strict_test.js ENDPOINT BUCKET [NAME]
//
// ENDPOINT is a running server.js with the default credentials (S3RVER,
// S3RVER, us-east-1, no token) and BUCKET one of its buckets.  A second
// server.js with a session token is started here on a free port.  Each
// case prints "PASS: NAME.CASE" or "FAIL: NAME.CASE: why" (NAME defaults
// to "integ: s3strict").  Requests are signed here (sigv4.js) and then
// spoilt one way each: the well-signed request of the first case shows
// that a refusal is the spoiling's doing.  (Well-signed requests of
// other signers, curl --aws-sigv4, s3cmd and the HSM's own, are the
// HSM tests themselves.)
'use strict';

const http = require('http');
const os = require('os');
const path = require('path');
const fs = require('fs');
const { spawn } = require('child_process');
const sv = require('./sigv4');

const [endpoint, bucket, name = 'integ: s3strict'] = process.argv.slice(2);
if (!endpoint || !bucket) {
  console.error('usage: node strict_test.js ENDPOINT BUCKET [NAME]');
  process.exit(2);
}
const GOOD = { accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' };
let failed = 0;

// sign and send; o: method, ep, path, query, body, cred, date (ms),
// headers, payloadHash, token, tamper(req) to spoil the request after
// signing.  -> { status, code, body }
function send(o) {
  return new Promise(resolve => {
    const c = { ...GOOD, ...(o.cred || {}) };
    const u = new URL(o.ep || endpoint);
    const body = Buffer.from(o.body || '');
    const amzdate = sv.amzDate(o.date || Date.now());
    const r = {
      method: o.method || 'GET',
      path: o.path || `/${bucket}/`,
      query: o.query || '',
      headers: {
        host: u.host,
        'x-amz-date': amzdate,
        'x-amz-content-sha256': o.payloadHash || sv.sha256hex(body),
        ...(o.token ? { 'x-amz-security-token': o.token } : {}),
        ...(o.headers || {}),
      },
    };
    const signed = Object.keys(r.headers).sort();
    const hmap = new Map(signed.map(n => [n, [r.headers[n]]]));
    const creq = sv.canonicalRequest(r.method, r.path, sv.parseQuery(r.query), hmap, signed,
      r.headers['x-amz-content-sha256']);
    const scope = `${amzdate.slice(0, 8)}/${c.region}/s3/aws4_request`;
    const sig = sv.signature(c.secretKey, amzdate.slice(0, 8), c.region, 's3',
      sv.stringToSign(amzdate, scope, creq));
    r.headers.authorization = `AWS4-HMAC-SHA256 Credential=${c.accessKey}/${scope}, ` +
      `SignedHeaders=${signed.join(';')}, Signature=${sig}`;
    if (o.tamper) o.tamper(r);
    if (o.noAuth) delete r.headers.authorization;
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method: r.method,
      path: r.path + (r.query ? '?' + r.query : ''),
      headers: { ...r.headers, 'content-length': body.length },
    }, res => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', d => (data += d));
      res.on('end', () => {
        const m = /<Code>([^<]*)<\/Code>/.exec(data);
        resolve({ status: res.statusCode, code: m ? m[1] : '', body: data });
      });
    });
    req.on('error', err => resolve({ status: 0, code: err.message, body: '' }));
    req.end(body);
  });
}

async function expect(cas, o, status, code) {
  const r = await send(o);
  const ok = typeof status === 'function' ? status(r) : r.status === status && r.code === code;
  if (ok) {
    console.log(`PASS: ${name}.${cas}`);
  } else {
    failed++;
    console.log(`FAIL: ${name}.${cas}: got ${r.status} ${r.code}, expected ` +
      (typeof status === 'function' ? 'success' : `${status} ${code}`));
  }
  return r;
}

const good = r => r.status >= 200 && r.status < 300;

// server.js with a session token, on a free port; -> { ep, proc }
function startTokenServer(token) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3strict-'));
  const proc = spawn(process.execPath, ['--openssl-legacy-provider', path.join(__dirname, 'server.js'),
    dir, '0', '127.0.0.1', '--session-token', token], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('token server: no start in 20 s')), 20000);
    proc.stdout.on('data', d => {
      out += d;
      const m = / on 127\.0\.0\.1:(\d+) /.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ ep: `http://127.0.0.1:${m[1]}`, proc, dir });
      }
    });
    proc.on('exit', () => reject(new Error('token server exited')));
  });
}

async function main() {
  const key = `/${bucket}/strict%20test%2Bkey~%3D%26%C3%BC`;

  await expect('well_signed_put', { method: 'PUT', path: key, body: 'strict\n' }, good);
  await expect('well_signed_get', { path: key }, good);
  await expect('well_signed_list_query', { query: 'list-type=2&prefix=strict%20test%2B' }, good);
  await expect('wrong_secret', { cred: { secretKey: 'S3RVER-not' } }, 403, 'SignatureDoesNotMatch');
  await expect('wrong_access_key', { cred: { accessKey: 'AKIDNOTKNOWN' } }, 403, 'InvalidAccessKeyId');
  await expect('wrong_region', { cred: { region: 'eu-west-1' } }, 400, 'AuthorizationHeaderMalformed');
  await expect('tampered_query', {
    query: 'list-type=2&prefix=a',
    tamper: r => (r.query = 'list-type=2&prefix=b'),
  }, 403, 'SignatureDoesNotMatch');
  await expect('tampered_query_plus_as_space', {
    query: 'list-type=2&prefix=a%2Bb',
    tamper: r => (r.query = 'list-type=2&prefix=a%20b'),
  }, 403, 'SignatureDoesNotMatch');
  await expect('tampered_path', {
    path: key,
    tamper: r => (r.path = key.replace('%2B', '%20')),
  }, 403, 'SignatureDoesNotMatch');
  await expect('tampered_range_header', {
    path: key,
    headers: { range: 'bytes=0-1' },
    tamper: r => (r.headers.range = 'bytes=0-2'),
  }, 403, 'SignatureDoesNotMatch');
  await expect('stale_date_20min', { date: Date.now() - 20 * 60 * 1000 }, 403, 'RequestTimeTooSkewed');
  await expect('future_date_20min', { date: Date.now() + 20 * 60 * 1000 }, 403, 'RequestTimeTooSkewed');
  await expect('date_10min_ok', { date: Date.now() - 10 * 60 * 1000 }, good);
  await expect('unsigned_amz_header', {
    tamper: r => (r.headers['x-amz-meta-extra'] = '1'),
  }, 403, 'AccessDenied');
  await expect('no_content_sha256', {
    tamper: r => delete r.headers['x-amz-content-sha256'],
  }, 400, 'InvalidRequest');
  await expect('no_signature', { noAuth: true }, 403, 'AccessDenied');
  await expect('sigv2', {
    tamper: r => (r.headers.authorization = 'AWS S3RVER:c2lnbmF0dXJl'),
  }, 400, 'InvalidRequest');
  const badKey = `/${bucket}/strict-bad-payload-${process.pid}-${Date.now()}`;
  await expect('payload_hash_mismatch', {
    method: 'PUT', path: badKey, body: 'the body sent\n',
    payloadHash: sv.sha256hex('the body signed\n'),
  }, 400, 'XAmzContentSHA256Mismatch');
  await expect('payload_hash_mismatch_not_stored', { method: 'HEAD', path: badKey }, 404, '');
  await expect('payload_hash_mismatch_over_object', {
    method: 'PUT', path: key, body: 'overwritten\n', payloadHash: sv.sha256hex('strict\n'),
  }, 400, 'XAmzContentSHA256Mismatch');
  await expect('payload_hash_mismatch_object_kept', { path: key },
    r => r.status === 200 && r.body === 'strict\n');
  await expect('unsigned_payload_put', {
    method: 'PUT', path: badKey + '-unsigned', body: 'any body\n', payloadHash: 'UNSIGNED-PAYLOAD',
  }, good);
  await expect('token_to_tokenless_key', { token: 'some-token' }, 400, 'InvalidToken');

  const token = 'FwoGZXIvYXdzEXAMPLE+/token=';
  let ts;
  try {
    ts = await startTokenServer(token);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${name}.token_server: ${e.message}`);
    return;
  }
  try {
    await expect('token_good', { ep: ts.ep, path: '/', token }, good);
    await expect('token_missing', { ep: ts.ep, path: '/' }, 403, 'InvalidAccessKeyId');
    await expect('token_wrong', { ep: ts.ep, path: '/', token: token + 'x' }, 400, 'InvalidToken');
    await expect('token_unsigned', {
      ep: ts.ep, path: '/', tamper: r => (r.headers['x-amz-security-token'] = token),
    }, 403, 'AccessDenied');
  } finally {
    ts.proc.kill();
    fs.rmSync(ts.dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(failed ? 1 : 0),
  err => {
    console.log(`FAIL: ${name}.run: ${err.stack}`);
    process.exit(1);
  }
);
