/**
 * A web build of the app on its own origin, in a real browser (Debian's chromium through
 * playwright-core): the broker answers CORS for the origins in CORS_ORIGINS, on the client
 * ingress (/t/<org>/…, the site's answers and the broker's own refusals) and on its public
 * API, and keeps every other origin's page from reading anything.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startSiteStack, type SiteStack } from '@lanbridge/testing';

interface Answer {
  readonly ok: boolean;
  readonly status?: number;
  readonly body?: Record<string, unknown>;
  readonly headers?: Record<string, string | null>;
  readonly error?: string;
}

/** A page origin: serves one empty HTML page. */
async function pageOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>web app</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** fetch() in the page, as the app's HTTP layer does; a CORS refusal shows as a TypeError. */
function browserFetch(
  page: Page,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const res = await fetch(url, init);
        const text = await res.text();
        const headers: Record<string, string | null> = {};
        for (const h of ['retry-after', 'www-authenticate', 'content-type']) headers[h] = res.headers.get(h);
        return {
          ok: res.ok,
          status: res.status,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
          headers,
        };
      } catch (err) {
        return { ok: false, error: String(err) };
      }
    },
    { url, init },
  );
}

describe('a web app on another origin, in a real browser', () => {
  let app: { url: string; close(): Promise<void> };
  let stranger: { url: string; close(): Promise<void> };
  let stack: SiteStack;
  let browser: Browser;
  let appPage: Page;
  let strangerPage: Page;

  beforeAll(async () => {
    app = await pageOrigin();
    stranger = await pageOrigin();
    stack = await startSiteStack({
      prefix: 'web_cors',
      brokerEnv: { CORS_ORIGINS: `https://app.example.com, ${app.url}` },
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    appPage = await browser.newPage();
    await appPage.goto(app.url);
    strangerPage = await browser.newPage();
    await strangerPage.goto(stranger.url);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await app?.close();
    await stranger?.close();
  });

  it('signs in and reads the site through the broker, and can read the broker’s refusals', async () => {
    // The broker's JWKS (QR verification) and the site's sign-in, both cross-origin.
    const jwks = await browserFetch(appPage, `${stack.brokerUrl}/.well-known/jwks.json`);
    expect(jwks).toMatchObject({ ok: true, status: 200 });
    expect(Array.isArray(jwks.body?.keys)).toBe(true);

    const login = await browserFetch(appPage, `${stack.apiUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: stack.adminPassword }),
    });
    expect(login).toMatchObject({ ok: true, status: 200 });
    const token = login.body?.accessToken as string;
    expect(token).toEqual(expect.any(String));

    // A bearer request (preflighted) reaches the site through the tunnel.
    const me = await browserFetch(appPage, `${stack.apiUrl}/api/v1/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(me).toMatchObject({ ok: true, status: 200, body: expect.objectContaining({ role: 'admin' }) });

    // The broker's own refusal is readable too, with its code and WWW-Authenticate.
    const anonymous = await browserFetch(appPage, `${stack.apiUrl}/api/v1/me`);
    expect(anonymous).toMatchObject({
      ok: false,
      status: 401,
      body: expect.objectContaining({ code: 'SESSION_REQUIRED' }),
    });
    expect(anonymous.headers?.['www-authenticate']).toMatch(/^Bearer/);
  });

  it('keeps pages of other origins from reading anything, and refuses their preflights with a code', async () => {
    const login = await browserFetch(strangerPage, `${stack.apiUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: stack.adminPassword }),
    });
    expect(login.error).toMatch(/TypeError/);
    const jwks = await browserFetch(strangerPage, `${stack.brokerUrl}/.well-known/jwks.json`);
    expect(jwks.error).toMatch(/TypeError/);

    // What the browser saw, asked directly: 403 CORS_ORIGIN_NOT_ALLOWED for the stranger,
    // 204 with the allowed methods and headers for the app.
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${stack.apiUrl}/api/v1/auth/login`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
    const refused = await preflight(stranger.url);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'CORS_ORIGIN_NOT_ALLOWED' });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await preflight(app.url);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(app.url);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
  });
});
