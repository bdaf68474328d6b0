import { useState, type ReactNode } from 'react';
import { App, Button, Card, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { AlarmView, Page } from '@lanbridge/mobile-api';
import { api } from '../api';
import { when } from '../format';
import { errorText } from './errors';
import { CsvButton, DateRange, PageTitle, rangeQuery, type Range, PAGE_SIZE, pager } from './shared';

export function AlarmsPage(): ReactNode {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [level, setLevel] = useState<string | undefined>();
  const [confirmed, setConfirmed] = useState<string | undefined>('false');
  const [range, setRange] = useState<Range>(null);
  const [page, setPage] = useState(1);
  const [confirming, setConfirming] = useState<AlarmView | null>(null);
  const query = { q: q || undefined, level, confirmed, ...rangeQuery(range) };
  const list = useQuery({
    queryKey: ['alarms', query, page],
    queryFn: () => api<Page<AlarmView>>('/api/v1/alarms', { query: { ...query, page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageTitle
        extra={
          <CsvButton<AlarmView>
            path="/api/v1/alarms"
            query={query}
            filename="alarms.csv"
            header={['time', 'level', 'event', 'description', 'device', 'door', 'area', 'confirmed']}
            row={(a) => [
              a.time,
              a.level,
              a.eventName,
              a.description,
              a.deviceName,
              a.doorName,
              a.areaName,
              a.confirmed,
            ]}
          />
        }
      >
        {t('nav.alarms')}
      </PageTitle>
      <Card>
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search
            allowClear
            placeholder={t('alarms.search')}
            aria-label={t('alarms.search')}
            onSearch={(v) => (setQ(v.trim()), setPage(1))}
            style={{ width: 220 }}
          />
          <Select
            allowClear
            aria-label={t('alarms.level')}
            placeholder={t('alarms.level')}
            value={level}
            onChange={(v) => (setLevel(v), setPage(1))}
            options={[
              { value: 'alarm', label: t('alarms.levelAlarm') },
              { value: 'exception', label: t('alarms.levelException') },
            ]}
            style={{ width: 150 }}
          />
          <Select
            allowClear
            aria-label={t('alarms.state')}
            placeholder={t('alarms.state')}
            value={confirmed}
            onChange={(v) => (setConfirmed(v), setPage(1))}
            options={[
              { value: 'false', label: t('alarms.unconfirmed') },
              { value: 'true', label: t('alarms.confirmed') },
            ]}
            style={{ width: 160 }}
          />
          <DateRange value={range} onChange={(r) => (setRange(r), setPage(1))} />
        </Space>
        <Table<AlarmView>
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items}
          scroll={{ x: 900 }}
          pagination={pager(page, setPage, list.data?.total)}
          columns={[
            { title: t('common.time'), dataIndex: 'time', render: (v: string) => when(v), width: 180 },
            {
              title: t('alarms.level'),
              dataIndex: 'level',
              render: (v: string) => (
                <Tag color={v === 'alarm' ? 'red' : 'orange'}>
                  {v === 'alarm' ? t('alarms.levelAlarm') : t('alarms.levelException')}
                </Tag>
              ),
            },
            { title: t('alarms.event'), dataIndex: 'eventName' },
            { title: t('devices.terminal'), dataIndex: 'deviceName', render: (v: string | null) => v ?? '—' },
            { title: t('devices.door'), dataIndex: 'doorName', render: (v: string | null) => v ?? '—' },
            { title: t('devices.area'), dataIndex: 'areaName', render: (v: string | null) => v ?? '—' },
            {
              title: t('alarms.state'),
              key: 'c',
              render: (_v, a) =>
                a.confirmed ? (
                  <Tag color="green">{t('alarms.confirmed')}</Tag>
                ) : (
                  <Button size="small" type="primary" onClick={() => setConfirming(a)}>
                    {t('alarms.confirm')}
                  </Button>
                ),
            },
          ]}
        />
      </Card>
      {confirming && <ConfirmModal alarm={confirming} onClose={() => setConfirming(null)} />}
    </>
  );
}

function ConfirmModal(props: { alarm: AlarmView; onClose: () => void }): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const [remark, setRemark] = useState('');
  const confirm = useMutation({
    mutationFn: () =>
      api(`/api/v1/alarms/${props.alarm.id}/confirm`, { method: 'POST', body: { remark: remark.trim() || undefined } }),
    onSuccess: () => {
      void message.success(t('alarms.confirmedOk'));
      void queries.invalidateQueries({ queryKey: ['alarms'] });
      void queries.invalidateQueries({ queryKey: ['overview'] });
      props.onClose();
    },
  });
  return (
    <Modal
      open
      title={t('alarms.confirmTitle', { event: props.alarm.eventName })}
      okText={t('alarms.confirm')}
      cancelText={t('common.cancel')}
      confirmLoading={confirm.isPending}
      onOk={() => confirm.mutate()}
      onCancel={props.onClose}
    >
      <Typography.Paragraph>
        {when(props.alarm.time)} · {props.alarm.description}
      </Typography.Paragraph>
      <Input.TextArea
        value={remark}
        onChange={(e) => setRemark(e.target.value)}
        maxLength={500}
        rows={3}
        placeholder={t('alarms.remark')}
        aria-label={t('alarms.remark')}
      />
      {confirm.error && (
        <Typography.Text type="danger" role="alert">
          {errorText(t, confirm.error)}
        </Typography.Text>
      )}
    </Modal>
  );
}
