/**
 * What the app keeps on the phone, encrypted at rest: the remembered organisations and each one's
 * session (its tokens are as secret as a password). The AES-GCM key is a non-extractable
 * CryptoKey kept in IndexedDB, so the tokens never sit in storage in clear and a script that
 * reads storage gets ciphertext only. Preferences (language) are not secret and stay in
 * localStorage.
 */
import type { Organisation, SessionSnapshot } from '@lanbridge/mobile-sdk';

export interface StoredState {
  readonly orgs: Organisation[];
  readonly current: string | null;
  readonly sessions: Record<string, SessionSnapshot>;
  /** Live-stream position per organisation, so a reopened app catches up without duplicates. */
  readonly cursors: Record<string, string>;
}

export const EMPTY_STATE: StoredState = { orgs: [], current: null, sessions: {}, cursors: {} };

const DB = 'lanbridge';
const STORE = 'vault';
const KEY_ID = 'key';
const DATA_ID = 'data';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

function tx<T>(db: IDBDatabase, mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = run(db.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

async function key(db: IDBDatabase): Promise<CryptoKey> {
  const found = await tx<CryptoKey | undefined>(
    db,
    'readonly',
    (s) => s.get(KEY_ID) as IDBRequest<CryptoKey | undefined>,
  );
  if (found) return found;
  const made = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  await tx(db, 'readwrite', (s) => s.put(made, KEY_ID));
  return made;
}

export async function loadState(): Promise<StoredState> {
  try {
    const db = await openDb();
    const sealed = await tx<{ iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer } | undefined>(
      db,
      'readonly',
      (s) => s.get(DATA_ID) as IDBRequest<{ iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer } | undefined>,
    );
    if (!sealed) return EMPTY_STATE;
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, await key(db), sealed.data);
    return { ...EMPTY_STATE, ...(JSON.parse(new TextDecoder().decode(plain)) as Partial<StoredState>) };
  } catch {
    // Unreadable (private mode, a cleared key): start over rather than fail to open.
    return EMPTY_STATE;
  }
}

export async function saveState(state: StoredState): Promise<void> {
  const db = await openDb();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    await key(db),
    new TextEncoder().encode(JSON.stringify(state)),
  );
  await tx(db, 'readwrite', (s) => s.put({ iv, data }, DATA_ID));
}

/** Sign-out of the last organisation: nothing the app stored stays behind (key, data, caches). */
export async function wipeAll(): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(DB);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
  sessionStorage.clear();
}
