import { useState, type ReactNode } from 'react';
import { App, Button, Card, Drawer, Form, Input, Space, Switch, Table, Tag, Typography, Divider } from 'antd';
import { DeleteOutlined, DownloadOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Page, PersonView } from '@lanbridge/mobile-api';
import { api } from '../api';
import { download, when } from '../format';
import { PersonAvatar, PhotoField } from '../photo';
import { errorText } from './errors';
import { PAGE_SIZE, pager } from './shared';

interface FormValues {
  pin: string;
  firstName: string;
  lastName?: string;
  cardNo?: string;
  department?: string;
  email?: string;
  password?: string;
  appLoginEnabled?: boolean;
  photo?: string | null;
}

const blankToUndefined = (v: string | undefined): string | undefined => (v && v.trim() ? v.trim() : undefined);

export function PeoplePage(): ReactNode {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const queries = useQueryClient();
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<PersonView | 'new' | null>(null);

  const list = useQuery({
    queryKey: ['people', q, page],
    queryFn: () => api<Page<PersonView>>('/api/v1/people', { query: { q: q || undefined, page, pageSize: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  const refresh = (): Promise<void> => queries.invalidateQueries({ queryKey: ['people'] });

  const appLogin = useMutation({
    mutationFn: (v: { id: string; enabled: boolean }) =>
      api<PersonView>(`/api/v1/people/${v.id}/app-login`, { method: 'PUT', body: { enabled: v.enabled } }),
    onSuccess: (p) => {
      void message.success(
        p.appLoginEnabled ? t('people.appLoginOn', { name: p.name }) : t('people.appLoginOff', { name: p.name }),
      );
      void refresh();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });

  const exportData = async (p: PersonView): Promise<void> => {
    try {
      const data = await api<unknown>(`/api/v1/people/${p.id}/export`);
      download(`person-${p.pin}.json`, new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      void message.success(t('people.exported', { name: p.name }));
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };

  const erase = (p: PersonView): void => {
    modal.confirm({
      title: t('people.eraseTitle', { name: p.name }),
      content: t('people.eraseBody'),
      okText: t('people.erase'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api(`/api/v1/people/${p.id}`, { method: 'DELETE' });
          void message.success(t('people.erased', { name: p.name }));
          await refresh();
        } catch (err) {
          void message.error(errorText(t, err));
        }
      },
    });
  };

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Typography.Title level={1} style={{ fontSize: 24, margin: 0 }}>
          {t('nav.people')}
        </Typography.Title>
        <Space wrap>
          <Input.Search
            placeholder={t('people.search')}
            aria-label={t('people.search')}
            allowClear
            onSearch={(v) => {
              setQ(v.trim());
              setPage(1);
            }}
            style={{ width: 260 }}
          />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
            {t('people.add')}
          </Button>
        </Space>
      </Space>
      <Card>
        <Table<PersonView>
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items}
          scroll={{ x: 900 }}
          pagination={pager(page, setPage, list.data?.total)}
          columns={[
            {
              title: t('people.photo'),
              key: 'photo',
              width: 72,
              render: (_v, p) => <PersonAvatar url={p.photoUrl} name={p.name} />,
            },
            { title: t('people.pin'), dataIndex: 'pin', width: 110 },
            { title: t('people.name'), dataIndex: 'name' },
            { title: t('people.card'), dataIndex: 'cardNo', render: (v: string | null) => v ?? '—' },
            { title: t('people.department'), dataIndex: 'department', render: (v: string | null) => v ?? '—' },
            {
              title: t('people.appLogin'),
              key: 'appLogin',
              render: (_v, p) => (
                <Switch
                  checked={p.appLoginEnabled}
                  aria-label={t('people.appLoginFor', { name: p.name })}
                  loading={appLogin.isPending && appLogin.variables?.id === p.id}
                  onChange={(enabled) => appLogin.mutate({ id: p.id, enabled })}
                />
              ),
            },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_v, p) => (
                <Space size={4} wrap>
                  <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(p)}>
                    {t('common.edit')}
                  </Button>
                  <Button size="small" icon={<DownloadOutlined />} onClick={() => void exportData(p)}>
                    {t('people.export')}
                  </Button>
                  <Button size="small" danger icon={<DeleteOutlined />} onClick={() => erase(p)}>
                    {t('people.erase')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      {editing && (
        <PersonDrawer
          person={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void refresh();
          }}
        />
      )}
    </>
  );
}

function PersonDrawer(props: { person: PersonView | null; onClose: () => void; onSaved: () => void }): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const p = props.person;
  const [error, setError] = useState<string | null>(null);

  const save = useMutation({
    mutationFn: (v: FormValues) => {
      if (!p) {
        return api<PersonView>('/api/v1/people', {
          method: 'POST',
          body: {
            pin: v.pin.trim(),
            firstName: v.firstName,
            lastName: blankToUndefined(v.lastName),
            cardNo: blankToUndefined(v.cardNo),
            department: blankToUndefined(v.department),
            email: blankToUndefined(v.email),
            password: v.password || undefined,
            appLoginEnabled: v.appLoginEnabled ?? false,
            photo: v.photo ?? undefined,
          },
        });
      }
      const body: Record<string, unknown> = { firstName: v.firstName, lastName: v.lastName ?? '' };
      if (blankToUndefined(v.cardNo)) body.cardNo = v.cardNo!.trim();
      if (blankToUndefined(v.department)) body.department = v.department!.trim();
      if (v.password) body.password = v.password;
      if (v.photo !== undefined) body.photo = v.photo;
      return api<PersonView>(`/api/v1/people/${p.id}`, { method: 'PATCH', body });
    },
    onSuccess: (saved) => {
      void message.success(t('people.saved', { name: saved.name }));
      props.onSaved();
    },
    onError: (err) => setError(errorText(t, err)),
  });

  return (
    <Drawer
      open
      size={520}
      title={p ? t('people.editTitle', { name: p.name }) : t('people.add')}
      onClose={props.onClose}
      extra={
        <Space>
          <Button onClick={props.onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={save.isPending} onClick={() => form.submit()} data-testid="person-save">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        requiredMark="optional"
        initialValues={
          p
            ? {
                pin: p.pin,
                firstName: p.firstName,
                lastName: p.lastName,
                cardNo: p.cardNo ?? '',
                department: p.department ?? '',
              }
            : { appLoginEnabled: false }
        }
        onFinish={(v) => {
          setError(null);
          save.mutate(v);
        }}
      >
        <Form.Item
          name="pin"
          label={t('people.pin')}
          extra={t('people.pinHelp')}
          rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{1,24}$/, message: t('people.pinRule') }]}
        >
          <Input disabled={!!p} />
        </Form.Item>
        <Form.Item
          name="firstName"
          label={t('people.firstName')}
          rules={[{ required: true, max: 100, message: t('form.required') }]}
        >
          <Input />
        </Form.Item>
        <Form.Item name="lastName" label={t('people.lastName')} rules={[{ max: 100 }]}>
          <Input />
        </Form.Item>
        <Form.Item
          name="cardNo"
          label={t('people.card')}
          rules={[{ pattern: /^[0-9]{1,20}$/, message: t('people.cardRule') }]}
        >
          <Input inputMode="numeric" />
        </Form.Item>
        <Form.Item name="department" label={t('people.department')} rules={[{ max: 100 }]}>
          <Input />
        </Form.Item>
        {!p && (
          <Form.Item name="email" label={t('people.email')} rules={[{ type: 'email', message: t('people.emailRule') }]}>
            <Input type="email" />
          </Form.Item>
        )}
        <Form.Item name="photo" label={t('people.photo')}>
          <PhotoField currentUrl={p?.photoUrl} />
        </Form.Item>
        <Divider />
        <Typography.Title level={2} style={{ fontSize: 16 }}>
          {t('people.appLogin')}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{t('people.appLoginHelp')}</Typography.Paragraph>
        {!p && (
          <Form.Item name="appLoginEnabled" label={t('people.appLoginEnable')} valuePropName="checked">
            <Switch />
          </Form.Item>
        )}
        <Form.Item
          name="password"
          label={p ? (p.passwordSet ? t('people.passwordReplace') : t('people.passwordSet')) : t('people.password')}
          rules={[{ min: 8, message: t('form.passwordMin') }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {error && (
          <Typography.Text type="danger" role="alert">
            {error}
          </Typography.Text>
        )}
      </Form>
      {p && <Guardians person={p} />}
      {p && (
        <Typography.Paragraph type="secondary" style={{ marginTop: 24 }}>
          {t('people.created', { when: when(p.createdAt) })}
        </Typography.Paragraph>
      )}
    </Drawer>
  );
}

function Guardians(props: { person: PersonView }): ReactNode {
  const { t } = useTranslation();
  const queries = useQueryClient();
  const [pin, setPin] = useState('');
  const person = useQuery({
    queryKey: ['people', 'one', props.person.id],
    queryFn: () => api<PersonView>(`/api/v1/people/${props.person.id}`),
    initialData: props.person,
  });
  const names = useQuery({
    queryKey: ['people', 'guardians', person.data.guardianIds],
    queryFn: () => Promise.all(person.data.guardianIds.map((id) => api<PersonView>(`/api/v1/people/${id}`))),
  });
  const add = useMutation({
    mutationFn: () =>
      api<PersonView>(`/api/v1/people/${props.person.id}/guardians`, {
        method: 'POST',
        body: { guardianPin: pin.trim() },
      }),
    onSuccess: () => {
      setPin('');
      void queries.invalidateQueries({ queryKey: ['people'] });
    },
  });
  return (
    <>
      <Divider />
      <Typography.Title level={2} style={{ fontSize: 16 }}>
        {t('people.guardians')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('people.guardiansHelp')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 8 }}>
        {(names.data ?? []).map((g) => (
          <Tag key={g.id}>
            {g.name} ({g.pin})
          </Tag>
        ))}
        {names.data?.length === 0 && <Typography.Text type="secondary">{t('people.noGuardians')}</Typography.Text>}
      </Space>
      <Space.Compact style={{ width: '100%' }}>
        <Input
          value={pin}
          onChange={(e) => setPin(e.target.value)}
          placeholder={t('people.guardianPin')}
          aria-label={t('people.guardianPin')}
        />
        <Button onClick={() => add.mutate()} disabled={!pin.trim()} loading={add.isPending}>
          {t('people.addGuardian')}
        </Button>
      </Space.Compact>
      {add.error && (
        <Typography.Text type="danger" role="alert">
          {errorText(t, add.error)}
        </Typography.Text>
      )}
    </>
  );
}
