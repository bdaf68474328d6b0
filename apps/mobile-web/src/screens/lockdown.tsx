import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IonAlert, IonButton, IonChip, IonItem, IonLabel, IonList } from '@ionic/react';
import type { LockdownGroupView } from '@lanbridge/mobile-sdk';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, formatTime, Loading, Screen } from '../ui';

export default function Lockdown() {
  const { t, i18n } = useTranslation();
  const { client, org } = useApp();
  const qc = useQueryClient();
  const [pending, setPending] = useState<LockdownGroupView>();
  const groups = useQuery({ queryKey: useKey('lockdown'), queryFn: () => client.lockdown.groups() });
  const toggle = useMutation({
    mutationFn: (g: LockdownGroupView) => (g.active ? client.lockdown.cancel(g.id) : client.lockdown.activate(g.id)),
    onSuccess: () => qc.invalidateQueries({ queryKey: [org?.orgId, 'lockdown'] }),
  });
  return (
    <Screen title={t('apps.lockdown.title')} back="/apps" tabs="apps" testId="screen-lockdown">
      <ErrorText>
        {toggle.error ? describeError(t, toggle.error) : groups.error ? describeError(t, groups.error) : undefined}
      </ErrorText>
      {!groups.data ? (
        <Loading />
      ) : (
        <IonList data-testid="lockdown-list">
          {groups.data.map((g) => (
            <IonItem key={g.id} data-testid="lockdown-group">
              <IonLabel>
                <h2>{g.name}</h2>
                <p>{t('lockdown.doors', { count: g.doorCount })}</p>
                {g.active && (
                  <p>
                    {t('lockdown.since', { by: g.activatedBy ?? '', at: formatTime(g.activatedAt, i18n.language) })}
                  </p>
                )}
              </IonLabel>
              <IonChip color={g.active ? 'danger' : 'success'} slot="end" data-testid="lockdown-state">
                <IonLabel>{g.active ? t('lockdown.under') : t('lockdown.normal')}</IonLabel>
              </IonChip>
              <IonButton
                slot="end"
                color={g.active ? 'medium' : 'danger'}
                disabled={toggle.isPending}
                onClick={() => setPending(g)}
                data-testid="lockdown-toggle"
              >
                {g.active ? t('lockdown.cancel') : t('lockdown.activate')}
              </IonButton>
            </IonItem>
          ))}
        </IonList>
      )}
      <IonAlert
        isOpen={!!pending}
        header={pending?.active ? t('lockdown.confirmCancel') : t('lockdown.confirmActivate')}
        message={pending?.name}
        buttons={[
          { text: t('common.cancel'), role: 'cancel' },
          { text: t('common.confirm'), role: 'confirm', handler: () => pending && toggle.mutate(pending) },
        ]}
        onDidDismiss={() => setPending(undefined)}
      />
    </Screen>
  );
}
