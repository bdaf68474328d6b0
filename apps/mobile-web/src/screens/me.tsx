import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IonButton, IonItem, IonLabel, IonList, IonListHeader, IonNote } from '@ionic/react';
import { IonInput, IonSelect, IonSelectOption, IonToggle } from '../ionic-forms';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { LANGUAGES, setLanguage } from '../i18n';
import { disablePush, enablePush } from '../push';
import { navigate } from '../router';
import { useKey } from '../queries';
import { ErrorText, Loading, Screen } from '../ui';
import { Row } from './alarms';

export default function Me({ sub }: { sub?: string }) {
  if (sub === 'password') return <ChangePassword />;
  if (sub === 'orgs') return <Organisations />;
  return <MeHome />;
}

function MeHome() {
  const { t, i18n } = useTranslation();
  const app = useApp();
  const { client, org } = app;
  const qc = useQueryClient();
  const [pushNote, setPushNote] = useState<string>();
  const me = useQuery({ queryKey: useKey('me'), queryFn: () => client.me.get() });
  const notify = useMutation({
    mutationFn: async (on: boolean) => {
      const view = await client.me.setNotifications(on);
      setPushNote(undefined);
      try {
        if (on) {
          const r = await enablePush(client);
          if (r !== 'subscribed') setPushNote(t(`me.push.${r}`));
        } else await disablePush(client);
      } catch (err) {
        // The site setting holds either way; background push is a best effort of this device.
        setPushNote(t('me.push.failed', { reason: describeError(t, err) }));
      }
      return view;
    },
    onSuccess: (v) => qc.setQueryData([org?.orgId, 'me'], v),
  });
  const m = me.data;
  return (
    <Screen title={t('tabs.me')} tabs="me" testId="screen-me">
      <ErrorText>{me.error ? describeError(t, me.error) : undefined}</ErrorText>
      {!m ? (
        <Loading lines={4} />
      ) : (
        <>
          <IonList inset>
            <IonListHeader>
              <IonLabel>{t('me.account')}</IonLabel>
            </IonListHeader>
            <Row label={t('me.name')} value={m.account.name} testId="me-name" />
            <Row label={m.role === 'admin' ? t('signIn.username') : t('signIn.pin')} value={m.account.username} />
            <Row
              label={t('me.role')}
              value={m.role === 'admin' ? t('signIn.admin') : t('signIn.personnel')}
              testId="me-role"
            />
            <Row label={t('me.organisation')} value={org?.name ?? m.organisation.name} testId="me-org" />
          </IonList>
          <IonList inset>
            <IonItem>
              <IonToggle
                checked={m.notificationsEnabled}
                disabled={notify.isPending}
                onIonChange={(e) => notify.mutate(e.detail.checked)}
                data-testid="me-notifications"
              >
                {t('me.notifications')}
              </IonToggle>
            </IonItem>
            <IonItem>
              <IonSelect
                label={t('me.language')}
                value={i18n.resolvedLanguage}
                onIonChange={(e) => setLanguage(String(e.detail.value))}
                data-testid="me-language"
              >
                {LANGUAGES.map((l) => (
                  <IonSelectOption key={l.code} value={l.code}>
                    {l.name}
                  </IonSelectOption>
                ))}
              </IonSelect>
            </IonItem>
            <IonItem href="#/me/password" detail data-testid="me-password">
              <IonLabel>{t('me.changePassword')}</IonLabel>
            </IonItem>
            <IonItem href="#/me/orgs" detail data-testid="me-orgs">
              <IonLabel>{t('me.organisations')}</IonLabel>
              <IonNote slot="end">{app.orgs.length}</IonNote>
            </IonItem>
          </IonList>
          {pushNote && (
            <p className="muted small" role="status">
              {pushNote}
            </p>
          )}
          <ErrorText>{notify.error ? describeError(t, notify.error) : undefined}</ErrorText>
          <IonButton
            expand="block"
            color="danger"
            fill="outline"
            onClick={() => void app.signOut()}
            data-testid="sign-out"
          >
            {t('me.signOut')}
          </IonButton>
          <p className="muted small center">{t('me.version', { v: m.version })}</p>
        </>
      )}
    </Screen>
  );
}

function ChangePassword() {
  const { t } = useTranslation();
  const { client } = useApp();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [done, setDone] = useState(false);
  const change = useMutation({
    mutationFn: () => client.me.changePassword(current, next),
    onSuccess: () => {
      setDone(true);
      setCurrent('');
      setNext('');
      setAgain('');
    },
  });
  const mismatch = again.length > 0 && next !== again;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!mismatch) change.mutate();
  };
  return (
    <Screen title={t('me.changePassword')} back="/me" tabs="me" testId="screen-password">
      <form onSubmit={submit}>
        <IonList inset>
          <IonItem>
            <IonInput
              label={t('me.currentPassword')}
              labelPlacement="stacked"
              type="password"
              autocomplete="current-password"
              value={current}
              onIonInput={(e) => setCurrent(String(e.detail.value ?? ''))}
              data-testid="pw-current"
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('me.newPassword')}
              labelPlacement="stacked"
              type="password"
              autocomplete="new-password"
              value={next}
              minlength={8}
              onIonInput={(e) => setNext(String(e.detail.value ?? ''))}
              data-testid="pw-new"
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('me.repeatPassword')}
              labelPlacement="stacked"
              type="password"
              autocomplete="new-password"
              value={again}
              onIonInput={(e) => setAgain(String(e.detail.value ?? ''))}
              data-testid="pw-again"
            />
          </IonItem>
        </IonList>
        <ErrorText>{mismatch ? t('me.mismatch') : change.error ? describeError(t, change.error) : undefined}</ErrorText>
        {done && (
          <p className="banner ok" role="status" data-testid="pw-done">
            {t('me.passwordChanged')}
          </p>
        )}
        <IonButton
          expand="block"
          type="submit"
          disabled={!current || next.length < 8 || next !== again || change.isPending}
          data-testid="pw-submit"
        >
          {t('me.changePassword')}
        </IonButton>
      </form>
    </Screen>
  );
}

function Organisations() {
  const { t } = useTranslation();
  const app = useApp();
  return (
    <Screen title={t('me.organisations')} back="/me" tabs="me" testId="screen-orgs">
      <IonList inset data-testid="org-list">
        {app.orgs.map((o) => (
          <IonItem key={o.orgId} data-testid="org-item">
            <IonLabel>
              <h2>{o.name}</h2>
              <p>{o.orgId === app.org?.orgId ? t('me.current') : new URL(o.api).host}</p>
            </IonLabel>
            {o.orgId !== app.org?.orgId && (
              <IonButton
                slot="end"
                onClick={() => {
                  app.switchOrg(o.orgId);
                  navigate('/signin', true);
                }}
                data-testid="org-switch"
              >
                {t('me.switch')}
              </IonButton>
            )}
          </IonItem>
        ))}
      </IonList>
      <IonButton expand="block" href="#/add" data-testid="org-add">
        {t('addOrg.title')}
      </IonButton>
    </Screen>
  );
}
