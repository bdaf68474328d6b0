#!/usr/bin/env node
// Compiles apps/, libs/ and tools/ TypeScript into dist/ with swc (path aliases rewritten to
// relative requires), then builds the web apps with Vite. Type checking is `npm run typecheck`;
// the swc step only transpiles, in ~1 s. A web app is rebuilt only when its sources, the
// libraries or the lock file changed since its last build (a Vite build takes tens of seconds).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');
const { swcOptions, root } = require('./swc-options');

const SOURCES = ['apps', 'libs', 'tools', 'tests'];
/** Browser apps built by Vite (each has a vite.config.ts); swc leaves them alone. */
const WEB_APPS = ['apps/mobile-web', 'apps/site-console'];
const out = path.join(root, 'dist');

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory() && WEB_APPS.includes(path.relative(root, p))) continue;
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

async function main() {
  const started = Date.now();
  let count = 0;
  const jobs = [];
  for (const top of SOURCES) {
    const dir = path.join(root, top);
    if (!fs.existsSync(dir)) continue;
    for (const file of walk(dir)) {
      const rel = path.relative(root, file);
      const dest = path.join(out, rel);
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) {
        if (/\.(spec|e2e-spec)\.ts$/.test(file)) continue;
        jobs.push(
          swc.transformFile(file, { ...swcOptions({ paths: true }), filename: file }).then((r) => {
            const js = dest.replace(/\.ts$/, '.js');
            fs.mkdirSync(path.dirname(js), { recursive: true });
            fs.writeFileSync(js, r.code + `\n//# sourceMappingURL=${path.basename(js)}.map\n`);
            if (r.map) fs.writeFileSync(js + '.map', r.map);
            count++;
          }),
        );
      } else if (/\.(html|css|json|svg|png|sql)$/.test(file) && !rel.startsWith('tools/test')) {
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(file, dest);
      }
    }
  }
  await Promise.all(jobs);
  process.stdout.write(`built ${count} files into dist/ in ${Date.now() - started} ms\n`);
  for (const app of WEB_APPS) await buildWebApp(app);
}

/** Hash of everything a web app's bundle is made from. */
function sourceHash(app) {
  const h = crypto.createHash('sha256');
  const inputs = [path.join(root, app), path.join(root, 'libs')];
  for (const dir of inputs) {
    const files = [...walkAll(dir)].sort();
    for (const f of files) h.update(path.relative(root, f)).update('\0').update(fs.readFileSync(f));
  }
  h.update(fs.readFileSync(path.join(root, 'package-lock.json')));
  return h.digest('hex');
}

function* walkAll(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walkAll(p);
    else yield p;
  }
}

async function buildWebApp(app) {
  const config = path.join(root, app, 'vite.config.ts');
  if (!fs.existsSync(config)) return;
  const dest = path.join(out, app);
  const stamp = path.join(dest, '.source-hash');
  const hash = sourceHash(app);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
    process.stdout.write(`${app}: unchanged, kept dist/${app}\n`);
    return;
  }
  const started = Date.now();
  const vite = await import('vite');
  await vite.build({
    configFile: config,
    root: path.join(root, app),
    logLevel: 'warn',
    build: { outDir: dest, emptyOutDir: true },
  });
  fs.writeFileSync(stamp, hash);
  process.stdout.write(`${app}: built into dist/${app} in ${Date.now() - started} ms\n`);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
