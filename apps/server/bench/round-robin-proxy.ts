// A TCP load balancer for BENCH_PROCESSES > 1: each new connection goes to the next
// product process in turn and its bytes are piped both ways untouched (like a layer-4
// balancer). The closed-loop rows need it because the shared drive.mjs takes one URL;
// one drive.mjs per process would send the same MessageSids to each (its counter starts
// at 0 in every copy), so half of a "distinct" row would be duplicates.
import net from 'node:net';

export interface RoundRobinProxy {
  port: number;
  close(): Promise<void>;
}

/** Listens on a free loopback port and spreads connections over `ports` round-robin. */
export async function startRoundRobinProxy(ports: number[]): Promise<RoundRobinProxy> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: ports[next++ % ports.length]!, noDelay: true });
    track(client);
    track(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
