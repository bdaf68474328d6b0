import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IonBadge, IonButton, IonItem, IonLabel, IonList, IonNote } from '@ionic/react';
import { IonSearchbar, IonSegment, IonSegmentButton, IonTextarea } from '../ionic-forms';
import type { AlarmView } from '@lanbridge/mobile-sdk';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, formatTime, Loading, Screen } from '../ui';

export default function Alarms({ id }: { id?: string }) {
  return id ? <AlarmDetail id={id} /> : <AlarmList />;
}

type Filter = 'all' | 'unconfirmed' | 'confirmed';

function AlarmList() {
  const { t, i18n } = useTranslation();
  const { client, onEvent } = useApp();
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<Filter>('unconfirmed');
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const summary = useQuery({ queryKey: useKey('alarms', 'summary'), queryFn: () => client.alarms.summary() });
  const list = useQuery({
    queryKey: useKey('alarms', 'list', search, filter),
    queryFn: () =>
      client.alarms.list({
        q: search || undefined,
        confirmed: filter === 'all' ? undefined : filter === 'confirmed',
        pageSize: 50,
      }),
    placeholderData: (prev) => prev,
  });
  // Live: the stream invalidates the list; mark what arrived while looking at it.
  useEffect(
    () =>
      onEvent((e) => {
        if (e.type === 'alarm') {
          const a = e.data as AlarmView;
          setFresh((s) => new Set(s).add(a.id));
        }
      }),
    [onEvent],
  );
  const s = summary.data;
  return (
    <Screen
      title={t('tabs.alarms')}
      tabs="alarms"
      testId="screen-alarms"
      onRefresh={() => Promise.all([summary.refetch(), list.refetch()])}
    >
      <div className="stats three" data-testid="alarm-counts">
        <div className="stat" data-testid="alarm-total">
          <span className="stat-value">{s?.total ?? '–'}</span>
          <span className="stat-label">{t('alarms.total')}</span>
        </div>
        <div className="stat bad" data-testid="alarm-unconfirmed">
          <span className="stat-value">{s?.unconfirmed ?? '–'}</span>
          <span className="stat-label">{t('alarms.unconfirmed')}</span>
        </div>
        <div className="stat ok" data-testid="alarm-confirmed">
          <span className="stat-value">{s?.confirmed ?? '–'}</span>
          <span className="stat-label">{t('alarms.confirmed')}</span>
        </div>
      </div>
      <IonSearchbar
        value={search}
        debounce={300}
        placeholder={t('alarms.search')}
        aria-label={t('alarms.search')}
        onIonInput={(e) => setSearch(e.detail.value ?? '')}
        data-testid="alarm-search"
      />
      <IonSegment value={filter} onIonChange={(e) => setFilter(e.detail.value as Filter)}>
        <IonSegmentButton value="unconfirmed" data-testid="filter-unconfirmed">
          <IonLabel>{t('alarms.unconfirmed')}</IonLabel>
        </IonSegmentButton>
        <IonSegmentButton value="confirmed" data-testid="filter-confirmed">
          <IonLabel>{t('alarms.confirmed')}</IonLabel>
        </IonSegmentButton>
        <IonSegmentButton value="all" data-testid="filter-all">
          <IonLabel>{t('alarms.all')}</IonLabel>
        </IonSegmentButton>
      </IonSegment>
      <ErrorText>{list.error ? describeError(t, list.error) : undefined}</ErrorText>
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p className="empty">{t('alarms.none')}</p>
      ) : (
        <IonList data-testid="alarm-list">
          {list.data.items.map((a) => (
            <IonItem key={a.id} href={`#/alarms/${a.id}`} detail data-testid="alarm-item">
              <IonLabel>
                <h2>{a.eventName}</h2>
                <p>{a.description}</p>
                <p>{formatTime(a.time, i18n.language)}</p>
              </IonLabel>
              {fresh.has(a.id) && (
                <IonBadge color="danger" slot="end">
                  {t('alarms.new')}
                </IonBadge>
              )}
              {a.confirmed && (
                <IonNote slot="end" color="success">
                  {t('alarms.confirmedOne')}
                </IonNote>
              )}
            </IonItem>
          ))}
        </IonList>
      )}
    </Screen>
  );
}

function AlarmDetail({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const { client, org } = useApp();
  const qc = useQueryClient();
  const [remark, setRemark] = useState('');
  const q = useQuery({ queryKey: useKey('alarms', 'detail', id), queryFn: () => client.alarms.get(id) });
  const confirm = useMutation({
    mutationFn: () => client.alarms.confirm(id, remark.trim() || undefined),
    onSuccess: (a) => {
      qc.setQueryData([org?.orgId, 'alarms', 'detail', id], a);
      void qc.invalidateQueries({ queryKey: [org?.orgId, 'alarms'] });
    },
  });
  const a = q.data;
  return (
    <Screen title={t('alarms.detail')} back="/alarms" tabs="alarms" testId="screen-alarm-detail">
      <ErrorText>{q.error ? describeError(t, q.error) : undefined}</ErrorText>
      {!a ? (
        <Loading lines={6} />
      ) : (
        <>
          <h2 data-testid="alarm-title">{a.eventName}</h2>
          <p>{a.description}</p>
          <IonList inset>
            <Row label={t('alarms.time')} value={formatTime(a.time, i18n.language)} />
            <Row label={t('alarms.level')} value={t(`alarms.levels.${a.level}`)} />
            <Row label={t('alarms.device')} value={a.deviceName ?? '—'} />
            <Row label={t('alarms.source')} value={a.source} />
            <Row label={t('alarms.area')} value={a.areaName ?? '—'} />
            {a.personName && <Row label={t('alarms.person')} value={a.personName} />}
            <Row
              label={t('alarms.status')}
              value={a.confirmed ? t('alarms.confirmedBy', { by: a.confirmedBy ?? '' }) : t('alarms.unconfirmedOne')}
              testId="alarm-status"
            />
            {a.remark && <Row label={t('alarms.remark')} value={a.remark} testId="alarm-remark" />}
          </IonList>
          {!a.confirmed && (
            <>
              <IonList inset>
                <IonItem>
                  <IonTextarea
                    label={t('alarms.remark')}
                    labelPlacement="stacked"
                    value={remark}
                    maxlength={200}
                    onIonInput={(e) => setRemark(e.detail.value ?? '')}
                    data-testid="alarm-remark-input"
                  />
                </IonItem>
              </IonList>
              <ErrorText>{confirm.error ? describeError(t, confirm.error) : undefined}</ErrorText>
              <IonButton
                expand="block"
                disabled={confirm.isPending}
                onClick={() => confirm.mutate()}
                data-testid="alarm-confirm"
              >
                {t('alarms.confirm')}
              </IonButton>
            </>
          )}
        </>
      )}
    </Screen>
  );
}

export function Row({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <IonItem lines="full">
      <IonLabel>
        <p>{label}</p>
        <h3 data-testid={testId}>{value}</h3>
      </IonLabel>
    </IonItem>
  );
}
