import fs from 'node:fs';
import path from 'node:path';

/** One file of the built phone app, read into memory once. */
export interface AppFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** Vite's content-hashed assets never change under their name; everything else is revalidated. */
  readonly immutable: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The phone app's files (the Vite build in dist/apps/mobile-web), keyed by their path under
 * /app/. Only files that exist at start are ever served, so no request path reaches the file
 * system. Missing build (swc-only build, or a broker image without the app): an empty set.
 */
export class MobileAppFiles {
  private files: Map<string, AppFile> | undefined;

  constructor(private readonly root: string) {}

  get built(): boolean {
    return this.load().has('index.html');
  }

  get(name: string): AppFile | undefined {
    return this.load().get(name);
  }

  private load(): Map<string, AppFile> {
    if (this.files) return this.files;
    const files = new Map<string, AppFile>();
    const walk = (dir: string): void => {
      if (!fs.existsSync(dir)) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.name.startsWith('.')) continue;
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          const type = TYPES[path.extname(e.name).toLowerCase()];
          if (!type) continue;
          const rel = path.relative(this.root, p).split(path.sep).join('/');
          files.set(rel, {
            body: fs.readFileSync(p),
            contentType: type,
            immutable: rel.startsWith('assets/'),
          });
        }
      }
    };
    walk(this.root);
    this.files = files;
    return files;
  }
}

/** Where tools/build.js puts the app, seen from this module in dist/apps/cloud-broker/src/mobile-app. */
export const DEFAULT_MOBILE_APP_DIR = path.resolve(__dirname, '../../../mobile-web');
