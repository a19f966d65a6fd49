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
// Both sides on 127.0.0.1.
'use strict';
const net = require('net');
const fs = require('fs');

const [listenPort, upPort, modeFile] = process.argv.slice(2);
if (!modeFile) {
  console.error('usage: node delay_proxy.js LISTEN_PORT UPSTREAM_PORT MODE_FILE');
  process.exit(2);
}

function mode() {
  try {
    const v = parseInt(fs.readFileSync(modeFile, 'utf8'), 10);
    return Number.isFinite(v) ? v : 0;
  } catch (e) {
    return 0;
  }
}

net.createServer((client) => {
  const up = net.connect(Number(upPort), '127.0.0.1');
  let last = 0;	// when the previous chunk to the client is sent
  const end = () => { client.destroy(); up.destroy(); };

  client.on('data', (d) => { if (mode() >= 0) up.write(d); });
  up.on('data', (d) => {
    const m = mode();
    if (m < 0)
      return;
    // in order, each no earlier than m ms after it came
    const at = Math.max(last, Date.now() + m);
    last = at;
    setTimeout(() => { if (!client.destroyed) client.write(d); },
               at - Date.now());
  });
  // the server closed: close the client once what is queued went out
  up.on('end', () => setTimeout(end, Math.max(0, last - Date.now()) + 10));
  client.on('close', end);
  client.on('error', end);
  up.on('error', end);
}).listen(Number(listenPort), '127.0.0.1');
