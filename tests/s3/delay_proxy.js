// SPDX-License-Identifier: MIT
// A TCP proxy in front of an S3 server that models an S3 that is slow or
// gone, for the HSM tests (tests/integ/hsm_slow.sh):
//
//   node delay_proxy.js LISTEN_PORT UPSTREAM_PORT MODE_FILE
//
// MODE_FILE holds one number, read for every chunk that passes:
//   0    pass through
//   N>0  every chunk from the server reaches the client N ms late (an
//        answer that takes N ms longer; throughput is kept)
//   -1   black hole: what the clients send is dropped, nothing comes
//        back, until the client gives up (time-outs, not refusals)
// or "rate K": what the server sends reaches each client at K KiB/s at
// most (a slow link: an answer's bytes arrive over time)
// Both sides on 127.0.0.1.
'use strict';
const net = require('net');
const fs = require('fs');

const [listenPort, upPort, modeFile] = process.argv.slice(2);
if (!modeFile) {
  console.error('usage: node delay_proxy.js LISTEN_PORT UPSTREAM_PORT MODE_FILE');
  process.exit(2);
}

// { delay: ms } or { rate: bytes per ms }
function mode() {
  let s;
  try {
    s = fs.readFileSync(modeFile, 'utf8').trim();
  } catch (e) {
    return { delay: 0 };
  }
  const r = /^rate\s+(\d+)$/.exec(s);
  if (r && Number(r[1]) > 0)
    return { rate: Number(r[1]) * 1024 / 1000 };
  const v = parseInt(s, 10);
  return { delay: Number.isFinite(v) ? v : 0 };
}

const PIECE = 16384;

net.createServer((client) => {
  const up = net.connect(Number(upPort), '127.0.0.1');
  let last = 0;	// when the previous chunk to the client is sent
  const end = () => { client.destroy(); up.destroy(); };

  const send = (d, at) => {
    last = at;
    setTimeout(() => { if (!client.destroyed) client.write(d); },
               at - Date.now());
  };
  client.on('data', (d) => { if (!(mode().delay < 0)) up.write(d); });
  up.on('data', (d) => {
    const m = mode();
    if (m.rate) {
      // in order, PIECE bytes at a time, each after the time the
      // ones before took at that rate
      for (let o = 0; o < d.length; o += PIECE) {
        const p = d.subarray(o, o + PIECE);
        send(p, Math.max(last, Date.now()) + p.length / m.rate);
      }
      return;
    }
    if (m.delay < 0)
      return;
    // in order, each no earlier than m ms after it came
    send(d, Math.max(last, Date.now() + m.delay));
  });
  // the server closed: close the client once what is queued went out
  up.on('end', () => setTimeout(end, Math.max(0, last - Date.now()) + 10));
  client.on('close', end);
  client.on('error', end);
  up.on('error', end);
}).listen(Number(listenPort), '127.0.0.1');
