/**
 * A transparent HTTP (and upgrade) forwarder that notes every request it passes on: put between
 * the edge connector and the local application, it shows exactly what reached the application.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly upgrade: boolean;
  readonly headers: http.IncomingHttpHeaders;
}

export interface RecordingProxy {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Where requests go; requests that arrive before it is set wait for it. */
  setTarget(url: string): void;
  close(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  let setTarget!: (u: URL) => void;
  const target = new Promise<URL>((resolve) => (setTarget = resolve));
  const seen: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', upgrade: false, headers: req.headers });
    void target.then((t) => {
      const up = http.request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', upgrade: true, headers: req.headers });
    socket.on('error', () => socket.destroy());
    void target.then((t) => {
      const up = net.connect(Number(t.port), t.hostname, () => {
        let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
        for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
        up.write(`${raw}\r\n`);
        if (head.length > 0) up.write(head);
        socket.pipe(up);
        up.pipe(socket);
      });
      up.on('error', () => socket.destroy());
      socket.once('close', () => up.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    setTarget: (u) => setTarget(new URL(u)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
