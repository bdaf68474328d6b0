import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from '@tanstack/react-query';
import { IonAlert, IonButton, IonItem, IonLabel, IonList, IonText } from '@ionic/react';
import { IonRange, IonSearchbar } from '../ionic-forms';
import type { DoorView } from '@lanbridge/mobile-sdk';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, Loading, Screen } from '../ui';

type Action = { door: DoorView; kind: 'unlock' | 'cancel' };

export default function RemoteControl() {
  const { t } = useTranslation();
  const { client } = useApp();
  const [search, setSearch] = useState('');
  const [seconds, setSeconds] = useState(5);
  const [pending, setPending] = useState<Action>();
  const [result, setResult] = useState<string>();
  const doors = useQuery({
    queryKey: useKey('doors', search),
    queryFn: () => client.doors.list({ q: search || undefined, pageSize: 100 }),
    placeholderData: (prev) => prev,
  });
  const act = useMutation({
    mutationFn: (a: Action) =>
      a.kind === 'unlock' ? client.doors.unlock(a.door.id, seconds) : client.doors.cancelAlarm(a.door.id),
    onSuccess: (o, a) =>
      setResult(
        t(o.status === 'acked' ? 'remote.done' : o.status === 'failed' ? 'remote.failed' : 'remote.pending', {
          door: a.door.name,
        }),
      ),
  });
  // Only doors whose terminal is online can be driven: the site refuses the others anyway.
  const online = (doors.data?.items ?? []).filter((d) => d.deviceOnline);
  const offline = (doors.data?.items.length ?? 0) - online.length;
  return (
    <Screen title={t('apps.remote.title')} back="/apps" tabs="apps" testId="screen-remote">
      <IonSearchbar
        value={search}
        debounce={300}
        aria-label={t('remote.search')}
        placeholder={t('remote.search')}
        onIonInput={(e) => setSearch(e.detail.value ?? '')}
      />
      <IonList inset>
        <IonItem>
          <IonRange
            label={t('remote.seconds', { n: seconds })}
            labelPlacement="stacked"
            min={1}
            max={60}
            value={seconds}
            onIonChange={(e) => setSeconds(Number(e.detail.value))}
            data-testid="unlock-seconds"
          />
        </IonItem>
      </IonList>
      {result && (
        <p className="banner ok" role="status" data-testid="remote-result">
          {result}
        </p>
      )}
      <ErrorText>
        {act.error ? describeError(t, act.error) : doors.error ? describeError(t, doors.error) : undefined}
      </ErrorText>
      {!doors.data ? (
        <Loading />
      ) : (
        <IonList data-testid="door-list">
          {online.map((d) => (
            <IonItem key={d.id} data-testid="door-item">
              <IonLabel>
                <h2>{d.name}</h2>
                <p>
                  {d.deviceName} · {d.areaName ?? ''}
                </p>
                {d.lockedDown && (
                  <IonText color="danger">
                    <p>{t('lockdown.under')}</p>
                  </IonText>
                )}
              </IonLabel>
              <IonButton slot="end" onClick={() => setPending({ door: d, kind: 'unlock' })} data-testid="door-unlock">
                {t('remote.unlock')}
              </IonButton>
              <IonButton
                slot="end"
                fill="outline"
                onClick={() => setPending({ door: d, kind: 'cancel' })}
                data-testid="door-cancel-alarm"
              >
                {t('remote.cancelAlarm')}
              </IonButton>
            </IonItem>
          ))}
        </IonList>
      )}
      {offline > 0 && <p className="muted small">{t('remote.offlineHidden', { count: offline })}</p>}
      <IonAlert
        isOpen={!!pending}
        header={pending?.kind === 'unlock' ? t('remote.confirmUnlock') : t('remote.confirmCancel')}
        message={
          pending
            ? pending.kind === 'unlock'
              ? t('remote.confirmUnlockText', { door: pending.door.name, n: seconds })
              : pending.door.name
            : ''
        }
        buttons={[
          { text: t('common.cancel'), role: 'cancel' },
          {
            text: t('common.confirm'),
            role: 'confirm',
            cssClass: 'confirm-action',
            handler: () => {
              if (pending) {
                setResult(undefined);
                act.mutate(pending);
              }
            },
          },
        ]}
        onDidDismiss={() => setPending(undefined)}
      />
    </Screen>
  );
}
