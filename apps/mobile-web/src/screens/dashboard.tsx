import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { IonItem, IonList } from '@ionic/react';
import { IonSelect, IonSelectOption } from '../ionic-forms';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, Loading, Screen } from '../ui';

export default function Dashboard() {
  const { t } = useTranslation();
  const { client, org } = useApp();
  const [area, setArea] = useState<string>('');
  const q = useQuery({
    queryKey: useKey('dashboard', area),
    queryFn: () => client.dashboard.get(area || undefined),
    placeholderData: (prev) => prev,
  });
  const d = q.data;
  return (
    <Screen title={t('tabs.dashboard')} tabs="dashboard" testId="screen-dashboard" onRefresh={() => q.refetch()}>
      <p className="muted">{org?.name}</p>
      <IonList inset>
        <IonItem>
          <IonSelect
            label={t('dashboard.area')}
            value={area}
            onIonChange={(e) => setArea(String(e.detail.value ?? ''))}
            data-testid="area-filter"
            interface="action-sheet"
          >
            <IonSelectOption value="">{t('dashboard.allAreas')}</IonSelectOption>
            {(d?.areas ?? []).map((a) => (
              <IonSelectOption key={a.id} value={a.id}>
                {a.name}
              </IonSelectOption>
            ))}
          </IonSelect>
        </IonItem>
      </IonList>
      <ErrorText>{q.error ? describeError(t, q.error) : undefined}</ErrorText>
      {!d ? (
        <Loading lines={4} />
      ) : (
        <div className="stats" data-testid="dashboard-stats">
          <Stat label={t('dashboard.people')} value={d.people} id="people" />
          <Stat label={t('dashboard.visitorsToday')} value={d.visitorsToday} id="visitors" />
          <Stat label={t('dashboard.devicesOnline')} value={d.devices.online} id="online" tone="ok" />
          <Stat
            label={t('dashboard.devicesOffline')}
            value={d.devices.offline}
            id="offline"
            tone={d.devices.offline ? 'bad' : undefined}
          />
        </div>
      )}
    </Screen>
  );
}

function Stat({ label, value, id, tone }: { label: string; value: number; id: string; tone?: 'ok' | 'bad' }) {
  return (
    <div className={`stat ${tone ?? ''}`} data-testid={`stat-${id}`}>
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}
