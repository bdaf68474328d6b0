// The routes a site-session organisation lets through without a token (sign-in, JWKS, privacy
// policy) carry bounded bodies: the broker answers 413 PUBLIC_BODY_TOO_LARGE itself, at once for
// a declared length, as the bytes arrive for a chunked body, and the site never sees the request.
// A real broker on PostgreSQL, a tunnel session recording what reaches the site.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { type Harness, signedUpUser, startHarness } from '../accounts/harness';
import { headerOf, type RecordingSite, recordingSiteFor } from '../support/recording-site';

const MAX = 16 * 1024;

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: Record<string, unknown>;
}

/**
 * Writes `head` (and nothing more) on a raw socket and reads the answer until the broker closes
 * the connection; after 10 s it gives up and returns what came (status 0 when nothing did).
 */
function rawRequest(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => sock.destroy(), 10_000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    sock.write(head);
  });
}

/** A chunked request whose body goes out in 16 KiB pieces while `total` bytes are left. */
function chunked(url: string, total: number, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Node frames a GET's body only when asked to.
    const headers = { 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : {} });
      });
      res.on('error', reject);
    });
    // The broker may answer and close while the body is still going out: that is the point.
    req.on('error', () => undefined);
    let left = total;
    const piece = Buffer.alloc(16 * 1024, 0x20);
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, piece.length);
        left -= n;
        if (!req.write(piece.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

describe('bodies of requests without a token are bounded at the broker', () => {
  let h: Harness;
  let site: RecordingSite;
  let slug: string;
  let port: number;

  beforeAll(async () => {
    h = await startHarness({ INGRESS_PUBLIC_MAX_BODY_BYTES: String(MAX) });
    port = Number(new URL(h.url).port);
    const owner = await signedUpUser(h, 'body-owner');
    slug = (
      (await (
        await owner.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: 'Body Gates' } })
      ).json()) as {
        slug: string;
      }
    ).slug;
    site = await recordingSiteFor(h.broker, slug, (r) => ({
      status: 200,
      body: JSON.stringify({ bytes: r.body.length }),
    }));
  });
  afterAll(async () => {
    site?.close();
    await h?.close();
  });

  it('answers a declared 256 MiB sign-in body 413 at once, without reading it or opening a stream', async () => {
    const res = await rawRequest(
      port,
      `POST /t/${slug}/api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${256 * 1024 * 1024}\r\n\r\n{"type":"admin"`,
    );
    // The client sent 15 bytes of the body and waits: only an answer that does not wait for the
    // rest arrives at all.
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(res.text.slice(res.text.indexOf('\r\n\r\n') + 4))).toMatchObject({
      code: 'PUBLIC_BODY_TOO_LARGE',
    });
    expect(site.reached).toEqual([]);
  });

  it('cuts a chunked sign-in body with 413 once it passes the limit; the site sees nothing', async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/auth/hello'],
      ['POST', '/api/v1/auth/refresh'],
      ['GET', '/.well-known/jwks.json'],
    ]) {
      const res = await chunked(`${h.url}/t/${slug}${path}`, 8 * 1024 * 1024, method);
      expect([path, res.status, res.json.code]).toEqual([path, 413, 'PUBLIC_BODY_TOO_LARGE']);
    }
    expect(site.reached).toEqual([]);
  });

  it('passes a sign-in body within the limit whole, chunked or not, with its exact length', async () => {
    const jwe = { jwe: randomBytes(6000).toString('base64url') };
    const body = JSON.stringify(jwe);
    const plain = await fetch(`${h.url}/t/${slug}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ bytes: body.length });
    const viaChunks = await chunked(`${h.url}/t/${slug}/api/v1/auth/login`, MAX);
    expect(viaChunks).toMatchObject({ status: 200, json: { bytes: MAX } });
    expect(site.reached.map((r) => [r.path, r.body.length, headerOf(r, 'content-length')])).toEqual([
      ['/api/v1/auth/login', body.length, String(body.length)],
      ['/api/v1/auth/login', MAX, String(MAX)],
    ]);
    expect(site.reached[0]?.body.toString()).toBe(body);
  });

  it('leaves bodies of requests that need a token alone: they are refused for the token, not the size', async () => {
    const res = await chunked(`${h.url}/t/${slug}/api/v1/visitors/photo`, 64 * 1024);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'SESSION_REQUIRED' });
  });
});
