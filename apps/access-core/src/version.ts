import fs from 'node:fs';
import path from 'node:path';

// The workspace package.json is the single version of record; it sits at a different depth
// from src/ (ts-jest) and dist/ (built), so look upwards for it.
function findVersion(start: string): string {
  let dir = start;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'lanbridge' && typeof pkg.version === 'string') return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return '0.0.0';
    dir = up;
  }
}

export const ACCESS_CORE_VERSION = findVersion(__dirname);
