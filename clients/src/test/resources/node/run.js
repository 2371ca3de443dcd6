// Bull and rate-limiter-flexible against Converge: producer on one node, worker on another.
// Usage: node run.js <producerPort> <workerPort>
const Queue = require('bull');
const Redis = require('ioredis');
const { RateLimiterRedis } = require('rate-limiter-flexible');

const [producerPort, workerPort] = process.argv.slice(2).map(Number);
const jobs = 50;

async function main() {
  const name = 'converge-test-' + Date.now();
  const producer = new Queue(name, { redis: { host: '127.0.0.1', port: producerPort } });
  const worker = new Queue(name, { redis: { host: '127.0.0.1', port: workerPort } });
  let sum = 0;
  const done = new Promise((resolve, reject) => {
    let processed = 0;
    worker.process(async (job) => { return job.data.n * 2; });
    producer.on('global:completed', () => {});
    worker.on('completed', (job, result) => { sum += result; if (++processed === jobs) resolve(); });
    worker.on('failed', (job, err) => reject(err));
    setTimeout(() => reject(new Error('timed out with ' + processed + ' jobs processed')), 60000);
  });
  for (let i = 0; i < jobs; i++) {
    await producer.add({ n: i }, { attempts: 1, removeOnComplete: false });
  }
  await done;
  const counts = await producer.getJobCounts();
  console.log('bull sum=' + sum + ' completed=' + counts.completed + ' waiting=' + counts.waiting + ' failed=' + counts.failed);

  const redis = new Redis({ host: '127.0.0.1', port: producerPort, enableOfflineQueue: false });
  await new Promise((r) => redis.once('ready', r));
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'rl-' + Date.now(), points: 5, duration: 10 });
  let allowed = 0, refused = 0;
  for (let i = 0; i < 8; i++) {
    try { await limiter.consume('user-1'); allowed++; } catch (e) { if (e instanceof Error) throw e; refused++; }
  }
  console.log('ratelimiter allowed=' + allowed + ' refused=' + refused);
  await producer.close(); await worker.close(); redis.disconnect();
}
main().then(() => process.exit(0), (e) => { console.error('FAILED', e); process.exit(1); });
