// A TCP relay in front of one of the local servers (the API server, the fake Azure, the data plane) that
// records who connected: the proxy tests give the tasks the relay's address and then read, per server,
// which connections came through the forward proxy (its bind address) and which came straight from the
// task. Bytes pass through untouched, TLS included; or the relay terminates TLS itself (`tls`), so that a
// plain-http server is reached the way a real cluster is, over https (clients then tunnel through a proxy
// with CONNECT, as they do to AKS).
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface Relay {
  /** The relay's address, with the scheme of the server behind it: http(s)://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The peer address of every connection accepted so far, in order. */
  peers: string[];
  close(): Promise<void>;
}

export async function startRelay(targetUrl: string, options: { tls?: { key: Buffer; cert: Buffer } } = {}): Promise<Relay> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const peers: string[] = [];
  const sockets = new Set<net.Socket>();
  const accept = (client: net.Socket) => {
    peers.push((client.remoteAddress ?? '').replace(/^::ffff:/, ''));
    const upstream = net.connect(targetPort, target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server = options.tls ? tls.createServer(options.tls, accept) : net.createServer(accept);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `${options.tls ? 'https:' : target.protocol}//127.0.0.1:${port}`,
    port,
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
