// The Socket.IO Redis adapter against Converge: two Socket.IO servers, their adapters on two
// different nodes; a broadcast from either reaches the clients of both.
// Usage: node socketio.js <portA> <portB>
const { createServer } = require('http');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');
const ioClient = require('socket.io-client');

const [portA, portB] = process.argv.slice(2).map(Number);

async function server(redisPort) {
  const pub = createClient({ url: 'redis://127.0.0.1:' + redisPort });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub) });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  return { io, http, pub, sub, port: http.address().port };
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const c = ioClient('http://127.0.0.1:' + port, { transports: ['websocket'] });
    c.on('connect', () => resolve(c));
    c.on('connect_error', reject);
  });
}

async function main() {
  const a = await server(portA);
  const b = await server(portB);
  const ca = await connect(a.port);
  const cb = await connect(b.port);
  await new Promise((r) => setTimeout(r, 500)); // subscriptions settle
  const got = [];
  const all = new Promise((resolve, reject) => {
    const seen = () => { if (got.length === 4) resolve(); };
    ca.on('news', (m) => { got.push('A:' + m); seen(); });
    cb.on('news', (m) => { got.push('B:' + m); seen(); });
    setTimeout(() => reject(new Error('timed out; got ' + JSON.stringify(got))), 15000);
  });
  a.io.emit('news', 'from-a');
  b.io.emit('news', 'from-b');
  await all;
  const sockets = await a.io.fetchSockets(); // asks every server through the adapter
  got.sort();
  console.log('socketio received=' + got.join(',') + ' sockets=' + sockets.length);
  ca.close(); cb.close();
  for (const s of [a, b]) { s.io.close(); await s.pub.quit(); await s.sub.quit(); }
}
main().then(() => process.exit(0), (e) => { console.error('FAILED', e); process.exit(1); });
