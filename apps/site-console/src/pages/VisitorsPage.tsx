import { useState, type ReactNode } from 'react';
import { App, Button, Card, DatePicker, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Page, VisitView } from '@lanbridge/mobile-api';
import { api } from '../api';
import { when } from '../format';
import { errorText } from './errors';
import { CsvButton, PageTitle, PAGE_SIZE, pager } from './shared';

interface VisitForm {
  name: string;
  contact?: string;
  hostPin?: string;
  period: [Dayjs, Dayjs];
  reason?: string;
}

export function VisitorsPage(): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const [adding, setAdding] = useState(false);
  const query = { q: q || undefined, status };
  const list = useQuery({
    queryKey: ['visits', query, page],
    queryFn: () => api<Page<VisitView>>('/api/v1/visits', { query: { ...query, page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  const step = useMutation({
    mutationFn: (v: { id: string; what: 'check-in' | 'check-out' }) =>
      api(`/api/v1/visits/${v.id}/${v.what}`, { method: 'POST' }),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['visits'] }),
    onError: (err) => void message.error(errorText(t, err)),
  });
  const statusTag = (s: VisitView['status']): ReactNode =>
    s === 'reserved' ? (
      <Tag color="blue">{t('visitors.reserved')}</Tag>
    ) : s === 'checked_in' ? (
      <Tag color="green">{t('visitors.checkedIn')}</Tag>
    ) : (
      <Tag>{t('visitors.checkedOut')}</Tag>
    );
  return (
    <>
      <PageTitle
        extra={
          <Space wrap>
            <CsvButton<VisitView>
              path="/api/v1/visits"
              query={query}
              filename="visitors.csv"
              header={['visitor', 'contact', 'host', 'reason', 'start', 'end', 'status', 'checked in', 'checked out']}
              row={(v) => [
                v.visitorName,
                v.contact,
                v.hostName,
                v.reason,
                v.startAt,
                v.endAt,
                v.status,
                v.checkedInAt,
                v.checkedOutAt,
              ]}
            />
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
              {t('visitors.add')}
            </Button>
          </Space>
        }
      >
        {t('nav.visitors')}
      </PageTitle>
      <Card>
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search
            allowClear
            placeholder={t('visitors.search')}
            aria-label={t('visitors.search')}
            onSearch={(v) => (setQ(v.trim()), setPage(1))}
            style={{ width: 240 }}
          />
          <Select
            allowClear
            aria-label={t('visitors.status')}
            placeholder={t('visitors.status')}
            value={status}
            onChange={(v) => (setStatus(v), setPage(1))}
            options={[
              { value: 'reserved', label: t('visitors.reserved') },
              { value: 'checked_in', label: t('visitors.checkedIn') },
              { value: 'checked_out', label: t('visitors.checkedOut') },
            ]}
            style={{ width: 170 }}
          />
        </Space>
        <Table<VisitView>
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items}
          scroll={{ x: 900 }}
          pagination={pager(page, setPage, list.data?.total)}
          columns={[
            { title: t('visitors.visitor'), dataIndex: 'visitorName' },
            { title: t('visitors.host'), dataIndex: 'hostName', render: (v: string | null) => v ?? '—' },
            { title: t('visitors.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '—' },
            { title: t('visitors.start'), dataIndex: 'startAt', render: (v: string) => when(v) },
            { title: t('visitors.status'), dataIndex: 'status', render: statusTag },
            {
              title: t('common.actions'),
              key: 'a',
              render: (_v, v) =>
                v.status === 'reserved' ? (
                  <Button size="small" onClick={() => step.mutate({ id: v.id, what: 'check-in' })}>
                    {t('visitors.checkIn')}
                  </Button>
                ) : v.status === 'checked_in' ? (
                  <Button size="small" onClick={() => step.mutate({ id: v.id, what: 'check-out' })}>
                    {t('visitors.checkOut')}
                  </Button>
                ) : null,
            },
          ]}
        />
      </Card>
      {adding && <AddVisit onClose={() => setAdding(false)} />}
    </>
  );
}

function AddVisit(props: { onClose: () => void }): ReactNode {
  const { t } = useTranslation();
  const queries = useQueryClient();
  const [form] = Form.useForm<VisitForm>();
  const save = useMutation({
    mutationFn: (v: VisitForm) =>
      api('/api/v1/visits', {
        method: 'POST',
        body: {
          name: v.name.trim(),
          contact: v.contact?.trim() || undefined,
          hostPin: v.hostPin?.trim() || undefined,
          startAt: v.period[0].toISOString(),
          endAt: v.period[1].toISOString(),
          reason: v.reason?.trim() || undefined,
        },
      }),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['visits'] });
      props.onClose();
    },
  });
  return (
    <Modal
      open
      title={t('visitors.add')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
      onCancel={props.onClose}
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={(v) => save.mutate(v)}
        initialValues={{ period: [dayjs(), dayjs().add(2, 'hour')] }}
      >
        <Form.Item name="name" label={t('visitors.visitor')} rules={[{ required: true, message: t('form.required') }]}>
          <Input />
        </Form.Item>
        <Form.Item name="contact" label={t('visitors.contact')}>
          <Input />
        </Form.Item>
        <Form.Item name="hostPin" label={t('visitors.hostPin')}>
          <Input />
        </Form.Item>
        <Form.Item name="period" label={t('visitors.period')} rules={[{ required: true, message: t('form.required') }]}>
          <DatePicker.RangePicker showTime />
        </Form.Item>
        <Form.Item name="reason" label={t('visitors.reason')}>
          <Input />
        </Form.Item>
        {save.error && (
          <Typography.Text type="danger" role="alert">
            {errorText(t, save.error)}
          </Typography.Text>
        )}
      </Form>
    </Modal>
  );
}
