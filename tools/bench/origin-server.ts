/**
 * The benchmark's origin: `/1k` answers 1 KiB, `/big?mib=N` streams N MiB (default 100).
 * Prints {"port":N} on stdout once listening.
 */
import http from 'node:http';

const ONE_KIB = Buffer.alloc(1024, 'x');
const ONE_MIB = Buffer.alloc(1024 * 1024, 'y');

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/1k') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': ONE_KIB.length });
    res.end(ONE_KIB);
    return;
  }
  if (url.startsWith('/big')) {
    const mib = Number(new URL(url, 'http://x').searchParams.get('mib') ?? '100');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': mib * ONE_MIB.length });
    let left = mib;
    const pump = (): void => {
      while (left > 0) {
        left--;
        if (!res.write(ONE_MIB)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60000;
server.on('connection', (s) => s.setNoDelay(true));
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
