import { type ReactNode } from 'react';
import { Card, Col, List, Row, Statistic, Typography } from 'antd';
import { CheckCircleTwoTone, ClockCircleOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { AlarmSummary, Dashboard, DeviceView, Page } from '@lanbridge/mobile-api';
import { api } from '../api';

interface MailView {
  configured: boolean;
}
interface CloudView {
  pushToApp: boolean;
  pushDataToCloud: boolean;
}

export function OverviewPage(): ReactNode {
  const { t } = useTranslation();
  const dash = useQuery({ queryKey: ['overview', 'dashboard'], queryFn: () => api<Dashboard>('/api/v1/dashboard') });
  const alarms = useQuery({
    queryKey: ['overview', 'alarms'],
    queryFn: () => api<AlarmSummary>('/api/v1/alarms/summary'),
  });
  const pending = useQuery({
    queryKey: ['devices', 'pending-count'],
    queryFn: () => api<Page<DeviceView>>('/api/v1/devices', { query: { approval: 'pending', pageSize: 1 } }),
  });
  const mail = useQuery({
    queryKey: ['settings', 'mail'],
    queryFn: () => api<MailView>('/api/v1/settings/mail-server'),
  });
  const cloud = useQuery({ queryKey: ['settings', 'cloud'], queryFn: () => api<CloudView>('/api/v1/settings/cloud') });

  const steps = [
    { done: (dash.data?.people ?? 0) > 0, label: t('overview.stepPeople'), to: '/people' },
    {
      done: pending.data?.total === 0 && (dash.data?.devices.total ?? 0) > 0,
      label: t('overview.stepTerminals'),
      to: '/devices',
    },
    { done: mail.data?.configured === true, label: t('overview.stepMail'), to: '/settings' },
    { done: cloud.data?.pushToApp === true, label: t('overview.stepCloud'), to: '/settings' },
  ];

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24, marginTop: 0 }}>
        {t('nav.overview')}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} lg={6}>
          <Card>
            <Statistic title={t('overview.people')} value={dash.data?.people ?? '—'} />
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card>
            <Statistic
              title={t('overview.terminalsOnline')}
              value={dash.data ? `${dash.data.devices.online} / ${dash.data.devices.total}` : '—'}
            />
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card>
            <Statistic title={t('overview.pending')} value={pending.data?.total ?? '—'} />
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card>
            <Statistic
              title={t('overview.alarmsToday')}
              value={alarms.data ? `${alarms.data.unconfirmed} / ${alarms.data.total}` : '—'}
            />
          </Card>
        </Col>
      </Row>
      <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('overview.firstDay')}</h2>} style={{ marginTop: 16 }}>
        <List
          dataSource={steps}
          renderItem={(s) => (
            <List.Item>
              <span>
                {s.done ? (
                  <CheckCircleTwoTone twoToneColor="#389e0d" aria-hidden />
                ) : (
                  <ClockCircleOutlined aria-hidden />
                )}{' '}
                <Link to={s.to}>{s.label}</Link>{' '}
                <Typography.Text type="secondary">{s.done ? t('overview.done') : t('overview.todo')}</Typography.Text>
              </span>
            </List.Item>
          )}
        />
      </Card>
    </>
  );
}
