import { useQuery } from '@tanstack/react-query';
import { useApp } from './app-state';

/** Query keys start with the organisation, so switching organisations never shows another's data. */
export function useKey(...parts: unknown[]): unknown[] {
  const { org } = useApp();
  return [org?.orgId, ...parts];
}

export function useUnread(): number {
  const { client, session } = useApp();
  const key = useKey('notification', 'unread');
  const q = useQuery({
    queryKey: key,
    queryFn: () => client.notifications.list({ pageSize: 1, unread: true }),
    enabled: session?.role === 'personnel',
  });
  return q.data?.unread ?? 0;
}
