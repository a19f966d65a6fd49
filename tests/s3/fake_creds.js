// Fake AWS credential endpoints for the credentials test (issue #13,
// tests/integ/creds.sh), on one loopback port:
//
//   node tests/s3/fake_creds.js PORT STATE [--ttl S] [--lie S]
//        [--auth TOKEN] [--web-token TOKEN] [--role-arn ARN] [--dead N]
//
//   IMDSv2     PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds
//              required), then with X-aws-ec2-metadata-token:
//              GET /latest/meta-data/iam/security-credentials/ -> the role,
//              GET /latest/meta-data/iam/security-credentials/ROLE -> JSON
//   container  GET /creds (any path under it), Authorization must equal
//              --auth when given -> JSON (AccessKeyId, SecretAccessKey,
//              Token, Expiration)
//   STS        POST /sts/ Action=AssumeRoleWithWebIdentity, WebIdentityToken
//              must equal --web-token, RoleArn --role-arn (when given)
//              -> AssumeRoleWithWebIdentityResponse XML; else an
//              ErrorResponse (InvalidIdentityToken, AccessDenied)
//
// Every answer issues new temporary credentials valid for --ttl seconds
// (default 6) and records them in the JSON file STATE (AKID -> secret,
// token, expires in ms, source), which the strict S3 front
// (server.js --temp-creds STATE) reads: it accepts them while valid
// and answers 400 ExpiredToken after.  --lie S: the Expiration told to
// the client is S seconds away, although the front still refuses them
// after --ttl (revoked sessions, a clock ahead: the client must refresh
// on ExpiredToken).  --dead N: the first N issued are dead on arrival
// (already past their validity for the front, whatever they tell).
// Each issue is logged on stdout as
//   "fake_creds: issued AKID via SOURCE, valid TTL s, told EXPIRATION".
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const pos = [];
const opt = { ttl: '6', lie: '', auth: '', 'web-token': '', 'role-arn': '', dead: '0' };
for (let i = 2; i < process.argv.length; i++) {
  const m = /^--(ttl|lie|auth|web-token|role-arn|dead)(?:=(.*))?$/.exec(process.argv[i]);
  if (m) opt[m[1]] = m[2] !== undefined ? m[2] : process.argv[++i];
  else pos.push(process.argv[i]);
}
const [port, state] = pos;
if (!port || !state) {
  console.error('usage: node fake_creds.js PORT STATE [--ttl S] [--lie S] [--auth T] [--web-token T] [--role-arn ARN]');
  process.exit(2);
}
const ttl = +opt.ttl;
const ROLE = 'tessera-test-role';
const imdsTokens = new Set();
let dead = +opt.dead;

function load() {
  try {
    return JSON.parse(fs.readFileSync(state, 'utf8'));
  } catch (e) {
    return {};
  }
}

// new credentials, recorded (atomically) for the front
function issue(source) {
  // whole seconds: the Expiration told is exact
  const now = Math.floor(Date.now() / 1000) * 1000;
  const c = {
    akid: 'ASIA' + crypto.randomBytes(8).toString('hex').toUpperCase(),
    secret: crypto.randomBytes(20).toString('base64'),
    token: 'FQoG' + crypto.randomBytes(96).toString('base64'),
    expires: now + ttl * 1000,
    source,
  };
  const told = opt.lie ? now + +opt.lie * 1000 : c.expires;
  let valid = `valid ${ttl} s`;
  if (dead > 0) {
    dead--;
    c.expires = now - 1000;
    valid = 'dead on arrival';
  }
  c.expiration = new Date(told).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const all = load();
  all[c.akid] = { secret: c.secret, token: c.token, expires: c.expires, source };
  fs.writeFileSync(state + '.tmp', JSON.stringify(all));
  fs.renameSync(state + '.tmp', state);
  console.log(`fake_creds: issued ${c.akid} via ${source}, ${valid}, told ${c.expiration}`);
  return c;
}

const json = c =>
  JSON.stringify({
    Code: 'Success',
    LastUpdated: new Date().toISOString(),
    Type: 'AWS-HMAC',
    AccessKeyId: c.akid,
    SecretAccessKey: c.secret,
    Token: c.token,
    Expiration: c.expiration,
  });

const xmlEsc = s => String(s).replace(/[<>&]/g, ch => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[ch]);

function stsError(res, status, code, msg) {
  res.writeHead(status, { 'Content-Type': 'text/xml' });
  res.end(
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
      `<Code>${code}</Code><Message>${xmlEsc(msg)}</Message></Error><RequestId>x</RequestId></ErrorResponse>`
  );
  console.log(`fake_creds: STS refused: ${code}: ${msg}`);
}

function send(res, status, body, type = 'text/plain') {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', d => {
    body += d;
    if (body.length > 1 << 20) req.destroy();
  });
  req.on('end', () => {
    const url = req.url;
    // IMDSv2
    if (url === '/latest/api/token') {
      if (req.method !== 'PUT') return send(res, 405, 'method not allowed');
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return send(res, 400, 'missing ttl');
      const t = crypto.randomBytes(24).toString('base64');
      imdsTokens.add(t);
      return send(res, 200, t);
    }
    if (url.startsWith('/latest/meta-data/')) {
      if (!imdsTokens.has(req.headers['x-aws-ec2-metadata-token'] || '')) return send(res, 401, 'unauthorized');
      if (url === '/latest/meta-data/iam/security-credentials/') return send(res, 200, ROLE);
      if (url === '/latest/meta-data/iam/security-credentials/' + ROLE)
        return send(res, 200, json(issue('imds')), 'application/json');
      return send(res, 404, 'not found');
    }
    // container credentials
    if (url.startsWith('/creds')) {
      if (opt.auth && req.headers.authorization !== opt.auth) {
        console.log(`fake_creds: container refused: Authorization '${req.headers.authorization}'`);
        return send(res, 403, '{"message":"bad authorization token"}', 'application/json');
      }
      return send(res, 200, json(issue('container')), 'application/json');
    }
    // STS
    if (url.startsWith('/sts')) {
      if (req.method !== 'POST') return stsError(res, 400, 'InvalidAction', 'POST expected');
      const p = new URLSearchParams(body);
      if (p.get('Action') !== 'AssumeRoleWithWebIdentity' || p.get('Version') !== '2011-06-15')
        return stsError(res, 400, 'InvalidAction', `Action ${p.get('Action')}`);
      if (!p.get('RoleSessionName')) return stsError(res, 400, 'ValidationError', 'no RoleSessionName');
      if (opt['web-token'] && p.get('WebIdentityToken') !== opt['web-token'])
        return stsError(res, 400, 'InvalidIdentityToken', 'The web identity token is not valid');
      if (opt['role-arn'] && p.get('RoleArn') !== opt['role-arn'])
        return stsError(res, 403, 'AccessDenied', `Not authorized to perform sts:AssumeRoleWithWebIdentity on ${p.get('RoleArn')}`);
      const c = issue('sts');
      return send(
        res,
        200,
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
          '<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>tess</SubjectFromWebIdentityToken>' +
          `<AssumedRoleUser><Arn>${xmlEsc(p.get('RoleArn'))}/${xmlEsc(p.get('RoleSessionName'))}</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>` +
          `<Credentials><SessionToken>${xmlEsc(c.token)}</SessionToken><SecretAccessKey>${xmlEsc(c.secret)}</SecretAccessKey>` +
          `<Expiration>${c.expiration}</Expiration><AccessKeyId>${c.akid}</AccessKeyId></Credentials>` +
          '<Audience>sts.amazonaws.com</Audience></AssumeRoleWithWebIdentityResult>' +
          '<ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>',
        'text/xml'
      );
    }
    send(res, 404, 'not found');
  });
});
server.listen(+port, '127.0.0.1', () => console.log(`fake_creds: listening on 127.0.0.1:${server.address().port}`));
