import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { session } from './api';

/**
 * The site's live stream (WebSocket /api/v1/stream, the one the phone app uses): an alarm or a
 * device status change refreshes the lists that show it. The token goes in the subprotocol,
 * never the URL. On a close it reconnects; lists reload via REST, so nothing needs a resume.
 */
export function useLiveUpdates(): void {
  const queries = useQueryClient();
  const [token, setToken] = useState(session.get()?.accessToken);
  useEffect(() => session.subscribe((s) => setToken(s?.accessToken)), []);
  useEffect(() => {
    if (!token) return;
    let ws: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const open = (): void => {
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/stream`;
      ws = new WebSocket(url, ['lanbridge.stream.v1', `bearer.${token}`]);
      ws.onmessage = (m) => {
        let msg: { type?: string };
        try {
          msg = JSON.parse(String(m.data)) as { type?: string };
        } catch {
          return;
        }
        if (msg.type === 'alarm') {
          void queries.invalidateQueries({ queryKey: ['alarms'] });
          void queries.invalidateQueries({ queryKey: ['overview'] });
          void queries.invalidateQueries({ queryKey: ['access-records'] });
        } else if (msg.type === 'device-status') {
          void queries.invalidateQueries({ queryKey: ['devices'] });
          void queries.invalidateQueries({ queryKey: ['overview'] });
          void queries.invalidateQueries({ queryKey: ['doors'] });
        }
      };
      ws.onclose = () => {
        if (!stopped) timer = setTimeout(open, 3_000);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ws?.close();
    };
  }, [token, queries]);
}
