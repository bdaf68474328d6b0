import { useTranslation } from 'react-i18next';
import { IonIcon, IonItem, IonLabel, IonList } from '@ionic/react';
import {
  barChartOutline,
  lockClosedOutline,
  keyOutline,
  listOutline,
  mailOutline,
  peopleOutline,
  qrCodeOutline,
} from 'ionicons/icons';
import { useApp } from '../app-state';
import { Screen } from '../ui';

export default function AppCenter() {
  const { t } = useTranslation();
  const { session } = useApp();
  const items =
    session?.role === 'admin'
      ? [
          { id: 'remote', icon: keyOutline },
          { id: 'lockdown', icon: lockClosedOutline },
          { id: 'records', icon: listOutline },
          { id: 'visitors', icon: peopleOutline },
          { id: 'statistics', icon: barChartOutline },
        ]
      : [
          { id: 'qr', icon: qrCodeOutline },
          { id: 'invitations', icon: mailOutline },
        ];
  return (
    <Screen title={t('tabs.apps')} tabs="apps" testId="screen-apps">
      <IonList inset>
        {items.map((i) => (
          <IonItem key={i.id} href={`#/apps/${i.id}`} detail data-testid={`app-${i.id}`}>
            <IonIcon slot="start" icon={i.icon} aria-hidden="true" />
            <IonLabel>
              <h2>{t(`apps.${i.id}.title`)}</h2>
              <p>{t(`apps.${i.id}.hint`)}</p>
            </IonLabel>
          </IonItem>
        ))}
      </IonList>
    </Screen>
  );
}
