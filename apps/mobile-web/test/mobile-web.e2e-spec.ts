/**
 * The phone app (apps/mobile-web) in a real browser at a phone viewport with touch, against the
 * real stack: access-core with the demo site, a cloud broker serving the app at /app/, an edge
 * connector, simulated terminals. One journey per role visits every screen, checks what it
 * shows against the site, runs axe-core on it in light and dark, and writes screenshots
 * (light, dark, es, zh-CN) to MOBILE_WEB_SHOTS or a temp dir.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import QRCode from 'qrcode';
import { SMTPServer } from 'smtp-server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createNodeClient, decodeQrImage, type LanbridgeClient } from '@lanbridge/mobile-sdk/node';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { startSiteStack, waitFor, type SiteStack } from '@lanbridge/testing';

jest.setTimeout(240_000);

const SHOTS = process.env.MOBILE_WEB_SHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mobile-web-shots-'));
const PIXEL_7 = {
  viewport: { width: 412, height: 915 },
  deviceScaleFactor: 2.625,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
};

/** Opens the door of an open command (`CONTROL DEVICE 01 <door> 01 <seconds>`). */
const openedDoor = (text: string): number | undefined => {
  const m = /CONTROL DEVICE 01(\d{2})01/.exec(text);
  return m ? Number(m[1]) : undefined;
};

interface AxeProblem {
  screen: string;
  scheme: string;
  id: string;
  impact: string | null | undefined;
  nodes: string[];
}

describe('the phone app through the cloud, at a phone viewport', () => {
  let stack: SiteStack;
  let browser: Browser;
  let admin: LanbridgeClient;
  let qrText: string;
  let smtp: SMTPServer;
  let smtpPort: number;
  const mails: string[] = [];
  const terminals = new Map<string, SimulatedTerminal>();
  const axeProblems: AxeProblem[] = [];
  const terminal = (i: number): SimulatedTerminal => terminals.get(stack.demo.devices[i].sn)!;

  /** Axe in light and dark (0 serious/critical kept for the final check) and screenshots of both. */
  async function screen(page: Page, name: string): Promise<void> {
    await page.waitForTimeout(200);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(100);
      // Dark only changes colours: the full rule set in light, contrast again in dark.
      const axe = new AxeBuilder({ page });
      const result = await (
        scheme === 'light' ? axe.withTags(['wcag2a', 'wcag2aa', 'wcag21aa']) : axe.withRules(['color-contrast'])
      ).analyze();
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          axeProblems.push({ screen: name, scheme, id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.html) });
        }
      }
      await page.screenshot({ path: path.join(SHOTS, `${name}-${scheme}.png`), scale: 'css' });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  async function phone(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ ...PIXEL_7, locale: 'en-US', permissions: ['camera'] });
    const page = await context.newPage();
    return { context, page };
  }

  const fill = async (page: Page, testId: string, value: string, inner = 'input'): Promise<void> => {
    await page.getByTestId(testId).locator(inner).fill(value);
  };

  async function signIn(page: Page, role: 'admin' | 'personnel', user: string, password: string): Promise<void> {
    await page.getByTestId(`role-${role}`).click();
    await fill(page, 'signin-user', user);
    await fill(page, 'signin-password', password);
    await page.getByTestId('signin-submit').click();
  }

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _s, cb) {
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => {
          mails.push(text);
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    stack = await startSiteStack({
      prefix: 'mobile_web',
      accessCoreEnv: { MOBILE_COMMAND_WAIT_MS: '3000' },
      brokerEnv: { INGRESS_SIGNIN_MAX_PER_IP: '500', INGRESS_SIGNIN_WINDOW_S: '600' },
    });
    for (const d of stack.demo.devices) {
      const t = new SimulatedTerminal({
        serverUrl: stack.accessCoreUrl,
        sn: d.sn,
        doorCount: d.doors,
        requestDelayMs: 300,
      });
      t.on('error', () => undefined);
      terminals.set(d.sn, t);
      await t.start();
    }
    await Promise.all([...terminals.values()].map((t) => t.waitOnline(30_000)));

    // The QR the connector shows, once it pins the site key; then a camera video of it.
    const qrUrl = stack.connectorStatusUrl.replace(/\/status$/, '/org-qr.png');
    let png = Buffer.alloc(0);
    await waitFor(
      'a QR pinning the site key',
      async () => {
        const res = await fetch(qrUrl);
        if (res.status !== 200) return false;
        png = Buffer.from(await res.arrayBuffer());
        qrText = decodeQrImage(png);
        return 'skt' in JSON.parse(Buffer.from(qrText.split('#')[1].split('.')[1], 'base64url').toString());
      },
      30_000,
    );
    const pngFile = path.join(SHOTS, 'org-qr.png');
    fs.writeFileSync(pngFile, png);
    const y4m = path.join(SHOTS, 'org-qr.y4m');
    execFileSync('/usr/bin/ffmpeg', [
      ...['-v', 'error', '-y', '-loop', '1', '-i', pngFile, '-t', '2', '-r', '10'],
      ...['-vf', 'scale=720:720:flags=area,pad=1280:720:(ow-iw)/2:(oh-ih)/2:white', '-pix_fmt', 'yuv420p', y4m],
    ]);

    admin = createNodeClient({ trustedIssuers: [{ issuer: stack.brokerUrl }] });
    await admin.scan(qrText);
    await admin.login({ type: 'admin', username: 'admin', password: stack.adminPassword });
    await waitFor('all terminals online', async () => (await admin.devices.list()).items.every((x) => x.online));

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        ...['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        ...['--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream'],
        ...['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`],
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([...terminals.values()].map((t) => t.stop().catch(() => undefined)));
    await stack?.stop();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    process.stdout.write(`mobile-web screenshots: ${SHOTS}\n`);
  });

  it('serves the app at /app/ with a strict CSP, and the QR link /o lands in it', async () => {
    const res = await fetch(`${stack.brokerUrl}/app/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).not.toMatch(/https?:\/\//);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const manifest = (await (await fetch(`${stack.brokerUrl}/app/manifest.webmanifest`)).json()) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({ display: 'standalone', start_url: '/app/' });
    const o = await fetch(`${stack.brokerUrl}/o`, { redirect: 'manual' });
    expect(o.status).toBe(302);
    expect(o.headers.get('location')).toBe('/app/');
    expect((await fetch(`${stack.brokerUrl}/app/nothing-here.js`)).status).toBe(404);
  });

  it('administrator: scans the QR with the camera, refuses forged ones, and uses every screen', async () => {
    const { context, page } = await phone();
    // The organisation as the broker names it (the QR's name), not the site's own name.
    const orgName = admin.organisation!.name;
    await page.goto(`${stack.brokerUrl}/app/`);
    await page.getByTestId('screen-add').waitFor();
    await screen(page, 'add-organisation');

    // A QR signed by another broker, and this broker's QR with one character changed.
    const foreign = crypto.generateKeyPairSync('ed25519');
    const [h, p] = qrText.split('#')[1].split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const other = 'https://other-broker.example';
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, iss: other, api: `${other}/t/x` })).toString(
      'base64url',
    );
    const sig = crypto.sign(null, Buffer.from(`${h}.${forgedPayload}`), foreign.privateKey).toString('base64url');
    await fill(page, 'org-link', `${other}/o#${h}.${forgedPayload}.${sig}`, 'textarea');
    await page.getByTestId('verify-link').click();
    await expect(page.getByTestId('add-error').textContent()).resolves.toMatch(/another Lanbridge service/);
    await expect(page.getByTestId('org-found').count()).resolves.toBe(0);

    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, name: 'Evil Corp' })).toString('base64url');
    const tampered = `${stack.brokerUrl}/o#${h}.${tamperedPayload}.${qrText.split('.').pop()!}`;
    await page.getByTestId('pick-image').setInputFiles({
      name: 'qr.png',
      mimeType: 'image/png',
      buffer: await QRCode.toBuffer(tampered, { margin: 2, scale: 6 }),
    });
    await page
      .getByTestId('add-error')
      .filter({ hasText: /not a valid organisation QR code/ })
      .waitFor();
    await expect(page.getByTestId('org-found').count()).resolves.toBe(0);

    // The real one, through the camera.
    await page.getByTestId('scan-camera').click();
    await page.getByTestId('org-found').waitFor({ timeout: 15_000 });
    await expect(page.getByTestId('org-name').textContent()).resolves.toBe(orgName);
    await expect(page.getByTestId('org-online').textContent()).resolves.toBe('Site online');
    await screen(page, 'add-organisation-verified');
    await page.getByTestId('add-org').click();

    await page.getByTestId('screen-signin').waitFor();
    await expect(page.getByTestId('signin-org').textContent()).resolves.toBe(orgName);
    await screen(page, 'sign-in');
    await signIn(page, 'admin', 'admin', 'wrong password');
    await page.getByTestId('signin-error').filter({ hasText: 'Wrong user name' }).waitFor();
    await signIn(page, 'admin', 'admin', stack.adminPassword);

    // Dashboard: the site's own figures.
    await page.getByTestId('screen-dashboard').waitFor();
    const dash = await admin.dashboard.get();
    await page.getByTestId('dashboard-stats').waitFor();
    await expect(page.getByTestId('stat-people').locator('.stat-value').textContent()).resolves.toBe(
      String(dash.people),
    );
    const shown = async (id: string): Promise<number> =>
      Number(await page.getByTestId(`stat-${id}`).locator('.stat-value').textContent());
    await waitFor('the dashboard showing the site figures', async () => {
      const now = await admin.dashboard.get();
      return (await shown('online')) === now.devices.online && (await shown('offline')) === now.devices.offline;
    });
    expect((await shown('online')) + (await shown('offline'))).toBe(4);
    await screen(page, 'dashboard');
    const area = dash.areas[0];
    await page.getByTestId('area-filter').click();
    await page.locator('ion-action-sheet').getByText(area.name).click();
    const inArea = await admin.dashboard.get(area.id);
    await page
      .getByTestId('stat-online')
      .locator('.stat-value')
      .filter({ hasText: new RegExp(`^${inArea.devices.online}$`) })
      .waitFor();

    // Alarm Center: a door forced on a terminal shows up live, within 2 s, without a reload.
    await page.getByTestId('tab-alarms').click();
    await page.getByTestId('screen-alarms').waitFor();
    await page.getByTestId('alarm-counts').waitFor();
    await page.waitForLoadState('networkidle');
    const before = await page.getByTestId('alarm-item').count();
    const forcedAt = Date.now();
    await terminal(0).forceDoor(2);
    await page.getByTestId('alarm-item').nth(before).waitFor({ timeout: 10_000 });
    const shownAfter = Date.now() - forcedAt;
    expect(shownAfter).toBeLessThan(2000);
    const summary = await admin.alarms.summary();
    await page
      .getByTestId('alarm-unconfirmed')
      .filter({ hasText: String(summary.unconfirmed) })
      .waitFor();
    await screen(page, 'alarm-center');
    await page.getByTestId('alarm-search').locator('input').fill('forced');
    await page.getByTestId('alarm-item').first().click();
    await page.getByTestId('screen-alarm-detail').waitFor();
    await fill(page, 'alarm-remark-input', 'guard checked the door', 'textarea');
    await screen(page, 'alarm-detail');
    await page.getByTestId('alarm-confirm').click();
    await page.getByTestId('alarm-remark').filter({ hasText: 'guard checked the door' }).waitFor();
    await expect(page.getByTestId('alarm-status').textContent()).resolves.toMatch(/Confirmed by/);
    await terminal(0).closeDoor(2);

    // Application Center → Remote Control: unlock opens the terminal's door.
    await page.getByTestId('tab-apps').click();
    await page.getByTestId('screen-apps').waitFor();
    await screen(page, 'application-center');
    await page.getByTestId('app-remote').click();
    await page.getByTestId('door-list').waitFor();
    const doors = await admin.doors.list({ pageSize: 100 });
    await expect(page.getByTestId('door-item').count()).resolves.toBe(doors.items.filter((d) => d.deviceOnline).length);
    await screen(page, 'remote-control');
    const t1 = terminal(1);
    const alias = stack.demo.devices[1].alias;
    await page.getByRole('searchbox').fill(alias);
    await page.getByTestId('door-item').first().filter({ hasText: alias }).waitFor();
    const opened = new Promise<number>((resolve) =>
      t1.on('command', (o: { text: string }) => {
        const door = openedDoor(o.text);
        if (door !== undefined) resolve(door);
      }),
    );
    await page.getByTestId('door-unlock').first().click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    const doorNo = await opened;
    await page.getByTestId('remote-result').filter({ hasText: 'the terminal confirmed' }).waitFor();
    expect(t1.door(doorNo).relayOpen).toBe(true);

    // Lockdown: activate, then release; the state shown is the site's.
    await page.getByTestId('back').click();
    await page.getByTestId('app-lockdown').click();
    await page.getByTestId('lockdown-group').first().waitFor();
    await screen(page, 'lockdown');
    await page.getByTestId('lockdown-toggle').first().click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('lockdown-state').first().filter({ hasText: 'Under lockdown' }).waitFor({ timeout: 20_000 });
    expect((await admin.lockdown.groups())[0].active).toBe(true);
    await page.getByTestId('lockdown-toggle').first().click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('lockdown-state').first().filter({ hasText: 'Normal' }).waitFor({ timeout: 20_000 });
    await waitFor(
      'terminals released',
      () => Promise.resolve([...terminals.values()].every((t) => !t.door(1).lockedDown)),
      20_000,
    );

    // Access Records: a card swiped on a terminal, found by name, with its detail.
    const [granted] = await terminal(2).swipeCard('100100', 1);
    expect(granted.code).toBe(0);
    const ana = stack.demo.people.find((x) => x.pin === '1001')!;
    await waitFor('record listed', async () => (await admin.accessRecords.list({ q: '1001' })).items.length > 0);
    await page.getByTestId('back').click();
    await page.getByTestId('app-records').click();
    await page.getByTestId('record-search').locator('input').fill('1001');
    await page.getByTestId('record-item').filter({ hasText: ana.name }).first().waitFor();
    await screen(page, 'access-records');
    await page.getByTestId('record-item').first().click();
    await expect(page.getByTestId('record-person').textContent()).resolves.toBe(ana.name);
    await screen(page, 'access-record-detail');

    // Visitors: register with the host looked up and a photo from the camera.
    await page.goto(`${stack.brokerUrl}/app/#/apps/visitors`);
    await page.getByTestId('screen-visitors').waitFor();
    await screen(page, 'visitors');
    await page.getByTestId('visitor-register').click();
    await fill(page, 'visitor-name', 'Vera Visitor');
    await fill(page, 'visitor-host', '1002');
    await page.getByTestId('host-option').first().click();
    await page.getByTestId('photo-take').click();
    await page.waitForTimeout(700);
    await page.getByTestId('photo-snap').click();
    await page.getByTestId('photo-preview').waitFor();
    await screen(page, 'visitor-register');
    await page.getByTestId('visitor-submit').click();
    await page.getByTestId('visit-item').filter({ hasText: 'Vera Visitor' }).waitFor();
    const visit = (await admin.visits.list({ q: 'Vera' })).items[0];
    expect(visit.photos.map((x) => x.kind)).toContain('visitor');
    expect(visit.hostName).toBe(stack.demo.people.find((x) => x.pin === '1002')!.name);

    // Visit Statistics: a chart.
    await page.goto(`${stack.brokerUrl}/app/#/apps/statistics`);
    await page.getByTestId('screen-statistics').locator('canvas').waitFor();
    const stats = await admin.visits.statistics();
    const total = stats.todayByHour.reduce((n, x) => n + x.count, 0);
    await expect(page.getByTestId('stats-total').textContent()).resolves.toContain(String(total));
    await screen(page, 'visit-statistics');

    // Me: account, organisation, language; change password and organisations screens.
    await page.getByTestId('tab-me').click();
    await page.getByTestId('me-name').waitFor();
    await expect(page.getByTestId('me-org').textContent()).resolves.toBe(orgName);
    await expect(page.getByTestId('me-role').textContent()).resolves.toBe('Administrator');
    await screen(page, 'me');
    await page.getByTestId('me-password').click();
    await page.getByTestId('screen-password').waitFor();
    await screen(page, 'change-password');
    await page.getByTestId('back').click();
    await page.getByTestId('me-orgs').click();
    await expect(page.getByTestId('org-item').count()).resolves.toBe(1);
    await screen(page, 'organisations');

    // Screenshots in Spanish and Simplified Chinese.
    for (const lang of ['es', 'zh-CN']) {
      await page.evaluate(`localStorage.setItem('lanbridge.lang', ${JSON.stringify(lang)})`);
      for (const [hash, name] of [
        ['/dashboard', 'dashboard'],
        ['/alarms', 'alarm-center'],
        ['/apps', 'application-center'],
      ]) {
        await page.goto(`${stack.brokerUrl}/app/#${hash}`);
        await page.reload();
        await page.locator('.tabbar').waitFor();
        await page.waitForLoadState('networkidle');
        await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}.png`), scale: 'css' });
      }
    }
    await expect(page.getByTestId('tab-dashboard').textContent()).resolves.toBe('仪表盘');
    await page.evaluate(`localStorage.setItem('lanbridge.lang', 'en')`);

    // Sign out: nothing readable is left behind.
    await page.goto(`${stack.brokerUrl}/app/#/me`);
    await page.reload();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('screen-signin').waitFor();
    // Browser-side code as text: this file is type-checked for Node, without the DOM library.
    const leftovers = await page.evaluate<{ ls: string; dbs: string[] }>(
      `(async () => ({ ls: JSON.stringify({ ...localStorage }), dbs: (await indexedDB.databases()).map((d) => d.name) }))()`,
    );
    expect(leftovers.ls).not.toMatch(/eyJ/);
    await context.close();
  });

  it('personnel: opens the QR link, sees Unauthorized APP login when disabled, and uses every screen', async () => {
    const wei = (await admin.hosts.search('1002'))[0];
    await admin.people.setAppLogin(wei.id, false);
    const { context, page } = await phone();
    // What a phone's camera app opens: the QR's own link.
    await page.goto(qrText);
    await page.getByTestId('org-found').waitFor({ timeout: 15_000 });
    await page.getByTestId('add-org').click();
    await signIn(page, 'personnel', '1002', stack.personPassword);
    await page.getByTestId('signin-error').filter({ hasText: 'Unauthorized APP login' }).waitFor();
    await admin.people.setAppLogin(wei.id, true);

    await signIn(page, 'personnel', '1001', stack.personPassword);
    await page.getByTestId('screen-notifications').waitFor();
    await page.getByTestId('unread-count').waitFor();

    // Notification Center, live: Ana's own card swipe reaches her, with an unread badge.
    const meAna = createNodeClient({ trustedIssuers: [{ issuer: stack.brokerUrl }] });
    await meAna.scan(qrText);
    await meAna.login({ type: 'personnel', pin: '1001', password: stack.personPassword });
    await meAna.me.setNotifications(true);
    const unreadBefore = (await meAna.notifications.list({ pageSize: 1, unread: true })).unread;
    await terminal(1).swipeCard('100100', 1);
    await page
      .getByTestId('unread-badge')
      .filter({ hasText: String(unreadBefore + 1) })
      .waitFor({ timeout: 10_000 });
    await page.getByTestId('notification-item').first().waitFor();
    await screen(page, 'notification-center');
    await page.locator('[data-testid="notification-item"][data-read="false"]').first().click();
    await page
      .getByTestId('unread-count')
      .filter({ hasText: `${unreadBefore} unread` })
      .waitFor();

    // Dynamic QR: drawn large, refreshed on its own before it expires; the terminal accepts it.
    await page.getByTestId('tab-apps').click();
    await screen(page, 'personnel-application-center');
    await page.getByTestId('app-qr').click();
    const qr = page.getByTestId('credential-qr');
    await qr.waitFor();
    const box = await qr.boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(280);
    const first = (await qr.getAttribute('data-code'))!;
    await expect(page.getByTestId('qr-countdown').textContent()).resolves.toMatch(/New code in \d+ s/);
    await screen(page, 'dynamic-qr');
    const firstExpiry = (await meAna.credentials.qr()).expiresAt;
    await waitFor('a new code on screen', async () => (await qr.getAttribute('data-code')) !== first, 40_000);
    expect(Date.now()).toBeLessThan(Date.parse(firstExpiry));
    const second = (await qr.getAttribute('data-code'))!;
    expect(second).toMatch(/^LBQ1\.1001\.\d{8}$/);
    const [byQr] = await terminal(0).verifyQr(second, 1);
    expect(byQr.code).toBe(0);

    // Visitor Invitation: no mail server → says so and who can fix it; then with one.
    await page.goto(`${stack.brokerUrl}/app/#/apps/invitations`);
    await page.getByTestId('screen-invitations').waitFor();
    await page.getByTestId('invite-new').click();
    await fill(page, 'invite-first', 'Iris');
    await fill(page, 'invite-email', 'iris@example.test');
    await screen(page, 'visitor-invitation-new');
    await page.getByTestId('invite-submit').click();
    await page
      .getByTestId('invite-error')
      .filter({ hasText: /no outgoing mail server.*site administrator/ })
      .waitFor();
    const lan = await fetch(`${stack.accessCoreUrl}/api/v1/settings/mail-server`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await admin.accessToken()}` },
      body: JSON.stringify({ host: '127.0.0.1', port: smtpPort, secure: false, from: 'Front desk <desk@site.test>' }),
    });
    expect(lan.status).toBe(200);
    await page.getByTestId('invite-submit').click();
    await page.getByTestId('invite-sent').filter({ hasText: 'iris@example.test' }).waitFor({ timeout: 20_000 });
    await waitFor('invitation mail', () => Promise.resolve(mails.some((m) => m.includes('iris@example.test'))), 15_000);
    await page.goto(`${stack.brokerUrl}/app/#/apps/invitations`);
    await page.getByTestId('invitation-item').filter({ hasText: 'iris@example.test' }).waitFor();
    await screen(page, 'visitor-invitations');
    const mailsBefore = mails.length;
    await page.getByTestId('reinvite').first().click();
    await page.getByTestId('invite-sent').waitFor({ timeout: 20_000 });
    await waitFor('re-invitation mail', () => Promise.resolve(mails.length > mailsBefore), 15_000);

    await page.getByTestId('tab-me').click();
    await expect(page.getByTestId('me-role').textContent()).resolves.toBe('Personnel');
    await screen(page, 'personnel-me');

    // The live link drops (connector cut): offline banner; back: it goes and the missed event arrives.
    await page.getByTestId('tab-notifications').click();
    await page.getByTestId('notification-list').waitFor();
    await stack.stopConnector();
    await page.getByTestId('offline-banner').waitFor({ timeout: 30_000 });
    await screen(page, 'offline-banner');
    await stack.startConnector();
    await stack.waitConnectorOnline();
    await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 30_000 });
    const unread = (await meAna.notifications.list({ pageSize: 1, unread: true })).unread;
    await terminal(1).swipeCard('100100', 1);
    await page
      .getByTestId('unread-badge')
      .filter({ hasText: String(unread + 1) })
      .waitFor({ timeout: 10_000 });

    // Offline: reload without network shows the shell and says so.
    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('offline-banner').waitFor({ timeout: 10_000 });
    await screen(page, 'offline-shell');
    await context.setOffline(false);

    // The session ends elsewhere (password changed on another device): back to sign-in, saying why.
    await page.reload();
    await page.getByTestId('screen-notifications').waitFor();
    await meAna.me.changePassword(stack.personPassword, 'personnel-pass-2');
    await page.getByTestId('tab-me').click();
    await page.getByTestId('signin-notice').filter({ hasText: 'Your session has ended' }).waitFor({ timeout: 15_000 });
    await meAna.me.changePassword('personnel-pass-2', stack.personPassword);
    await context.close();
  });

  it('has no serious or critical accessibility problem on any screen, light or dark', () => {
    expect(axeProblems).toEqual([]);
  });
});
