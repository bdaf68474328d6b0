/**
 * The CLI's state: the scanned organisation and the session tokens, in one JSON file readable
 * by the user only (mode 0600, directory 0700). Never holds a password.
 * Default `~/.lanbridge/mobile.json`; LANBRIDGE_MOBILE_STATE overrides.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SessionSnapshot } from '../client';
import type { Organisation } from '../org-qr';

export interface MobileState {
  readonly version: 1;
  readonly org?: Organisation;
  readonly session?: SessionSnapshot;
  /** The last live event id seen by `watch` (resumes there next time). */
  readonly lastEventId?: string;
}

export function defaultStatePath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LANBRIDGE_MOBILE_STATE;
  return fromEnv && fromEnv.trim() !== '' ? fromEnv : join(homedir(), '.lanbridge', 'mobile.json');
}

export class StateFile {
  constructor(readonly path: string = defaultStatePath()) {}

  read(): MobileState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1 };
      throw err;
    }
    const v = JSON.parse(text) as Partial<MobileState> | null;
    if (!v || typeof v !== 'object' || v.version !== 1)
      throw new Error(`${this.path} is not a Lanbridge mobile state file`);
    return v as MobileState;
  }

  /** Replaces the file atomically (write a 0600 temp file, then rename over). */
  write(state: MobileState): void {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  update(change: (s: MobileState) => MobileState): MobileState {
    const next = change(this.read());
    this.write(next);
    return next;
  }
}
