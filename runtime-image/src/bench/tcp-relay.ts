// `node tcp-relay.js PORT UPSTREAM_PORT`: the router suite's floor. It copies bytes between
// each client connection and a connection of its own to the upstream, on loopback, and
// parses nothing: the least CPU any proxy process can spend on a request (two reads, two
// writes). Its requests/s beside the direct figure is the most a router could reach on this
// machine, whatever its HTTP stack.
import { connect, createServer } from 'node:net';

const [port, upstreamPort] = process.argv.slice(2).map(Number);
if (!port || !upstreamPort) throw new Error('usage: tcp-relay.js PORT UPSTREAM_PORT');

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
  client.pipe(upstream).pipe(client);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`relaying 127.0.0.1:${String(port)} -> 127.0.0.1:${String(upstreamPort)}`);
});
