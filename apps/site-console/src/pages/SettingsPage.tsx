import { useEffect, useState, type ReactNode } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Row,
  Space,
  Switch,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api';

import { errorText } from './errors';
import { PageTitle } from './shared';

interface MailView {
  configured: boolean;
  host: string | null;
  port: number | null;
  secure: boolean;
  user: string | null;
  passwordSet: boolean;
  from: string | null;
  updatedAt: string | null;
}
interface CloudView {
  pushToApp: boolean;
  pushDataToCloud: boolean;
  uplink: 'not-configured' | 'ok' | 'failing';
  pending: number;
  lastError: string | null;
}
interface MailForm {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

const heading = (text: string): ReactNode => <h2 style={{ fontSize: 16, margin: 0 }}>{text}</h2>;

export function SettingsPage(): ReactNode {
  const { t } = useTranslation();
  return (
    <>
      <PageTitle>{t('nav.settings')}</PageTitle>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <SiteName />
          <div style={{ height: 16 }} />
          <Cloud />
        </Col>
        <Col xs={24} xl={12}>
          <MailServer />
        </Col>
        <Col xs={24}>
          <PrivacyPolicy />
        </Col>
      </Row>
    </>
  );
}

function SiteName(): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const info = useQuery({ queryKey: ['system-info'], queryFn: () => api<{ name: string }>('/api/v1/system/info') });
  const [name, setName] = useState('');
  useEffect(() => setName(info.data?.name ?? ''), [info.data?.name]);
  const save = useMutation({
    mutationFn: () => api('/api/v1/settings/site-name', { method: 'PUT', body: { name: name.trim() } }),
    onSuccess: () => {
      void message.success(t('common.saved'));
      void queries.invalidateQueries({ queryKey: ['system-info'] });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Card title={heading(t('settings.siteName'))}>
      <Typography.Paragraph type="secondary">{t('settings.siteNameHelp')}</Typography.Paragraph>
      <Space.Compact style={{ width: '100%' }}>
        <Input
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label={t('settings.siteName')}
          maxLength={100}
        />
        <Button
          type="primary"
          onClick={() => save.mutate()}
          disabled={!name.trim() || name === info.data?.name}
          loading={save.isPending}
        >
          {t('common.save')}
        </Button>
      </Space.Compact>
    </Card>
  );
}

function MailServer(): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const [form] = Form.useForm<MailForm>();
  const [to, setTo] = useState('');
  const current = useQuery({
    queryKey: ['settings', 'mail'],
    queryFn: () => api<MailView>('/api/v1/settings/mail-server'),
  });
  useEffect(() => {
    const m = current.data;
    if (m?.configured)
      form.setFieldsValue({
        host: m.host ?? '',
        port: m.port ?? 587,
        secure: m.secure,
        user: m.user ?? '',
        from: m.from ?? '',
      });
  }, [current.data, form]);
  const save = useMutation({
    mutationFn: (v: MailForm) =>
      api<MailView>('/api/v1/settings/mail-server', {
        method: 'PUT',
        body: {
          host: v.host.trim(),
          port: v.port,
          secure: v.secure ?? false,
          user: v.user?.trim() || null,
          ...(v.password ? { password: v.password } : v.user?.trim() ? {} : { password: null }),
          from: v.from.trim(),
        },
      }),
    onSuccess: () => {
      void message.success(t('settings.mailSaved'));
      form.setFieldValue('password', '');
      void queries.invalidateQueries({ queryKey: ['settings'] });
    },
  });
  const test = useMutation({
    mutationFn: () =>
      api<{ to: string }>('/api/v1/settings/mail-server/test', { method: 'POST', body: { to: to.trim() } }),
  });
  return (
    <Card title={heading(t('settings.mailServer'))}>
      <Typography.Paragraph type="secondary">{t('settings.mailHelp')}</Typography.Paragraph>
      <Form<MailForm>
        form={form}
        layout="vertical"
        initialValues={{ port: 587, secure: false }}
        onFinish={(v) => save.mutate(v)}
      >
        <Row gutter={12}>
          <Col xs={24} sm={16}>
            <Form.Item
              name="host"
              label={t('settings.mailHost')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <Input placeholder="smtp.example.com" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item
              name="port"
              label={t('settings.mailPort')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <InputNumber min={1} max={65535} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item
          name="secure"
          label={t('settings.mailSecure')}
          valuePropName="checked"
          extra={t('settings.mailSecureHelp')}
        >
          <Switch />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="user" label={t('settings.mailUser')}>
              <Input autoComplete="off" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="password"
              label={t('settings.mailPassword')}
              extra={current.data?.passwordSet ? t('settings.mailPasswordKept') : undefined}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="from" label={t('settings.mailFrom')} rules={[{ required: true, message: t('form.required') }]}>
          <Input placeholder="Front desk <desk@example.com>" />
        </Form.Item>
        {save.error && <Alert type="error" showIcon title={errorText(t, save.error)} style={{ marginBottom: 12 }} />}
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t('common.save')}
        </Button>
      </Form>
      <Typography.Title level={3} style={{ fontSize: 14, marginTop: 24 }}>
        {t('settings.mailTest')}
      </Typography.Title>
      <Space.Compact style={{ width: '100%' }}>
        <Input
          type="email"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          placeholder={t('settings.mailTestTo')}
          aria-label={t('settings.mailTestTo')}
        />
        <Button
          onClick={() => test.mutate()}
          disabled={!to.trim() || !current.data?.configured}
          loading={test.isPending}
        >
          {t('settings.mailTestSend')}
        </Button>
      </Space.Compact>
      {test.isSuccess && (
        <Alert
          type="success"
          showIcon
          title={t('settings.mailTestSent', { to: test.data.to })}
          style={{ marginTop: 12 }}
        />
      )}
      {test.error && <Alert type="error" showIcon title={errorText(t, test.error)} style={{ marginTop: 12 }} />}
    </Card>
  );
}

function Cloud(): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const cloud = useQuery({
    queryKey: ['settings', 'cloud'],
    queryFn: () => api<CloudView>('/api/v1/settings/cloud'),
    refetchInterval: 10_000,
  });
  const set = useMutation({
    mutationFn: (patch: Partial<CloudView>) => api<CloudView>('/api/v1/settings/cloud', { method: 'PUT', body: patch }),
    onSuccess: (v) => {
      queries.setQueryData(['settings', 'cloud'], v);
      void message.success(t('common.saved'));
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const c = cloud.data;
  return (
    <Card title={heading(t('settings.cloud'))}>
      <Descriptions column={1} size="small">
        <Descriptions.Item label={<label htmlFor="push-to-app">{t('settings.pushToApp')}</label>}>
          <Switch
            id="push-to-app"
            checked={c?.pushToApp}
            loading={set.isPending}
            onChange={(v) => set.mutate({ pushToApp: v })}
          />
        </Descriptions.Item>
        <Descriptions.Item label={<label htmlFor="push-data">{t('settings.pushData')}</label>}>
          <Switch
            id="push-data"
            checked={c?.pushDataToCloud}
            loading={set.isPending}
            onChange={(v) => set.mutate({ pushDataToCloud: v })}
          />
        </Descriptions.Item>
        <Descriptions.Item label={t('settings.uplink')}>
          {c ? t(`settings.uplink_${c.uplink.replace('-', '_')}`) : '—'}
          {c && c.pending > 0 ? ` · ${t('settings.uplinkPending', { count: c.pending })}` : ''}
        </Descriptions.Item>
      </Descriptions>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {t('settings.cloudHelp')}
      </Typography.Paragraph>
      {c?.lastError && <Alert type="warning" showIcon title={c.lastError} style={{ marginTop: 12 }} />}
    </Card>
  );
}

function PrivacyPolicy(): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const policy = useQuery({
    queryKey: ['privacy'],
    queryFn: () => api<{ text: string; version: string }>('/api/v1/privacy-policy'),
  });
  const [text, setText] = useState('');
  useEffect(() => setText(policy.data?.text ?? ''), [policy.data?.text]);
  const save = useMutation({
    mutationFn: () => api<{ version: string }>('/api/v1/settings/privacy-policy', { method: 'PUT', body: { text } }),
    onSuccess: () => void message.success(t('common.saved')),
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Card title={heading(t('settings.privacy'))}>
      <Typography.Paragraph type="secondary">
        {t('settings.privacyHelp')} {policy.data ? t('settings.privacyVersion', { version: policy.data.version }) : ''}
      </Typography.Paragraph>
      <Input.TextArea
        value={text}
        onChange={(e) => setText(e.target.value)}
        rows={8}
        maxLength={20000}
        aria-label={t('settings.privacy')}
      />
      <Button
        type="primary"
        style={{ marginTop: 12 }}
        onClick={() => save.mutate()}
        disabled={!text.trim()}
        loading={save.isPending}
      >
        {t('common.save')}
      </Button>
    </Card>
  );
}
