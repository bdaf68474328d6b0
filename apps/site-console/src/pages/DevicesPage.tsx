import { useState, type ReactNode } from 'react';
import {
  App,
  Badge,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { DeviceView, DoorView, LockdownGroupView, Page } from '@lanbridge/mobile-api';
import { api } from '../api';
import { ago, when } from '../format';
import { errorText } from './errors';
import { PAGE_SIZE, pager } from './shared';

interface AreaView {
  id: string;
  name: string;
  parentId: string | null;
  devices: number;
}

const useAreas = () => useQuery({ queryKey: ['areas'], queryFn: () => api<AreaView[]>('/api/v1/areas') });

export function DevicesPage(): ReactNode {
  const { t } = useTranslation();
  const pending = useQuery({
    queryKey: ['devices', 'pending'],
    queryFn: () => api<Page<DeviceView>>('/api/v1/devices', { query: { approval: 'pending', pageSize: 100 } }),
    refetchInterval: 10_000,
  });
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24, marginTop: 0 }}>
        {t('nav.devices')}
      </Typography.Title>
      <Card>
        <Tabs
          items={[
            { key: 'terminals', label: t('devices.terminals'), children: <Terminals /> },
            {
              key: 'pending',
              label: (
                <span>
                  {t('devices.pending')} <Badge count={pending.data?.total ?? 0} showZero={false} />
                </span>
              ),
              children: <Pending list={pending.data?.items ?? []} loading={pending.isLoading} />,
            },
            { key: 'areas', label: t('devices.areas'), children: <Areas /> },
            { key: 'doors', label: t('devices.doors'), children: <Doors /> },
            { key: 'lockdown', label: t('devices.lockdown'), children: <Lockdown /> },
          ]}
        />
      </Card>
    </>
  );
}

function Terminals(): ReactNode {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const list = useQuery({
    queryKey: ['devices', 'approved', page],
    queryFn: () => api<Page<DeviceView>>('/api/v1/devices', { query: { page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  return (
    <Table<DeviceView>
      rowKey="id"
      loading={list.isLoading}
      dataSource={list.data?.items}
      scroll={{ x: 800 }}
      pagination={pager(page, setPage, list.data?.total)}
      columns={[
        {
          title: t('devices.status'),
          key: 'status',
          render: (_v, d) => (
            <Badge
              status={d.online ? 'success' : 'default'}
              text={d.online ? t('devices.online') : t('devices.offline')}
            />
          ),
        },
        { title: t('devices.name'), dataIndex: 'name' },
        { title: t('devices.serial'), dataIndex: 'sn' },
        { title: t('devices.area'), dataIndex: 'areaName', render: (v: string | null) => v ?? '—' },
        { title: t('devices.model'), dataIndex: 'model', render: (v: string | null) => v ?? '—' },
        { title: t('devices.ip'), dataIndex: 'ip', render: (v: string | null) => v ?? '—' },
        {
          title: t('devices.lastSeen'),
          dataIndex: 'lastSeenAt',
          render: (v: string | null) => <span title={when(v)}>{ago(v)}</span>,
        },
      ]}
    />
  );
}

function Pending(props: { list: DeviceView[]; loading: boolean }): ReactNode {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const queries = useQueryClient();
  const [approving, setApproving] = useState<DeviceView | null>(null);
  const reject = (d: DeviceView): void => {
    modal.confirm({
      title: t('devices.rejectTitle', { sn: d.sn }),
      content: t('devices.rejectBody'),
      okText: t('devices.reject'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api(`/api/v1/devices/${d.id}/reject`, { method: 'POST' });
          void message.success(t('devices.rejected', { sn: d.sn }));
          await queries.invalidateQueries({ queryKey: ['devices'] });
        } catch (err) {
          void message.error(errorText(t, err));
        }
      },
    });
  };
  return (
    <>
      <Typography.Paragraph type="secondary">{t('devices.pendingHelp')}</Typography.Paragraph>
      <Table<DeviceView>
        rowKey="id"
        loading={props.loading}
        dataSource={props.list}
        pagination={false}
        scroll={{ x: 700 }}
        locale={{ emptyText: t('devices.noPending') }}
        columns={[
          { title: t('devices.serial'), dataIndex: 'sn' },
          { title: t('devices.model'), dataIndex: 'model', render: (v: string | null) => v ?? '—' },
          { title: t('devices.ip'), dataIndex: 'ip', render: (v: string | null) => v ?? '—' },
          { title: t('devices.firstSeen'), dataIndex: 'firstSeenAt', render: (v: string) => when(v) },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_v, d) => (
              <Space>
                <Button type="primary" size="small" onClick={() => setApproving(d)}>
                  {t('devices.approve')}
                </Button>
                <Button danger size="small" onClick={() => reject(d)}>
                  {t('devices.reject')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      {approving && <ApproveModal device={approving} onClose={() => setApproving(null)} />}
    </>
  );
}

function ApproveModal(props: { device: DeviceView; onClose: () => void }): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const areas = useAreas();
  const [form] = Form.useForm<{ areaId?: string; name?: string }>();
  const approve = useMutation({
    mutationFn: (v: { areaId?: string; name?: string }) =>
      api<DeviceView>(`/api/v1/devices/${props.device.id}/approve`, {
        method: 'POST',
        body: { areaId: v.areaId, name: v.name?.trim() || undefined },
      }),
    onSuccess: (d) => {
      void message.success(t('devices.approved', { name: d.name }));
      void queries.invalidateQueries({ queryKey: ['devices'] });
      void queries.invalidateQueries({ queryKey: ['areas'] });
      props.onClose();
    },
  });
  return (
    <Modal
      open
      title={t('devices.approveTitle', { sn: props.device.sn })}
      okText={t('devices.approve')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      confirmLoading={approve.isPending}
      onCancel={props.onClose}
    >
      <Typography.Paragraph type="secondary">{t('devices.approveHelp')}</Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={(v) => approve.mutate(v)}>
        <Form.Item name="name" label={t('devices.name')} rules={[{ max: 100 }]}>
          <Input placeholder={`${props.device.model ?? ''} ${props.device.sn}`.trim()} />
        </Form.Item>
        <Form.Item name="areaId" label={t('devices.area')} extra={t('devices.areaDefault')}>
          <Select
            allowClear
            loading={areas.isLoading}
            options={(areas.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
          />
        </Form.Item>
        {approve.error && (
          <Typography.Text type="danger" role="alert">
            {errorText(t, approve.error)}
          </Typography.Text>
        )}
      </Form>
    </Modal>
  );
}

function Areas(): ReactNode {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const queries = useQueryClient();
  const areas = useAreas();
  const [editing, setEditing] = useState<AreaView | 'new' | null>(null);
  const [form] = Form.useForm<{ name: string; parentId?: string }>();
  const save = useMutation({
    mutationFn: (v: { name: string; parentId?: string }) =>
      editing === 'new'
        ? api('/api/v1/areas', { method: 'POST', body: { name: v.name, parentId: v.parentId } })
        : api(`/api/v1/areas/${(editing as AreaView).id}`, { method: 'PATCH', body: { name: v.name } }),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['areas'] });
      setEditing(null);
    },
  });
  const names = new Map((areas.data ?? []).map((a) => [a.id, a.name]));
  const remove = (a: AreaView): void => {
    modal.confirm({
      title: t('devices.deleteAreaTitle', { name: a.name }),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api(`/api/v1/areas/${a.id}`, { method: 'DELETE' });
          await queries.invalidateQueries({ queryKey: ['areas'] });
        } catch (err) {
          void message.error(errorText(t, err));
        }
      },
    });
  };
  return (
    <>
      <Button
        type="primary"
        style={{ marginBottom: 12 }}
        onClick={() => {
          form.resetFields();
          setEditing('new');
        }}
      >
        {t('devices.addArea')}
      </Button>
      <Table<AreaView>
        rowKey="id"
        loading={areas.isLoading}
        dataSource={areas.data}
        pagination={false}
        columns={[
          { title: t('devices.areaName'), dataIndex: 'name' },
          {
            title: t('devices.parentArea'),
            dataIndex: 'parentId',
            render: (v: string | null) => (v ? (names.get(v) ?? '—') : '—'),
          },
          { title: t('devices.terminals'), dataIndex: 'devices' },
          {
            title: t('common.actions'),
            key: 'a',
            render: (_v, a) => (
              <Space>
                <Button
                  size="small"
                  onClick={() => {
                    form.setFieldsValue({ name: a.name });
                    setEditing(a);
                  }}
                >
                  {t('common.rename')}
                </Button>
                <Button size="small" danger onClick={() => remove(a)}>
                  {t('common.delete')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === 'new' ? t('devices.addArea') : t('common.rename')}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        onOk={() => form.submit()}
        confirmLoading={save.isPending}
        onCancel={() => setEditing(null)}
        forceRender
      >
        <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)}>
          <Form.Item
            name="name"
            label={t('devices.areaName')}
            rules={[{ required: true, max: 100, message: t('form.required') }]}
          >
            <Input />
          </Form.Item>
          {editing === 'new' && (
            <Form.Item name="parentId" label={t('devices.parentArea')}>
              <Select allowClear options={(areas.data ?? []).map((a) => ({ value: a.id, label: a.name }))} />
            </Form.Item>
          )}
          {save.error && (
            <Typography.Text type="danger" role="alert">
              {errorText(t, save.error)}
            </Typography.Text>
          )}
        </Form>
      </Modal>
    </>
  );
}

function Doors(): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const [page, setPage] = useState(1);
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState<DoorView | null>(null);
  const [form] = Form.useForm<{ name: string; driveTimeSec: number }>();
  const doors = useQuery({
    queryKey: ['doors', q, page],
    queryFn: () => api<Page<DoorView>>('/api/v1/doors', { query: { q: q || undefined, page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  const open = async (d: DoorView): Promise<void> => {
    const s = await api<{ name: string; driveTimeSec: number }>(`/api/v1/doors/${d.id}/settings`);
    form.setFieldsValue({ name: s.name, driveTimeSec: s.driveTimeSec });
    setEditing(d);
  };
  const save = useMutation({
    mutationFn: (v: { name: string; driveTimeSec: number }) =>
      api(`/api/v1/doors/${editing!.id}/settings`, { method: 'PATCH', body: v }),
    onSuccess: () => {
      void message.success(t('common.saved'));
      void queries.invalidateQueries({ queryKey: ['doors'] });
      setEditing(null);
    },
  });
  const unlock = useMutation({
    mutationFn: (d: DoorView) => api<{ status: string }>(`/api/v1/doors/${d.id}/unlock`, { method: 'POST', body: {} }),
    onSuccess: (o) => void message.info(t('devices.unlockResult', { status: o.status })),
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <>
      <Input.Search
        allowClear
        placeholder={t('devices.searchDoors')}
        aria-label={t('devices.searchDoors')}
        onSearch={(v) => {
          setQ(v.trim());
          setPage(1);
        }}
        style={{ width: 260, marginBottom: 12 }}
      />
      <Table<DoorView>
        rowKey="id"
        loading={doors.isLoading}
        dataSource={doors.data?.items}
        scroll={{ x: 800 }}
        pagination={pager(page, setPage, doors.data?.total)}
        columns={[
          { title: t('devices.door'), dataIndex: 'name' },
          { title: t('devices.terminal'), dataIndex: 'deviceName' },
          { title: t('devices.area'), dataIndex: 'areaName', render: (v: string | null) => v ?? '—' },
          { title: t('devices.sensor'), dataIndex: 'sensorState' },
          {
            title: t('devices.state'),
            key: 'state',
            render: (_v, d) => (
              <Space size={4}>
                {d.lockedDown && <Tag color="red">{t('devices.lockedDown')}</Tag>}
                <Badge
                  status={d.deviceOnline ? 'success' : 'default'}
                  text={d.deviceOnline ? t('devices.online') : t('devices.offline')}
                />
              </Space>
            ),
          },
          {
            title: t('common.actions'),
            key: 'a',
            render: (_v, d) => (
              <Space>
                <Button size="small" onClick={() => void open(d)}>
                  {t('devices.doorSettings')}
                </Button>
                <Button
                  size="small"
                  onClick={() => unlock.mutate(d)}
                  loading={unlock.isPending && unlock.variables?.id === d.id}
                >
                  {t('devices.unlock')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={t('devices.doorSettings')}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        onOk={() => form.submit()}
        confirmLoading={save.isPending}
        onCancel={() => setEditing(null)}
        forceRender
      >
        <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)}>
          <Form.Item
            name="name"
            label={t('devices.door')}
            rules={[{ required: true, max: 100, message: t('form.required') }]}
          >
            <Input />
          </Form.Item>
          <Form.Item name="driveTimeSec" label={t('devices.driveTime')} rules={[{ required: true }]}>
            <InputNumber min={1} max={254} />
          </Form.Item>
          {save.error && (
            <Typography.Text type="danger" role="alert">
              {errorText(t, save.error)}
            </Typography.Text>
          )}
        </Form>
      </Modal>
    </>
  );
}

function Lockdown(): ReactNode {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const queries = useQueryClient();
  const groups = useQuery({
    queryKey: ['lockdown'],
    queryFn: () => api<LockdownGroupView[] | Page<LockdownGroupView>>('/api/v1/lockdown/groups'),
  });
  const items = Array.isArray(groups.data) ? groups.data : (groups.data?.items ?? []);
  const act = (g: LockdownGroupView, what: 'activate' | 'cancel'): void => {
    modal.confirm({
      title:
        what === 'activate'
          ? t('devices.lockdownActivate', { name: g.name })
          : t('devices.lockdownCancel', { name: g.name }),
      okText: what === 'activate' ? t('devices.activate') : t('devices.release'),
      okButtonProps: { danger: what === 'activate' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api(`/api/v1/lockdown/groups/${g.id}/${what}`, { method: 'POST' });
          await queries.invalidateQueries({ queryKey: ['lockdown'] });
          await queries.invalidateQueries({ queryKey: ['doors'] });
        } catch (err) {
          void message.error(errorText(t, err));
        }
      },
    });
  };
  return (
    <Table<LockdownGroupView>
      rowKey="id"
      loading={groups.isLoading}
      dataSource={items}
      pagination={false}
      columns={[
        { title: t('devices.group'), dataIndex: 'name' },
        { title: t('devices.doors'), dataIndex: 'doorCount' },
        {
          title: t('devices.state'),
          key: 's',
          render: (_v, g) =>
            g.active ? <Tag color="red">{t('devices.underLockdown')}</Tag> : <Tag>{t('devices.normal')}</Tag>,
        },
        { title: t('devices.since'), dataIndex: 'activatedAt', render: (v: string | null) => (v ? when(v) : '—') },
        {
          title: t('common.actions'),
          key: 'a',
          render: (_v, g) =>
            g.active ? (
              <Button size="small" onClick={() => act(g, 'cancel')}>
                {t('devices.release')}
              </Button>
            ) : (
              <Button size="small" danger onClick={() => act(g, 'activate')}>
                {t('devices.activate')}
              </Button>
            ),
        },
      ]}
    />
  );
}
