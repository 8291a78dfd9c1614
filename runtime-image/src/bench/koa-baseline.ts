// The warm-invoke baseline: a bare koa handler that answers a constant, on loopback.
// Spawned by the benchmark as its own process: node koa-baseline.js PORT
import Koa from 'koa';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: koa-baseline.js PORT');

const app = new Koa();
app.use((ctx) => {
  ctx.type = 'text/plain';
  ctx.body = '1';
});
app.listen(port, '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
