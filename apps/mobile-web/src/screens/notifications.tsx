import { useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IonButton, IonItem, IonLabel, IonList } from '@ionic/react';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, formatTime, Loading, Screen } from '../ui';

export default function Notifications() {
  const { t, i18n } = useTranslation();
  const { client, org } = useApp();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: useKey('notification', 'list'),
    queryFn: () => client.notifications.list({ pageSize: 50 }),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: [org?.orgId, 'notification'] });
  const read = useMutation({ mutationFn: (id: string) => client.notifications.read(id), onSuccess: refresh });
  const readAll = useMutation({ mutationFn: () => client.notifications.readAll(), onSuccess: refresh });
  const unread = q.data?.unread ?? 0;
  return (
    <Screen
      title={t('tabs.notifications')}
      tabs="notifications"
      testId="screen-notifications"
      onRefresh={() => q.refetch()}
      end={
        unread > 0 ? (
          <IonButton onClick={() => readAll.mutate()} data-testid="read-all">
            {t('notifications.readAll')}
          </IonButton>
        ) : undefined
      }
    >
      <p className="muted" data-testid="unread-count">
        {t('notifications.unread', { count: unread })}
      </p>
      <ErrorText>{q.error ? describeError(t, q.error) : undefined}</ErrorText>
      {!q.data ? (
        <Loading />
      ) : q.data.items.length === 0 ? (
        <p className="empty">{t('notifications.none')}</p>
      ) : (
        <IonList data-testid="notification-list">
          {q.data.items.map((n) => (
            <IonItem
              key={n.id}
              button={!n.read}
              onClick={() => !n.read && read.mutate(n.id)}
              className={n.read ? 'read' : 'unread'}
              data-testid="notification-item"
              data-read={n.read ? 'true' : 'false'}
            >
              <span className={n.read ? 'dot' : 'dot on'} aria-hidden="true" slot="start" />
              <IonLabel>
                <h2>{n.title}</h2>
                <p>{n.body}</p>
                <p>
                  {formatTime(n.createdAt, i18n.language)}
                  {!n.read && ` · ${t('notifications.tapToRead')}`}
                </p>
              </IonLabel>
            </IonItem>
          ))}
        </IonList>
      )}
    </Screen>
  );
}
