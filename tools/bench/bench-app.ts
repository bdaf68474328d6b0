/**
 * `npm run bench:app [-- --json FILE] [-- --database-url URL]`
 *
 * The phone app (apps/mobile-web) against the real site stack: Lighthouse's mobile preset
 * (its default config: a mid-range phone, simulated slow 4G and 4x CPU slowdown) on the sign-in
 * screen and on the Dashboard, driving Debian's Chromium over its debugging port; the initial
 * JavaScript (the entry script of index.html and the chunks it imports statically, gzip); and
 * the time from opening the app with a stored session to the Dashboard showing the site's
 * figures. Targets: performance ≥ 90, accessibility ≥ 95, best practices ≥ 95, initial JS ≤ 200 KiB.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { decodeQrImage } from '@lanbridge/mobile-sdk/node';
import { freePort, startSiteStack, waitFor, type SiteStack } from '@lanbridge/testing';

interface Args {
  json?: string;
  databaseUrl?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--json') a.json = argv[++i];
    else if (k === '--database-url') a.databaseUrl = String(argv[++i]);
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

interface LighthouseResult {
  lhr: { categories: Record<string, { score: number | null }> };
}
type Lighthouse = (url: string, flags: Record<string, unknown>) => Promise<LighthouseResult | undefined>;

/** lighthouse is an ES module without top-level await: Node ≥ 20.19 loads it with require(). */
function loadLighthouse(): Lighthouse {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('lighthouse') as { default: Lighthouse }).default;
}

const APP_DIR = path.resolve(__dirname, '../../apps/mobile-web');

/** The entry script of index.html and every chunk it imports statically, gzip-compressed. */
function initialJsGzipBytes(): number {
  const html = fs.readFileSync(path.join(APP_DIR, 'index.html'), 'utf8');
  const seen = new Set<string>();
  const queue = [...html.matchAll(/<script[^>]*type="module"[^>]*src="\/app\/([^"]+)"/g)].map((m) => m[1]);
  queue.push(...[...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/app\/([^"]+)"/g)].map((m) => m[1]));
  let total = 0;
  while (queue.length > 0) {
    const rel = queue.shift()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    const code = fs.readFileSync(path.join(APP_DIR, rel));
    total += zlib.gzipSync(code, { level: 9 }).length;
    // Static imports between chunks (dynamic import() chunks are loaded later, on demand).
    for (const m of code
      .toString('utf8')
      .matchAll(/(?:^|[;}\s])import\s*(?:[\w$*{}\s,]+from\s*)?["']\.\/([\w.-]+\.js)["']/g)) {
      queue.push(`assets/${m[1]}`);
    }
  }
  return total;
}

const score = (r: LighthouseResult | undefined, id: string): number =>
  Math.round((r?.lhr.categories[id]?.score ?? 0) * 100);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(APP_DIR, 'index.html'))) throw new Error('the phone app is not built: npm run build');
  const initialKiB = Math.round((initialJsGzipBytes() / 1024) * 10) / 10;
  process.stdout.write('starting access-core, cloud broker and edge connector...\n');
  let stack: SiteStack | undefined;
  const port = await freePort();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-app-'));
  // A persistent context is the browser's default one: the tab Lighthouse opens shares its storage.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 412, height: 915 },
    args: [
      ...['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      ...['--disable-component-update', '--disable-sync', `--remote-debugging-port=${port}`],
    ],
  });
  try {
    stack = await startSiteStack({
      prefix: 'bench_app',
      databaseUrl: args.databaseUrl,
      accessCoreEnv: { LOG_LEVEL: 'error' },
      brokerEnv: { LOG_LEVEL: 'error', INGRESS_SIGNIN_MAX_PER_IP: '500' },
      connectorEnv: { LOG_LEVEL: 'error' },
    });
    const qrUrl = stack.connectorStatusUrl.replace(/\/status$/, '/org-qr.png');
    let qrText = '';
    await waitFor(
      'a QR pinning the site key',
      async () => {
        const res = await fetch(qrUrl);
        if (res.status !== 200) return false;
        qrText = decodeQrImage(Buffer.from(await res.arrayBuffer()));
        return 'skt' in JSON.parse(Buffer.from(qrText.split('#')[1].split('.')[1], 'base64url').toString());
      },
      30_000,
    );

    // The organisation is added once, so sign-in is the screen Lighthouse sees.
    const page = await context.newPage();
    await page.goto(qrText);
    await page.getByTestId('add-org').click();
    await page.getByTestId('screen-signin').waitFor();

    const lighthouse = loadLighthouse();
    const flags = {
      port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices'],
      // Keep the profile's organisation and session (Lighthouse clears storage by default).
      disableStorageReset: true,
    };
    process.stdout.write('lighthouse: sign-in...\n');
    const signIn = await lighthouse(`${stack.brokerUrl}/app/#/signin`, flags);

    await page.getByTestId('role-admin').click();
    await page.getByTestId('signin-user').locator('input').fill('admin');
    await page.getByTestId('signin-password').locator('input').fill(stack.adminPassword);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('dashboard-stats').waitFor();
    process.stdout.write('lighthouse: dashboard...\n');
    const dashboard = await lighthouse(`${stack.brokerUrl}/app/#/dashboard`, flags);

    // A cold start of the app with a stored session: navigation to the site's figures on screen.
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await context.newPage();
      const t0 = Date.now();
      await p.goto(`${stack.brokerUrl}/app/#/dashboard`);
      await p.getByTestId('dashboard-stats').waitFor();
      timings.push(Date.now() - t0);
      await p.close();
    }
    timings.sort((a, b) => a - b);

    const min = (id: string): number => Math.min(score(signIn, id), score(dashboard, id));
    const result = {
      lighthouse: {
        performance: min('performance'),
        accessibility: min('accessibility'),
        best_practices: min('best-practices'),
      },
      pages: {
        sign_in: {
          performance: score(signIn, 'performance'),
          accessibility: score(signIn, 'accessibility'),
          best_practices: score(signIn, 'best-practices'),
        },
        dashboard: {
          performance: score(dashboard, 'performance'),
          accessibility: score(dashboard, 'accessibility'),
          best_practices: score(dashboard, 'best-practices'),
        },
      },
      bundle: { initial_js_gzip_kib: initialKiB },
      first_dashboard_ms: timings[1],
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (args.json) {
      fs.writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`wrote ${args.json}\n`);
    }
  } finally {
    await context.close();
    await stack?.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-app: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
