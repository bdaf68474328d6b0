/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by expect(), not by types */
/**
 * Bodies a client got wrong are the client's error, with a code, on every body parser
 * access-core has (the JSON parser, the photo upload parser, the terminals' text bodies):
 * never a 500, never a stack trace in the answer.
 */
import { gzipSync } from 'node:zlib';
import { ADMIN_PASSWORD, login, startSite, type Api, type Site } from './mobile-harness';

type Json = Record<string, any>;

describe('bodies a client chose badly', () => {
  let site: Site;
  let admin: Api;

  const send = async (
    path: string,
    body: string | Buffer | undefined,
    headers: Record<string, string>,
    method = 'POST',
  ): Promise<{ status: number; text: string; type: string | null }> => {
    const res = await fetch(`${site.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin.token}`, ...headers },
      body,
    });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
  };
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    site = await startSite('mobile_bodies', { AUTH_LOGIN_MAX_PER_ACCOUNT: '1000' });
    admin = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
  });

  afterAll(async () => {
    await site?.stop();
  });

  it('answers a Content-Encoding the body does not have with 400 INVALID_CONTENT_ENCODING', async () => {
    const plain = JSON.stringify({ type: 'admin', username: 'admin', password: 'x' });
    const routes: [string, string][] = [
      ['/api/v1/auth/login', 'POST'], // the global JSON parser
      ['/api/v1/visits', 'POST'], // the photo upload parser
      ['/api/v1/people', 'POST'],
      ['/api/v1/system/name', 'PUT'],
    ];
    for (const [path, method] of routes) {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const r = await send(path, plain, { ...json, 'content-encoding': encoding }, method);
        expect({ path, encoding, status: r.status }).toEqual({ path, encoding, status: 400 });
        const body = JSON.parse(r.text) as Json;
        expect(body.code).toBe('INVALID_CONTENT_ENCODING');
        expect(r.text).not.toMatch(/zlib|at \w+ \(|node:/);
      }
    }
  });

  it('answers an unsupported Content-Encoding with 415 UNSUPPORTED_MEDIA_TYPE, and still takes real gzip', async () => {
    const body = JSON.stringify({ type: 'admin', username: 'admin', password: 'wrong' });
    for (const encoding of ['compress', 'x-unknown', 'gzip, identity']) {
      const r = await send('/api/v1/auth/login', body, { ...json, 'content-encoding': encoding });
      expect(r.status).toBe(415);
      expect((JSON.parse(r.text) as Json).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const gz = await send('/api/v1/auth/login', gzipSync(body), { ...json, 'content-encoding': 'gzip' });
    expect(JSON.parse(gz.text)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('refuses a NUL in a sign-in field (and in any other field) with 400 VALIDATION_FAILED', async () => {
    for (const [body, field] of [
      [{ type: 'admin', username: 'ad\u0000min', password: 'x' }, 'username'],
      [{ type: 'admin', username: 'admin', password: 'pass\u0000word' }, 'password'],
      [{ type: 'personnel', pin: '10\u000001', password: 'x' }, 'pin'],
    ] as const) {
      const r = await send('/api/v1/auth/login', JSON.stringify(body), json);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text)).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field }] });
    }
    const person = await send('/api/v1/people', JSON.stringify({ pin: 'N1', firstName: 'Nul\u0000l' }), json);
    expect(person.status).toBe(400);
    const query = await send('/api/v1/people?q=a%00b', undefined, {}, 'GET');
    expect(query.status).toBe(400);
  });

  it('refuses a compressed terminal body with 415 in plain text', async () => {
    const r = await send('/iclock/cdata?SN=ANY0001&table=rtlog', gzipSync('event=0'), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(415);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.text).toBe('ERROR: Content-Encoding gzip is not accepted');
  });

  it('logged no request as failed (500)', () => {
    expect(site.logLines.filter((l) => l.msg === 'request failed')).toEqual([]);
  });
});
