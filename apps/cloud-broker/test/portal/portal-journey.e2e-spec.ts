// The installer's and the admin's journeys in a real browser (Debian's chromium through
// playwright-core), against a real broker on PostgreSQL, a real SMTP sink and a real connector.
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createLogger } from '@lanbridge/logging';
import { createTestSchema, freePort, ROOT, TEST_DATABASE_URL, tempDir } from '@lanbridge/testing';
import { TunnelErrorCode } from '@lanbridge/tunnel-protocol';
import jsQR from 'jsqr';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { SMTPServer } from 'smtp-server';
// The journey drives the installer's side in-process (its activation command and service), so the
// test can hold the connector's state; app code never crosses this boundary.
/* eslint-disable @nx/enforce-module-boundaries */
import { activateCommand } from '../../../edge-connector/src/activation/activate-command';
import { startConnector, type RunningConnector } from '../../../edge-connector/src/bootstrap';
import { loadLocalConfig } from '../../../edge-connector/src/config/connector.config';
/* eslint-enable @nx/enforce-module-boundaries */
import { type RunningBroker, startBroker } from '../../src/bootstrap';

const logger = createLogger('portal-e2e', { level: process.env.LOG_LEVEL ?? 'silent' });
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'installer@acme.test';

interface Mail {
  readonly to: string;
  readonly body: string;
}

async function startSmtpSink(): Promise<{ url: string; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address).join(',');
        mails.push({ to, body: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise((r) => server.close(() => r())) };
}

/** A stand-in local application: answers with its own name so the test sees where streams go. */
async function startOrigin(name: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.url ?? ''}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Decodes the quoted-printable soft line breaks nodemailer uses, then finds the link. */
function linkIn(mail: Mail, pathPrefix: string): string {
  const text = mail.body.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = new RegExp(`https?://[^\\s"<>]*${pathPrefix.replace(/[/?]/g, '\\$&')}[^\\s"<>]*`).exec(text);
  if (!m) throw new Error(`no ${pathPrefix} link in mail:\n${text}`);
  return m[0];
}

function decodeQrPng(png: Buffer): string {
  const img = PNG.sync.read(png);
  const code = jsQR(
    new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length),
    img.width,
    img.height,
  );
  if (!code) throw new Error('no QR code found in the PNG');
  return code.data;
}

function verifyJwsWithJwks(jws: string, jwks: { keys: { kid: string; kty: string; crv: string; x: string }[] }) {
  const [h, p, s] = jws.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string; typ: string };
  expect(header).toMatchObject({ alg: 'EdDSA', typ: 'org-qr+jwt' });
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${header.kid} not in the JWKS`);
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  expect(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))).toBe(true);
  return JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
}

/**
 * The connector page refreshes itself (a meta refresh while activation is pending, a reload when
 * its badge changes), and that can interrupt a navigation. Leaving it for a blank page first
 * stops the old page's timers; the new page's own refresh comes 2 s after it loaded.
 */
async function gotoSettled(page: Page, url: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await page.goto('about:blank');
      await page.goto(url);
      return;
    } catch (err) {
      if (attempt >= 5 || !String(err).includes('interrupted by another navigation')) throw err;
      // Let the navigation that won finish before trying again: retrying at once can collide
      // with it once more (seen under a loaded full run).
      await page.waitForLoadState('load').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('cloud portal and connector activation in a real browser', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let broker: RunningBroker;
  let context: BrowserContext;
  let connector: RunningConnector | undefined;
  const origins: { url: string; close(): Promise<void> }[] = [];
  const dir = tempDir('portal-e2e');
  let brokerUrl = '';
  let shot = 0;

  async function screenshot(page: Page, name: string): Promise<void> {
    shot++;
    await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    schema = await createTestSchema('portal_e2e');
    smtp = await startSmtpSink();
    const port = await freePort();
    brokerUrl = `http://127.0.0.1:${port}`;
    broker = await startBroker(
      {
        BROKER_PORT: String(port),
        BROKER_PUBLIC_URL: brokerUrl,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema.name,
        SMTP_URL: smtp.url,
        AREAS: JSON.stringify([{ id: 'sg', name: 'Singapore', brokerUrl }]),
        OAUTH_DEVICE_INTERVAL_S: '1',
        LOG_LEVEL: 'silent',
        DRAIN_TIMEOUT_MS: '500',
      },
      { logger, tunnel: { pingIntervalMs: 300 } },
    );
    // A fresh profile directory per run.
    context = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
      executablePath: '/usr/bin/chromium',
      acceptDownloads: true,
      locale: 'en-US',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await connector?.close();
    await broker?.close();
    await Promise.all(origins.map((o) => o.close()));
    await smtp?.close();
    await schema?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('signs up, activates a connector from its own page, manages the QR and deactivates it', async () => {
    const portal = await context.newPage();

    // --- sign up, verify the email from the SMTP sink, sign in ----------------------------------
    await portal.goto(`${brokerUrl}/sign-up`);
    await screenshot(portal, 'sign-up');
    await portal.fill('#firstName', 'Ines');
    await portal.fill('#lastName', 'Installer');
    await portal.fill('#email', EMAIL);
    await portal.fill('#contactNumber', '+65 6123 4567');
    await portal.fill('#password', PASSWORD);
    await Promise.all([portal.waitForNavigation(), portal.click('button[type=submit]')]);
    const mail = await waitFor('verification mail', () => smtp.mails.find((m) => m.to === EMAIL));
    await portal.goto(linkIn(mail, '/verify-email?token='));
    await screenshot(portal, 'verify-email');
    const verifyButton = portal.locator('main form button[type=submit]');
    if ((await verifyButton.count()) > 0) await Promise.all([portal.waitForNavigation(), verifyButton.first().click()]);

    await portal.goto(`${brokerUrl}/sign-in`);
    await screenshot(portal, 'sign-in');
    await portal.fill('#email', EMAIL);
    await portal.fill('#password', PASSWORD);
    await Promise.all([portal.waitForURL(/\/portal$/), portal.click('main button[type=submit]')]);
    await screenshot(portal, 'portal-companies');

    // --- create a company --------------------------------------------------------------------
    await portal.fill('#name', 'Acme Security');
    await Promise.all([portal.waitForURL(/\/portal\/companies\/[0-9a-f-]+$/), portal.click('#create-company button')]);
    const orgId = /companies\/([0-9a-f-]+)$/.exec(portal.url())?.[1] ?? '';
    expect(await portal.textContent('#company-name')).toBe('Acme Security');
    await screenshot(portal, 'portal-company');

    // --- the connector's own page: area, application, device code ----------------------------
    const origin = await startOrigin('site-a');
    origins.push(origin);
    connector = await startConnector(
      {
        CLOUD_URL: brokerUrl,
        CONNECTOR_KEY_FILE: path.join(dir, 'connector', 'connector.key'),
        STATUS_PORT: '0',
        LOCAL_APP_URL: 'http://127.0.0.1:9',
        BACKOFF_BASE_MS: '100',
        BACKOFF_MAX_MS: '5000',
        LOG_LEVEL: 'silent',
      },
      { logger, hostname: 'site-a-gateway' },
    );
    const local = await context.newPage();
    await gotoSettled(local, connector.statusUrl);
    expect(await local.textContent('ol.steps li[aria-current]')).toContain('Area and application');
    await screenshot(local, 'connector-step1');
    await gotoSettled(local, `${connector.statusUrl}/?lang=es`);
    expect(await local.textContent('#continue')).toBe('Continuar');
    await screenshot(local, 'connector-step1-es');
    await gotoSettled(local, `${connector.statusUrl}/?lang=zh`);
    expect(await local.textContent('#continue')).toBe('继续');
    await gotoSettled(local, `${connector.statusUrl}/?lang=en`);
    await local.selectOption('#area', 'sg');
    await local.fill('#setup #localAppUrl', origin.url);
    await Promise.all([local.waitForNavigation(), local.click('#continue')]);
    if ((await local.locator('#user-code').count()) === 0) {
      throw new Error(`no user code: ${local.url()} ${await local.content()}`);
    }
    const userCode = (await local.textContent('#user-code'))?.trim() ?? '';
    expect(userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const verification = await local.getAttribute('#verification-link', 'href');
    expect(verification).toBe(`${brokerUrl}/activate`);
    expect(await local.getAttribute('#register-link', 'href')).toContain(`${brokerUrl}/sign-up`);
    await screenshot(local, 'connector-step2-code');

    // --- approve in the cloud: code, fingerprint, company -------------------------------------
    await portal.goto(verification ?? '');
    await portal.fill('#user_code', userCode);
    await Promise.all([portal.waitForNavigation(), portal.click('main form button[type=submit]')]);
    expect(await portal.textContent('#device-hostname')).toBe('site-a-gateway');
    await portal.selectOption('#organization_id', orgId);
    await screenshot(portal, 'cloud-approve');
    await Promise.all([portal.waitForNavigation(), portal.click('button[value=approve]')]);
    await screenshot(portal, 'cloud-approved');

    // --- step 4: the connector activates, comes online and shows the QR -----------------------
    await waitFor('connector online', () => connector?.runtime.client?.state === 'online' || undefined, 20_000).catch(
      async (err: unknown) => {
        await gotoSettled(local, connector?.statusUrl ?? '');
        throw new Error(`${String(err)}: ${await local.locator('main').innerText()}`);
      },
    );
    const state = await waitFor('org QR on the connector', () => connector?.runtime.state?.orgQr);
    await gotoSettled(local, connector.statusUrl);
    expect(await local.textContent('#cloud-status')).toBe('Online');
    expect(await local.textContent('#org-name')).toBe('Acme Security');
    await local.waitForSelector('#org-qr svg');
    await screenshot(local, 'connector-activated');
    const connectorId = connector.runtime.state?.connectorId ?? '';

    // Requests reach the local application through the tunnel. The stand-in application is a
    // generic HTTP origin, not an access-core, so the company's ingress is a plain tunnel.
    const slug = connector.runtime.state?.orgSlug ?? '';
    await broker.organizations.setIngressPolicy(slug, 'open');
    expect(await (await fetch(`${brokerUrl}/t/${slug}/hello`)).text()).toBe('site-a /hello');

    // --- the portal shows it Online --------------------------------------------------------------
    await portal.goto(`${brokerUrl}/portal/companies/${orgId}/connectors`);
    const card = portal.locator(`.connector[data-connector-id="${connectorId}"]`);
    expect(await card.locator('.status').textContent()).toBe('Online');
    await screenshot(portal, 'portal-connectors');

    // --- server address: saved in the portal, pushed live over the tunnel ---------------------
    const originB = await startOrigin('site-b');
    origins.push(originB);
    await card.locator('input[name=localAppUrl]').fill(originB.url);
    await Promise.all([portal.waitForNavigation(), card.locator('.address-form button').click()]);
    expect(await portal.textContent('#notice')).toContain('sent to the connector');
    await waitFor(
      'address applied on the connector',
      () => connector?.runtime.localAppUrl === originB.url || undefined,
    );
    expect(await (await fetch(`${brokerUrl}/t/${slug}/x`)).text()).toBe('site-b /x');

    // --- QR: view, download PNG, decode, verify against the JWKS, resolve ---------------------
    await portal.goto(`${brokerUrl}/portal/companies/${orgId}/qr`);
    await screenshot(portal, 'portal-qr');
    const [download] = await Promise.all([portal.waitForEvent('download'), portal.click('#download-png')]);
    const pngFile = path.join(dir, 'qr.png');
    await download.saveAs(pngFile);
    const payload = decodeQrPng(fs.readFileSync(pngFile));
    expect(payload.startsWith(`${brokerUrl}/o#`)).toBe(true);
    expect(payload).toBe(state.payload);
    const token = payload.slice(payload.indexOf('#') + 1);
    const jwks = (await (await fetch(`${brokerUrl}/.well-known/jwks.json`)).json()) as Parameters<
      typeof verifyJwsWithJwks
    >[1];
    const claims = verifyJwsWithJwks(token, jwks);
    expect(claims).toMatchObject({
      iss: brokerUrl,
      sub: orgId,
      name: 'Acme Security',
      api: `${brokerUrl}/t/${slug}`,
      v: 1,
    });
    const resolved = await fetch(`${brokerUrl}/api/v1/org-qr/resolve?token=${encodeURIComponent(token)}`);
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({
      orgId,
      name: 'Acme Security',
      apiBaseUrl: `${brokerUrl}/t/${slug}`,
      online: true,
    });

    // --- rotate: the old QR is refused, the new one resolves and reaches the connector ---------
    await Promise.all([portal.waitForNavigation(), portal.click('#rotate a')]);
    await Promise.all([portal.waitForNavigation(), portal.click('#confirm button')]);
    expect(await portal.textContent('#notice')).toContain('revoked');
    const old = await fetch(`${brokerUrl}/api/v1/org-qr/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(old.status).toBe(410);
    expect(((await old.json()) as { code: string }).code).toBe('ORG_QR_REVOKED');
    const newPng = await portal.request.get(`${brokerUrl}/portal/companies/${orgId}/qr.png`);
    const newPayload = decodeQrPng(await newPng.body());
    expect(newPayload).not.toBe(payload);
    const newToken = newPayload.slice(newPayload.indexOf('#') + 1);
    expect((await fetch(`${brokerUrl}/api/v1/org-qr/resolve?token=${encodeURIComponent(newToken)}`)).status).toBe(200);
    await waitFor(
      'rotated QR on the connector',
      () => connector?.runtime.state?.orgQr?.payload === newPayload || undefined,
    );

    // --- foreign company ids are not found ----------------------------------------------------
    const foreign = await portal.request.get(
      `${brokerUrl}/portal/companies/00000000-0000-4000-8000-000000000000/connectors`,
    );
    expect(foreign.status()).toBe(404);

    // --- deactivate: key revoked, live tunnel closed within a second ---------------------------
    await portal.goto(`${brokerUrl}/portal/companies/${orgId}/connectors`);
    await Promise.all([
      portal.waitForNavigation(),
      portal.locator(`.connector[data-connector-id="${connectorId}"] .deactivate-form a`).click(),
    ]);
    const started = Date.now();
    await Promise.all([portal.waitForNavigation(), portal.click('#confirm button')]);
    await waitFor('tunnel closed', () => connector?.runtime.client?.state !== 'online' || undefined, 1000);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(broker.registry.get(connectorId)).toBeUndefined();
    expect(connector.runtime.client?.status().lastError?.code).toBe(TunnelErrorCode.REVOKED);
    expect(await portal.locator(`.connector[data-connector-id="${connectorId}"] .status`).textContent()).toBe(
      'Deactivated',
    );
    await screenshot(portal, 'portal-deactivated');
    await gotoSettled(local, connector.statusUrl);
    expect(await local.textContent('#cloud-status')).toBe('Offline');
    await local.waitForSelector('#revoked');
    await screenshot(local, 'connector-revoked');
    // The organisation has no active connector any more.
    const inactive = await fetch(`${brokerUrl}/api/v1/org-qr/resolve?token=${encodeURIComponent(newToken)}`);
    expect(inactive.status).toBe(409);

    // --- audit log ----------------------------------------------------------------------------
    await portal.goto(`${brokerUrl}/portal/companies/${orgId}/audit`);
    const actions = await Promise.all(
      (await portal.locator('.audit-row').all()).map((r) => r.getAttribute('data-action')),
    );
    for (const a of [
      'account.signin',
      'connector.activated',
      'connector.config_changed',
      'qr.rotated',
      'connector.deactivated',
    ]) {
      expect(actions).toContain(a);
    }
    await screenshot(portal, 'portal-audit');
  }, 120_000);

  it('activates headless with a single-use activation code; a used code is refused', async () => {
    const portal = await context.newPage();
    await portal.goto(`${brokerUrl}/portal`);
    await portal.click('#companies a');
    const orgId = /companies\/([0-9a-f-]+)$/.exec(portal.url())?.[1] ?? '';
    await portal.goto(`${brokerUrl}/portal/companies/${orgId}/connectors`);
    await Promise.all([portal.waitForNavigation(), portal.click('#create-code button')]);
    const code = (await portal.textContent('#activation-code'))?.trim() ?? '';
    expect(code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    await screenshot(portal, 'portal-activation-code');

    const keyFile = path.join(dir, 'headless', 'connector.key');
    const out: string[] = [];
    const config = loadLocalConfig({
      CONNECTOR_KEY_FILE: keyFile,
      LOCAL_APP_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
    });
    const rc = await activateCommand(['--broker', brokerUrl, '--area', 'sg', '--code', code], config, {
      write: (s: string) => out.push(s),
    });
    expect(rc).toBe(0);
    const text = out.join('');
    expect(text).toContain('Activated: connector');
    expect(text).toContain(`${brokerUrl}/o#`);
    expect(text).toMatch(/[▀▄█]/);

    const { publicKey } = generateKeyPairSync('ed25519');
    const again = await fetch(`${brokerUrl}/api/v1/connector-activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, publicKey: publicKey.export({ format: 'pem', type: 'spki' }), hostname: 'other' }),
    });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { code: string }).code).toBe('ACTIVATION_CODE_INVALID');

    // Guessing codes is throttled per client address: 10 wrong codes in 15 minutes, then 429.
    const guess = (n: number) =>
      fetch(`${brokerUrl}/api/v1/connector-activations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          code: `WRONG-CODE-${n}`,
          publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
          hostname: 'guesser',
        }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await guess(i)).status);
    // The reused code above already counted as one wrong code.
    expect(statuses.filter((st) => st === 400)).toHaveLength(9);
    const refused = await guess(99);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('TOO_MANY_ATTEMPTS');
  }, 60_000);
});
