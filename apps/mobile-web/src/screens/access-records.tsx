import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { IonItem, IonLabel, IonList, IonNote } from '@ionic/react';
import { IonSearchbar } from '../ionic-forms';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, formatTime, Loading, Screen } from '../ui';
import { Row } from './alarms';

export default function AccessRecords({ id }: { id?: string }) {
  return id ? <RecordDetail id={id} /> : <RecordList />;
}

function RecordList() {
  const { t, i18n } = useTranslation();
  const { client } = useApp();
  const [search, setSearch] = useState('');
  const q = useQuery({
    queryKey: useKey('event', 'records', search),
    queryFn: () => client.accessRecords.list({ q: search || undefined, pageSize: 50 }),
    placeholderData: (prev) => prev,
  });
  return (
    <Screen
      title={t('apps.records.title')}
      back="/apps"
      tabs="apps"
      testId="screen-records"
      onRefresh={() => q.refetch()}
    >
      <IonSearchbar
        value={search}
        debounce={300}
        aria-label={t('records.search')}
        placeholder={t('records.search')}
        onIonInput={(e) => setSearch(e.detail.value ?? '')}
        data-testid="record-search"
      />
      <ErrorText>{q.error ? describeError(t, q.error) : undefined}</ErrorText>
      {!q.data ? (
        <Loading />
      ) : q.data.items.length === 0 ? (
        <p className="empty">{t('records.none')}</p>
      ) : (
        <IonList data-testid="record-list">
          {q.data.items.map((r) => (
            <IonItem key={r.id} href={`#/apps/records/${r.id}`} detail data-testid="record-item">
              <IonLabel>
                <h2>{r.personName ?? r.cardNo ?? t('records.unknown')}</h2>
                <p>
                  {r.doorName ?? r.deviceName} · {formatTime(r.time, i18n.language)}
                </p>
              </IonLabel>
              <IonNote slot="end" color={r.granted ? 'success' : 'danger'}>
                {r.granted ? t('records.granted') : t('records.denied')}
              </IonNote>
            </IonItem>
          ))}
        </IonList>
      )}
    </Screen>
  );
}

function RecordDetail({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const { client } = useApp();
  const q = useQuery({ queryKey: useKey('event', 'record', id), queryFn: () => client.accessRecords.get(id) });
  const r = q.data;
  return (
    <Screen title={t('records.detail')} back="/apps/records" tabs="apps" testId="screen-record-detail">
      <ErrorText>{q.error ? describeError(t, q.error) : undefined}</ErrorText>
      {!r ? (
        <Loading lines={6} />
      ) : (
        <IonList inset>
          <Row label={t('records.person')} value={r.personName ?? '—'} testId="record-person" />
          <Row label={t('records.pin')} value={r.pin ?? '—'} />
          <Row label={t('records.event')} value={r.eventName} />
          <Row label={t('records.result')} value={r.granted ? t('records.granted') : t('records.denied')} />
          <Row label={t('alarms.time')} value={formatTime(r.time, i18n.language)} />
          <Row label={t('records.door')} value={r.doorName ?? '—'} />
          <Row label={t('alarms.device')} value={r.deviceName ?? '—'} />
          <Row label={t('records.verifyMode')} value={r.verifyMode ?? '—'} />
          <Row label={t('alarms.area')} value={r.areaName ?? '—'} />
        </IonList>
      )}
    </Screen>
  );
}
