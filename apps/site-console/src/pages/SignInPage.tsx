import { useState, type ReactNode } from 'react';
import { Alert, Button, Card, Form, Input, Space, Typography, theme } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, signIn } from '../api';
import { LanguageAndTheme } from '../App';
import type { ThemeChoice } from '../theme';
import { errorText } from './errors';

export function SignInPage(props: {
  expired: boolean;
  onSignedIn: () => void;
  themeChoice: ThemeChoice;
  setTheme: (c: ThemeChoice) => void;
}): ReactNode {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (v: { username: string; password: string }): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await signIn(v.username.trim(), v.password);
      props.onSignedIn();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'RATE_LIMITED'
          ? t('signIn.rateLimited', { seconds: err.retryAfter ?? 60 })
          : err instanceof ApiError && err.code === 'INVALID_CREDENTIALS'
            ? t('signIn.invalid')
            : errorText(t, err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      style={{
        minHeight: '100vh',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        background: token.colorBgLayout,
        padding: 16,
      }}
    >
      <main style={{ width: 380, maxWidth: '100%' }}>
        <Card>
          <Typography.Title level={1} style={{ fontSize: 24, marginTop: 0 }}>
            {t('signIn.title')}
          </Typography.Title>
          <Typography.Paragraph type="secondary">{t('signIn.intro')}</Typography.Paragraph>
          {props.expired && <Alert type="warning" showIcon title={t('signIn.expired')} style={{ marginBottom: 16 }} />}
          {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
          <Form
            layout="vertical"
            onFinish={(v: { username: string; password: string }) => void submit(v)}
            requiredMark={false}
          >
            <Form.Item
              name="username"
              label={t('signIn.username')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <Input autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item
              name="password"
              label={t('signIn.password')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('signIn.submit')}
            </Button>
          </Form>
        </Card>
        <Space style={{ marginTop: 16, justifyContent: 'center', width: '100%' }} wrap>
          <LanguageAndTheme themeChoice={props.themeChoice} setTheme={props.setTheme} />
        </Space>
      </main>
    </div>
  );
}
