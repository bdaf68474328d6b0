import { useState, type ReactNode } from 'react';
import { Card, Input, Space, Table, Typography } from 'antd';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Page } from '@lanbridge/mobile-api';
import { api } from '../api';
import { when } from '../format';
import { CsvButton, DateRange, PageTitle, rangeQuery, type Range, PAGE_SIZE, pager } from './shared';

interface Entry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

export function OperationLogPage(): ReactNode {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [range, setRange] = useState<Range>(null);
  const [page, setPage] = useState(1);
  const query = { q: q || undefined, ...rangeQuery(range) };
  const list = useQuery({
    queryKey: ['operation-log', query, page],
    queryFn: () => api<Page<Entry>>('/api/v1/operation-log', { query: { ...query, page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageTitle
        extra={
          <CsvButton<Entry>
            path="/api/v1/operation-log"
            query={query}
            filename="operation-log.csv"
            header={['time', 'who', 'action', 'target', 'ip']}
            row={(e) => [e.at, e.actor, e.action, e.target, e.ip]}
          />
        }
      >
        {t('nav.operationLog')}
      </PageTitle>
      <Card>
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search
            allowClear
            placeholder={t('log.search')}
            aria-label={t('log.search')}
            onSearch={(v) => (setQ(v.trim()), setPage(1))}
            style={{ width: 280 }}
          />
          <DateRange value={range} onChange={(r) => (setRange(r), setPage(1))} />
        </Space>
        <Table<Entry>
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items}
          scroll={{ x: 800 }}
          pagination={pager(page, setPage, list.data?.total)}
          columns={[
            { title: t('common.time'), dataIndex: 'at', render: (v: string) => when(v), width: 180 },
            { title: t('log.who'), dataIndex: 'actor' },
            {
              title: t('log.action'),
              dataIndex: 'action',
              render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
            },
            { title: t('log.target'), dataIndex: 'target', render: (v: string | null) => v ?? '—' },
            { title: t('log.from'), dataIndex: 'ip', render: (v: string | null) => v ?? '—' },
          ]}
        />
      </Card>
    </>
  );
}
