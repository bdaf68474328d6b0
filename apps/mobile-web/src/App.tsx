import { lazy, Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { IonApp, IonSpinner } from '@ionic/react';
import { useApp } from './app-state';
import { navigate, type Route, useRoute } from './router';

const AddOrg = lazy(() => import('./screens/add-org'));
const SignIn = lazy(() => import('./screens/sign-in'));
const Dashboard = lazy(() => import('./screens/dashboard'));
const Alarms = lazy(() => import('./screens/alarms'));
const AppCenter = lazy(() => import('./screens/app-center'));
const RemoteControl = lazy(() => import('./screens/remote-control'));
const Lockdown = lazy(() => import('./screens/lockdown'));
const AccessRecords = lazy(() => import('./screens/access-records'));
const Visitors = lazy(() => import('./screens/visitors'));
const VisitStats = lazy(() => import('./screens/visit-stats'));
const Me = lazy(() => import('./screens/me'));
const Notifications = lazy(() => import('./screens/notifications'));
const Credential = lazy(() => import('./screens/credential'));
const Invitations = lazy(() => import('./screens/invitations'));

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `/o#<JWS>` redirects here with the fragment kept: open "add organisation" with that link. */
function takeQrFragment(): void {
  const frag = location.hash.replace(/^#/, '');
  if (JWS.test(frag)) navigate(`/add?link=${encodeURIComponent(`${location.origin}/o#${frag}`)}`, true);
}
takeQrFragment();

function Screen({ route }: { route: Route }) {
  const { org, session } = useApp();
  const [first, second, third] = route.parts;
  if (first === 'add' || !org) return <AddOrg route={route} />;
  if (!session || first === 'signin') return <SignIn />;
  const admin = session.role === 'admin';
  switch (first) {
    case 'dashboard':
      return admin ? <Dashboard /> : null;
    case 'alarms':
      return admin ? <Alarms id={second} /> : null;
    case 'apps':
      if (!second) return <AppCenter />;
      if (admin && second === 'remote') return <RemoteControl />;
      if (admin && second === 'lockdown') return <Lockdown />;
      if (admin && second === 'records') return <AccessRecords id={third} />;
      if (admin && second === 'visitors') return <Visitors sub={third} />;
      if (admin && second === 'statistics') return <VisitStats />;
      if (!admin && second === 'qr') return <Credential />;
      if (!admin && second === 'invitations') return <Invitations sub={third} />;
      return null;
    case 'notifications':
      return admin ? null : <Notifications />;
    case 'me':
      return <Me sub={second} />;
    default:
      return null;
  }
}

export function App() {
  const { t } = useTranslation();
  const { ready, org, session } = useApp();
  const route = useRoute();
  const home = session?.role === 'admin' ? '/dashboard' : '/notifications';

  useEffect(() => {
    if (!ready) return;
    const first = route.parts[0];
    if (!org && first !== 'add') navigate('/add', true);
    else if (org && !session && first !== 'signin' && first !== 'add') navigate('/signin', true);
    else if (session && (!first || first === 'signin')) navigate(home, true);
  }, [ready, org, session, route, home]);

  return (
    <IonApp>
      {!navigator.onLine && !session && (
        <div className="banner offline" role="status" data-testid="offline-banner">
          {t('live.offlineShell')}
        </div>
      )}
      {ready ? (
        <Suspense fallback={<Spinner />}>
          <Screen route={route} key={route.path} />
        </Suspense>
      ) : (
        <Spinner />
      )}
    </IonApp>
  );
}

function Spinner() {
  const { t } = useTranslation();
  return (
    <div className="center-spinner" role="status" aria-label={t('common.loading')}>
      <IonSpinner />
    </div>
  );
}
