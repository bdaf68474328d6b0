import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { IonButton, IonChip, IonItem, IonLabel, IonList } from '@ionic/react';
import { IonInput, IonSegment, IonSegmentButton, IonSelect, IonSelectOption } from '../ionic-forms';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { navigate } from '../router';
import { ErrorText, Screen } from '../ui';

export default function SignIn() {
  const { t } = useTranslation();
  const app = useApp();
  const org = app.org!;
  const [role, setRole] = useState<'admin' | 'personnel'>('admin');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // Whether the site answers now (the broker's view of its tunnel): hello is public and cheap.
  const online = useQuery({
    queryKey: [org.orgId, 'site-online'],
    queryFn: async () => {
      await app.client.hello();
      return true;
    },
    retry: false,
    staleTime: 10_000,
  });
  const isOnline = online.data ?? org.online;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await app.signIn(
        role === 'admin'
          ? { type: 'admin', username: user.trim(), password }
          : { type: 'personnel', pin: user.trim(), password },
      );
      setPassword('');
      navigate(s.role === 'admin' ? '/dashboard' : '/notifications', true);
    } catch (err) {
      setError(describeError(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Screen title={t('signIn.title')} testId="screen-signin">
      <div className="org-head">
        <h2 data-testid="signin-org">{org.name}</h2>
        <IonChip color={online.isError ? 'medium' : isOnline ? 'success' : 'medium'} data-testid="signin-online">
          <IonLabel>{online.isError || !isOnline ? t('common.offline') : t('common.online')}</IonLabel>
        </IonChip>
      </div>
      {app.notice && (
        <p className="banner notice" role="status" data-testid="signin-notice">
          {app.notice}
        </p>
      )}
      <form onSubmit={(e) => void submit(e)}>
        <IonSegment value={role} onIonChange={(e) => setRole(e.detail.value as 'admin' | 'personnel')}>
          <IonSegmentButton value="admin" data-testid="role-admin">
            <IonLabel>{t('signIn.admin')}</IonLabel>
          </IonSegmentButton>
          <IonSegmentButton value="personnel" data-testid="role-personnel">
            <IonLabel>{t('signIn.personnel')}</IonLabel>
          </IonSegmentButton>
        </IonSegment>
        <IonList inset>
          <IonItem>
            <IonInput
              label={role === 'admin' ? t('signIn.username') : t('signIn.pin')}
              labelPlacement="stacked"
              autocomplete="username"
              inputMode={role === 'admin' ? 'text' : 'numeric'}
              value={user}
              required
              onIonInput={(e) => setUser(String(e.detail.value ?? ''))}
              data-testid="signin-user"
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('signIn.password')}
              labelPlacement="stacked"
              type="password"
              autocomplete="current-password"
              value={password}
              required
              onIonInput={(e) => setPassword(String(e.detail.value ?? ''))}
              data-testid="signin-password"
            />
          </IonItem>
        </IonList>
        <ErrorText testId="signin-error">{error}</ErrorText>
        <IonButton expand="block" type="submit" disabled={busy || !user || !password} data-testid="signin-submit">
          {busy ? t('signIn.signingIn') : t('signIn.submit')}
        </IonButton>
      </form>
      <p className="muted small">{t('signIn.e2e')}</p>
      {app.orgs.length > 1 && (
        <IonList inset>
          <IonItem>
            <IonSelect
              label={t('me.switchOrg')}
              value={org.orgId}
              onIonChange={(e) => app.switchOrg(String(e.detail.value))}
            >
              {app.orgs.map((o) => (
                <IonSelectOption key={o.orgId} value={o.orgId}>
                  {o.name}
                </IonSelectOption>
              ))}
            </IonSelect>
          </IonItem>
        </IonList>
      )}
      <IonButton expand="block" fill="clear" href="#/add" data-testid="another-org">
        {t('signIn.anotherOrg')}
      </IonButton>
    </Screen>
  );
}
