#!/usr/bin/env node
// Compiles apps/, libs/ and tools/ TypeScript into dist/ with swc (path aliases rewritten to
// relative requires). Type checking is `npm run typecheck`; this only transpiles, in ~1 s.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');
const { swcOptions, root } = require('./swc-options');

const SOURCES = ['apps', 'libs', 'tools', 'tests'];
const out = path.join(root, 'dist');

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
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
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
