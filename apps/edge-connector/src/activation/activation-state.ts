import * as fs from 'node:fs';
import * as path from 'node:path';

/** What activation leaves on disk, next to the key file. Nothing in it is secret. */
export interface ActivationState {
  readonly connectorId: string;
  readonly orgId: string;
  readonly orgSlug: string;
  readonly orgName: string;
  readonly area: string;
  /** The area's broker base URL (http/https), e.g. https://sg.lanbridge.example. */
  readonly brokerUrl: string;
  /** Local application the tunnel forwards to. */
  readonly localAppUrl: string;
  readonly appType: 'access-core';
  readonly activatedAt: string;
  /** Latest organisation QR pushed by the broker: the text the QR code encodes. */
  readonly orgQr?: { readonly payload: string; readonly expiresAt: string };
}

export const STATE_FILE_NAME = 'connector.json';

export function stateFileFor(keyFile: string): string {
  return path.join(path.dirname(path.resolve(keyFile)), STATE_FILE_NAME);
}

function isState(v: unknown): v is ActivationState {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return ['connectorId', 'orgId', 'orgSlug', 'orgName', 'area', 'brokerUrl', 'localAppUrl', 'activatedAt'].every(
    (k) => typeof o[k] === 'string',
  );
}

/** The saved state, or undefined when the connector was never activated (or the file is unreadable). */
export function readActivationState(file: string): ActivationState | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(raw);
    return isState(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic replace (write beside, rename), mode 0600 like the key. */
export function writeActivationState(file: string, state: ActivationState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function removeActivationState(file: string): void {
  fs.rmSync(file, { force: true });
}

/** wss://host/tunnel/v1/connect for https://host (ws:// for http://), keeping any path prefix. */
export function tunnelUrlFor(brokerUrl: string): string {
  const u = new URL(brokerUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/tunnel/v1/connect`;
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** Only plain http:// URLs with a host; access-core listens on the LAN without TLS. */
export function parseLocalAppUrl(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' || !u.hostname || u.username || u.password || u.search || u.hash) return undefined;
  return u.toString().replace(/\/+$/, '');
}
