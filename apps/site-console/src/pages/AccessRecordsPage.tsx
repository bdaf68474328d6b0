import { useState, type ReactNode } from 'react';
import { Card, Input, Space, Table, Tag } from 'antd';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { AccessRecordView, Page } from '@lanbridge/mobile-api';
import { api } from '../api';
import { when } from '../format';
import { CsvButton, DateRange, PageTitle, rangeQuery, type Range, PAGE_SIZE, pager } from './shared';

export function AccessRecordsPage(): ReactNode {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [range, setRange] = useState<Range>(null);
  const [page, setPage] = useState(1);
  const query = { q: q || undefined, ...rangeQuery(range) };
  const list = useQuery({
    queryKey: ['access-records', query, page],
    queryFn: () =>
      api<Page<AccessRecordView>>('/api/v1/access-records', { query: { ...query, page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  return (
    <>
      <PageTitle
        extra={
          <CsvButton<AccessRecordView>
            path="/api/v1/access-records"
            query={query}
            filename="access-records.csv"
            header={[
              'time',
              'granted',
              'event',
              'pin',
              'person',
              'card',
              'verify',
              'direction',
              'door',
              'device',
              'area',
            ]}
            row={(r) => [
              r.time,
              r.granted,
              r.eventName,
              r.pin,
              r.personName,
              r.cardNo,
              r.verifyMode,
              r.direction,
              r.doorName,
              r.deviceName,
              r.areaName,
            ]}
          />
        }
      >
        {t('nav.accessRecords')}
      </PageTitle>
      <Card>
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search
            allowClear
            placeholder={t('records.search')}
            aria-label={t('records.search')}
            onSearch={(v) => (setQ(v.trim()), setPage(1))}
            style={{ width: 260 }}
          />
          <DateRange value={range} onChange={(r) => (setRange(r), setPage(1))} />
        </Space>
        <Table<AccessRecordView>
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items}
          scroll={{ x: 900 }}
          pagination={pager(page, setPage, list.data?.total)}
          columns={[
            { title: t('common.time'), dataIndex: 'time', render: (v: string) => when(v), width: 180 },
            {
              title: t('records.result'),
              dataIndex: 'granted',
              render: (v: boolean) =>
                v ? <Tag color="green">{t('records.granted')}</Tag> : <Tag color="red">{t('records.denied')}</Tag>,
            },
            { title: t('alarms.event'), dataIndex: 'eventName' },
            {
              title: t('people.name'),
              key: 'p',
              render: (_v, r) => (r.personName ? `${r.personName} (${r.pin})` : (r.pin ?? '—')),
            },
            { title: t('records.verify'), dataIndex: 'verifyMode', render: (v: string | null) => v ?? '—' },
            { title: t('devices.door'), dataIndex: 'doorName', render: (v: string | null) => v ?? '—' },
            { title: t('devices.area'), dataIndex: 'areaName', render: (v: string | null) => v ?? '—' },
          ]}
        />
      </Card>
    </>
  );
}
