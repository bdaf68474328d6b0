import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// docs/architecture.md "Code map": each step of the main flows as `file` → `name`, `Class.method`.
// A rename or a move that forgets the map fails here, so the map keeps pointing at real code.

const ROOT = join(__dirname, '../..');

interface Entry {
  readonly flow: string;
  readonly file: string;
  readonly names: readonly string[];
}

function codeMap(): { flows: string[]; entries: Entry[] } {
  const md = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const section = md.split(/^## /m).find((s) => s.startsWith('Code map\n')) ?? '';
  const flows: string[] = [];
  const entries: Entry[] = [];
  for (const part of section.split(/^### /m).slice(1)) {
    const flow = part.slice(0, part.indexOf('\n')).trim();
    flows.push(flow);
    for (const m of part.matchAll(/`([^`\s]+\.[jt]sx?)` → ((?:`[^`]+`(?:, )?)+)/g)) {
      const names = [...m[2].matchAll(/`([^`]+)`/g)].map((n) => n[1]);
      entries.push({ flow, file: m[1], names });
    }
  }
  return { flows, entries };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('docs/architecture.md code map', () => {
  const { flows, entries } = codeMap();

  it('maps the four main flows, each in several steps', () => {
    expect(flows).toEqual([
      'A client request through the tunnel to the site',
      "A terminal's upload to the phone and to cloud push",
      'Connector activation',
      'Sign-in from the app (hello, encrypted login, token)',
    ]);
    for (const flow of flows) expect(entries.filter((e) => e.flow === flow).length).toBeGreaterThanOrEqual(8);
  });

  it('names only files that exist in the repository', () => {
    const missing = entries.filter((e) => e.file.includes('..') || !existsSync(join(ROOT, e.file)));
    expect(missing.map((e) => e.file)).toEqual([]);
  });

  it('names only functions and classes that occur in their file', () => {
    const absent: string[] = [];
    for (const { file, names } of entries) {
      const path = join(ROOT, file);
      if (!existsSync(path)) continue;
      const source = readFileSync(path, 'utf8');
      for (const name of names) {
        // `Class.method`: both the class and the method must be in the file.
        for (const word of name.split('.')) {
          if (!new RegExp(`\\b${escape(word)}\\b`).test(source)) absent.push(`${file} → ${name} (${word})`);
        }
      }
    }
    expect(absent).toEqual([]);
  });
});
