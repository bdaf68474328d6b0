import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IonButton, IonChip, IonItem, IonLabel, IonList } from '@ionic/react';
import { IonInput } from '../ionic-forms';
import type { InvitationCreated } from '@lanbridge/mobile-sdk';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, formatTime, Loading, Screen } from '../ui';

export default function Invitations({ sub }: { sub?: string }) {
  return sub === 'new' ? <NewInvitation /> : <InvitationList />;
}

function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function InvitationList() {
  const { t, i18n } = useTranslation();
  const { client, org } = useApp();
  const qc = useQueryClient();
  const [sent, setSent] = useState<string>();
  const list = useQuery({ queryKey: useKey('invitations'), queryFn: () => client.invitations.list({ pageSize: 50 }) });
  const reinvite = useMutation({
    mutationFn: (id: string) => client.invitations.reinvite(id),
    onSuccess: (r) => {
      setSent(t('invitations.sent', { to: r.mail.to }));
      void qc.invalidateQueries({ queryKey: [org?.orgId, 'invitations'] });
    },
  });
  return (
    <Screen
      title={t('apps.invitations.title')}
      back="/apps"
      tabs="apps"
      testId="screen-invitations"
      end={
        <IonButton href="#/apps/invitations/new" data-testid="invite-new">
          {t('invitations.new')}
        </IonButton>
      }
    >
      {sent && (
        <p className="banner ok" role="status" data-testid="invite-sent">
          {sent}
        </p>
      )}
      <ErrorText testId="invite-error">
        {reinvite.error ? describeError(t, reinvite.error) : list.error ? describeError(t, list.error) : undefined}
      </ErrorText>
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p className="empty">{t('invitations.none')}</p>
      ) : (
        <IonList data-testid="invitation-list">
          {list.data.items.map((v) => (
            <IonItem key={v.id} data-testid="invitation-item">
              <IonLabel>
                <h2>
                  {v.firstName} {v.lastName ?? ''}
                </h2>
                <p>{v.email}</p>
                <p>
                  {formatTime(v.startAt, i18n.language)} – {formatTime(v.endAt, i18n.language)}
                </p>
              </IonLabel>
              <IonChip slot="end">
                <IonLabel>{t(`invitations.status.${v.status}`, { defaultValue: v.status })}</IonLabel>
              </IonChip>
              <IonButton
                slot="end"
                fill="outline"
                disabled={reinvite.isPending}
                onClick={() => reinvite.mutate(v.id)}
                data-testid="reinvite"
              >
                {t('invitations.reinvite')}
              </IonButton>
            </IonItem>
          ))}
        </IonList>
      )}
    </Screen>
  );
}

function NewInvitation() {
  const { t } = useTranslation();
  const { client, org } = useApp();
  const qc = useQueryClient();
  const start = new Date(Date.now() + 3600_000);
  start.setMinutes(0, 0, 0);
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [email, setEmail] = useState('');
  const [reason, setReason] = useState('');
  const [from, setFrom] = useState(localInput(start));
  const [to, setTo] = useState(localInput(new Date(start.getTime() + 2 * 3600_000)));
  const [created, setCreated] = useState<InvitationCreated>();
  const create = useMutation({
    mutationFn: () =>
      client.invitations.create({
        firstName: first.trim(),
        lastName: last.trim() || undefined,
        email: email.trim(),
        reason: reason.trim() || undefined,
        startAt: new Date(from).toISOString(),
        endAt: new Date(to).toISOString(),
      }),
    onSuccess: (c) => {
      setCreated(c);
      void qc.invalidateQueries({ queryKey: [org?.orgId, 'invitations'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  if (created) {
    return (
      <Screen title={t('invitations.new')} back="/apps/invitations" tabs="apps" testId="screen-invite-done">
        <p className="banner ok" role="status" data-testid="invite-sent">
          {t('invitations.sent', { to: created.mail.to })}
        </p>
        <div className="credential">
          <img src={created.qr.png} alt={t('invitations.qrAlt')} width={240} height={240} />
        </div>
        <IonButton expand="block" href="#/apps/invitations">
          {t('common.done')}
        </IonButton>
      </Screen>
    );
  }
  return (
    <Screen title={t('invitations.new')} back="/apps/invitations" tabs="apps" testId="screen-invite-new">
      <form onSubmit={submit}>
        <IonList inset>
          <IonItem>
            <IonInput
              label={t('invitations.firstName')}
              labelPlacement="stacked"
              value={first}
              required
              onIonInput={(e) => setFirst(String(e.detail.value ?? ''))}
              data-testid="invite-first"
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('invitations.lastName')}
              labelPlacement="stacked"
              value={last}
              onIonInput={(e) => setLast(String(e.detail.value ?? ''))}
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('invitations.email')}
              labelPlacement="stacked"
              type="email"
              value={email}
              required
              onIonInput={(e) => setEmail(String(e.detail.value ?? ''))}
              data-testid="invite-email"
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('visitors.reason')}
              labelPlacement="stacked"
              value={reason}
              onIonInput={(e) => setReason(String(e.detail.value ?? ''))}
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('invitations.from')}
              labelPlacement="stacked"
              type="datetime-local"
              value={from}
              onIonInput={(e) => setFrom(String(e.detail.value ?? ''))}
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('invitations.to')}
              labelPlacement="stacked"
              type="datetime-local"
              value={to}
              onIonInput={(e) => setTo(String(e.detail.value ?? ''))}
            />
          </IonItem>
        </IonList>
        <ErrorText testId="invite-error">{create.error ? describeError(t, create.error) : undefined}</ErrorText>
        <IonButton
          expand="block"
          type="submit"
          disabled={!first.trim() || !email.includes('@') || create.isPending}
          data-testid="invite-submit"
        >
          {t('invitations.send')}
        </IonButton>
      </form>
    </Screen>
  );
}
