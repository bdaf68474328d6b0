import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import {
  IonBadge,
  IonButton,
  IonButtons,
  IonContent,
  IonHeader,
  IonIcon,
  IonPage,
  IonRefresher,
  IonRefresherContent,
  IonSkeletonText,
  IonText,
  IonTitle,
  IonToolbar,
} from '@ionic/react';
import {
  alertCircleOutline,
  appsOutline,
  chevronBack,
  notificationsOutline,
  personCircleOutline,
  speedometerOutline,
} from 'ionicons/icons';
import { useUnread } from './queries';
import { useApp } from './app-state';

export function Screen(props: {
  title: string;
  back?: string;
  children: ReactNode;
  end?: ReactNode;
  onRefresh?: () => Promise<unknown>;
  testId?: string;
  /** The tab this screen belongs to (shows the tab bar). */
  tabs?: string;
}) {
  const { t } = useTranslation();
  const { link, session } = useApp();
  return (
    <IonPage data-testid={props.testId}>
      <IonHeader>
        <IonToolbar>
          {props.back !== undefined && (
            <IonButtons slot="start">
              <IonButton href={`#${props.back}`} aria-label={t('common.back')} data-testid="back">
                <IonIcon slot="icon-only" icon={chevronBack} aria-hidden="true" />
              </IonButton>
            </IonButtons>
          )}
          <IonTitle>
            <h1 className="title">{props.title}</h1>
          </IonTitle>
          {props.end && <IonButtons slot="end">{props.end}</IonButtons>}
        </IonToolbar>
        {session && link === 'offline' && (
          <div className="banner offline" role="status" data-testid="offline-banner">
            {t('live.offline')}
          </div>
        )}
      </IonHeader>
      <IonContent className="ion-padding">
        {props.onRefresh && (
          <IonRefresher
            slot="fixed"
            onIonRefresh={(e) => void props.onRefresh!().finally(() => void e.detail.complete())}
          >
            <IonRefresherContent />
          </IonRefresher>
        )}
        {props.children}
      </IonContent>
      {props.tabs && <Tabs current={props.tabs} />}
    </IonPage>
  );
}

/** Reserves the space of the data to come, so nothing jumps when it arrives. */
export function Loading({ lines = 3 }: { lines?: number }) {
  return (
    <div aria-busy="true">
      {Array.from({ length: lines }, (_, i) => (
        <IonSkeletonText key={i} animated style={{ height: 44, marginBottom: 8 }} />
      ))}
    </div>
  );
}

export function ErrorText({ children, testId }: { children: ReactNode; testId?: string }) {
  if (!children) return null;
  return (
    <IonText color="danger">
      <p role="alert" className="error" data-testid={testId ?? 'error'}>
        {children}
      </p>
    </IonText>
  );
}

export function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}

export interface TabDef {
  readonly id: string;
  readonly href: string;
  readonly icon: string;
  readonly label: string;
  readonly badge?: number;
}

/** The bottom tab bar: links, so the hash router and the back gesture work as on any page. */
export function Tabs({ current }: { current: string }) {
  const { t } = useTranslation();
  const { session } = useApp();
  const unread = useUnread();
  const defs: TabDef[] =
    session?.role === 'admin'
      ? [
          { id: 'dashboard', href: '/dashboard', icon: speedometerOutline, label: t('tabs.dashboard') },
          { id: 'alarms', href: '/alarms', icon: alertCircleOutline, label: t('tabs.alarms') },
          { id: 'apps', href: '/apps', icon: appsOutline, label: t('tabs.apps') },
          { id: 'me', href: '/me', icon: personCircleOutline, label: t('tabs.me') },
        ]
      : [
          {
            id: 'notifications',
            href: '/notifications',
            icon: notificationsOutline,
            label: t('tabs.notifications'),
            badge: unread,
          },
          { id: 'apps', href: '/apps', icon: appsOutline, label: t('tabs.apps') },
          { id: 'me', href: '/me', icon: personCircleOutline, label: t('tabs.me') },
        ];
  return (
    <nav className="tabbar" aria-label={t('tabs.label')}>
      {defs.map((d) => (
        <a
          key={d.id}
          href={`#${d.href}`}
          className={d.id === current ? 'tab selected' : 'tab'}
          aria-current={d.id === current ? 'page' : undefined}
          data-testid={`tab-${d.id}`}
        >
          <IonIcon icon={d.icon} aria-hidden="true" />
          <span>{d.label}</span>
          {d.badge ? (
            <IonBadge color="danger" className="tab-badge" data-testid="unread-badge">
              {d.badge}
            </IonBadge>
          ) : null}
        </a>
      ))}
    </nav>
  );
}
