/**
 * The app's state: remembered organisations, the signed-in session (through the SDK's
 * LanbridgeClient, never a protocol of our own), the live stream and its link status.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import {
  LanbridgeClient,
  type LiveStream,
  type LoginCredentials,
  type Organisation,
  type SessionSnapshot,
  type StreamEvent,
} from '@lanbridge/mobile-sdk';
import { navigate } from './router';
import { EMPTY_STATE, loadState, saveState, type StoredState, wipeAll } from './vault';

/** Where the app was loaded from is the only broker it trusts: never a host named by a QR. */
export const TRUSTED_ISSUER = location.origin;

export type LinkState = 'idle' | 'connecting' | 'open' | 'offline';

export interface AppState {
  readonly ready: boolean;
  readonly orgs: readonly Organisation[];
  readonly org: Organisation | undefined;
  readonly session: SessionSnapshot | undefined;
  readonly client: LanbridgeClient;
  readonly link: LinkState;
  /** A message for the sign-in screen (the session ended). */
  readonly notice: string | undefined;
  /** Verifies a QR text or link against this broker; does not remember it yet. */
  verify(text: string): Promise<Organisation>;
  /** Remembers a verified organisation and makes it the current one. */
  addOrg(org: Organisation): void;
  switchOrg(orgId: string): void;
  forgetOrg(orgId: string): void;
  signIn(credentials: LoginCredentials): Promise<SessionSnapshot>;
  signOut(): Promise<void>;
  /** Subscribe to live events; returns the unsubscribe function. */
  readonly onEvent: (listener: (e: StreamEvent) => void) => () => void;
  setNotice(n: string | undefined): void;
}

const Ctx = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useApp outside AppStateProvider');
  return v;
}

export function useClient(): LanbridgeClient {
  return useApp().client;
}

export function AppStateProvider({ children, expiredMessage }: { children: ReactNode; expiredMessage: string }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<StoredState>(EMPTY_STATE);
  const [ready, setReady] = useState(false);
  const [link, setLink] = useState<LinkState>('idle');
  const [notice, setNotice] = useState<string | undefined>();
  const stateRef = useRef(state);
  const signingOut = useRef(false);
  const listeners = useRef(new Set<(e: StreamEvent) => void>());

  const commit = useCallback((next: StoredState) => {
    stateRef.current = next;
    setState(next);
    void saveState(next).catch(() => undefined);
  }, []);

  useEffect(() => {
    void loadState().then((s) => {
      stateRef.current = s;
      setState(s);
      setReady(true);
    });
  }, []);

  const org = state.orgs.find((o) => o.orgId === state.current);
  const session = org ? state.sessions[org.orgId] : undefined;

  const client = useMemo(
    () =>
      new LanbridgeClient({
        trustedIssuers: [{ issuer: TRUSTED_ISSUER }],
        org,
        session,
        commandDeadlineMs: 20_000,
        onSessionChange: (s) => {
          const cur = stateRef.current;
          if (!org) return;
          const sessions = { ...cur.sessions };
          if (s) sessions[org.orgId] = s;
          else delete sessions[org.orgId];
          commit({ ...cur, sessions });
          if (!s && !signingOut.current) {
            // Refresh refused: the session is over. Back to sign-in, saying why.
            queryClient.clear();
            setNotice(expiredMessage);
            navigate('/signin', true);
          }
        },
      }),
    // A new client only when the organisation or the signed-in user changes, not on every refresh.
    [org?.orgId, session?.subject, session?.siteId],
  );

  // The live stream while signed in: resumes after its last id, so nothing is lost or doubled.
  useEffect(() => {
    if (!org || !session) {
      setLink('idle');
      return;
    }
    let stream: LiveStream | undefined;
    let wasOffline = false;
    const orgId = org.orgId;
    try {
      stream = client.watch({
        after: stateRef.current.cursors[orgId],
        reconnectInitialDelayMs: 500,
        reconnectMaxDelayMs: 5_000,
        onEvent: (e) => {
          if (e.id) {
            const cur = stateRef.current;
            commit({ ...cur, cursors: { ...cur.cursors, [orgId]: e.id } });
          }
          for (const l of listeners.current) l(e);
          void queryClient.invalidateQueries({ queryKey: [orgId, e.type === 'alarm' ? 'alarms' : e.type] });
          if (e.type === 'alarm' || e.type === 'device-status') {
            void queryClient.invalidateQueries({ queryKey: [orgId, 'dashboard'] });
            void queryClient.invalidateQueries({ queryKey: [orgId, 'doors'] });
          }
        },
        onStatus: (s) => {
          if (s.state === 'open') {
            setLink('open');
            // Back after a drop: whatever changed meanwhile is fetched again.
            if (wasOffline) void queryClient.invalidateQueries({ queryKey: [orgId] });
            wasOffline = false;
          } else if (s.state === 'reconnecting' || s.state === 'closed') {
            wasOffline = true;
            setLink('offline');
          } else setLink((l) => (l === 'idle' ? 'connecting' : l));
        },
      });
    } catch {
      setLink('offline');
    }
    return () => stream?.close();
  }, [client, org, session, commit, queryClient]);

  const value: AppState = {
    ready,
    orgs: state.orgs,
    org,
    session,
    client,
    link,
    notice,
    setNotice,
    verify: (text) => new LanbridgeClient({ trustedIssuers: [{ issuer: TRUSTED_ISSUER }] }).scan(text.trim()),
    addOrg(o) {
      const cur = stateRef.current;
      commit({ ...cur, orgs: [...cur.orgs.filter((x) => x.orgId !== o.orgId), o], current: o.orgId });
    },
    switchOrg(orgId) {
      queryClient.clear();
      commit({ ...stateRef.current, current: orgId });
    },
    forgetOrg(orgId) {
      const cur = stateRef.current;
      const sessions = { ...cur.sessions };
      delete sessions[orgId];
      const orgs = cur.orgs.filter((o) => o.orgId !== orgId);
      commit({ ...cur, orgs, sessions, current: orgs[0]?.orgId ?? null });
    },
    async signIn(credentials) {
      setNotice(undefined);
      return client.login(credentials);
    },
    async signOut() {
      signingOut.current = true;
      try {
        await unsubscribePush(client).catch(() => undefined);
        await client.logout().catch(() => undefined);
      } finally {
        signingOut.current = false;
      }
      queryClient.clear();
      const cur = stateRef.current;
      const sessions = { ...cur.sessions };
      if (org) delete sessions[org.orgId];
      const cursors = { ...cur.cursors };
      if (org) delete cursors[org.orgId];
      if (Object.keys(sessions).length === 0) {
        // Nobody signed in anywhere: nothing stays but the list of organisations, sealed again
        // under a new key.
        await wipeAll();
        const caches = 'caches' in window ? await window.caches.keys() : [];
        await Promise.all(caches.filter((c) => c.startsWith('lanbridge-data')).map((c) => window.caches.delete(c)));
      }
      commit({ ...cur, sessions, cursors });
      navigate('/signin', true);
    },
    onEvent: useCallback((listener: (e: StreamEvent) => void) => {
      listeners.current.add(listener);
      return () => void listeners.current.delete(listener);
    }, []),
  };

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** Removes this device's push subscription from the broker and the browser. */
export async function unsubscribePush(client: LanbridgeClient): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.getRegistration('/app/');
  const sub = await reg?.pushManager.getSubscription();
  if (!sub) return;
  const mine = await client.listPush().catch(() => []);
  await Promise.all(
    mine.filter((m) => m.endpoint === sub.endpoint).map((m) => client.unregisterPush(m.id).catch(() => undefined)),
  );
  await sub.unsubscribe();
}
