import { useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  App as AntApp,
  ConfigProvider,
  Layout,
  Menu,
  Select,
  Dropdown,
  Button,
  Segmented,
  Typography,
  theme,
} from 'antd';
import type { ThemeConfig } from 'antd';
import type { Locale } from 'antd/es/locale';
import enUS from 'antd/locale/en_US';
import esES from 'antd/locale/es_ES';
import zhCN from 'antd/locale/zh_CN';
import {
  AlertOutlined,
  AuditOutlined,
  DashboardOutlined,
  DesktopOutlined,
  IdcardOutlined,
  LoginOutlined,
  SettingOutlined,
  TeamOutlined,
  UserOutlined,
  HistoryOutlined,
} from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, session, signOut, type Session } from './api';
import { setDayjsLocale } from './format';
import { LANGUAGES } from './i18n';
import { useThemeChoice, type ThemeChoice } from './theme';
import { useLiveUpdates } from './live';
import { SignInPage } from './pages/SignInPage';
import { OverviewPage } from './pages/OverviewPage';
import { PeoplePage } from './pages/PeoplePage';
import { DevicesPage } from './pages/DevicesPage';
import { AlarmsPage } from './pages/AlarmsPage';
import { AccessRecordsPage } from './pages/AccessRecordsPage';
import { VisitorsPage } from './pages/VisitorsPage';
import { OperationLogPage } from './pages/OperationLogPage';
import { SettingsPage } from './pages/SettingsPage';
import { ChangePasswordModal } from './pages/ChangePasswordModal';

/**
 * antd's themes with the text colours raised to WCAG AA (4.5:1): its default secondary and
 * placeholder greys, its red on white and its blue as text on black are below that.
 * The primary colour stays a background for white text (buttons); where it is text
 * (links, the selected menu item and tab) it gets a lighter shade in dark.
 */
const LIGHT: ThemeConfig = {
  algorithm: theme.defaultAlgorithm,
  token: {
    colorPrimary: '#1554ad',
    colorLink: '#1554ad',
    colorError: '#c62828',
    colorTextDescription: 'rgba(0, 0, 0, 0.65)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.62)',
    colorTextPlaceholder: 'rgba(0, 0, 0, 0.58)',
    borderRadius: 6,
  },
};
const DARK: ThemeConfig = {
  algorithm: theme.darkAlgorithm,
  token: {
    colorPrimary: '#1668dc',
    colorLink: '#69b1ff',
    colorError: '#ff7875',
    colorTextDescription: 'rgba(255, 255, 255, 0.68)',
    colorTextTertiary: 'rgba(255, 255, 255, 0.65)',
    colorTextPlaceholder: 'rgba(255, 255, 255, 0.58)',
    borderRadius: 6,
  },
  components: {
    Menu: { itemSelectedColor: '#91caff', itemActiveBg: '#15325b', itemSelectedBg: '#15325b' },
    Tabs: {
      itemSelectedColor: '#91caff',
      itemActiveColor: '#91caff',
      itemHoverColor: '#91caff',
      inkBarColor: '#91caff',
    },
    Button: { dangerColor: '#ff7875' },
  },
};

const ANTD_LOCALES: Record<string, Locale> = { en: enUS, es: esES, 'zh-CN': zhCN };

function useSession(): { current: Session | null; expired: boolean; clearExpired: () => void } {
  const [state, setState] = useState<{ current: Session | null; expired: boolean }>({
    current: session.get(),
    expired: false,
  });
  useEffect(() => session.subscribe((s, reason) => setState({ current: s, expired: reason === 'expired' })), []);
  return { ...state, clearExpired: () => setState((st) => ({ ...st, expired: false })) };
}

export function App(): ReactNode {
  const { i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const themeChoice = useThemeChoice();
  const { current, expired, clearExpired } = useSession();
  const queries = useQueryClient();
  useEffect(() => setDayjsLocale(lng), [lng]);
  useEffect(() => {
    if (!current) queries.clear();
  }, [current, queries]);

  return (
    <ConfigProvider locale={ANTD_LOCALES[lng] ?? enUS} theme={themeChoice.dark ? DARK : LIGHT}>
      <AntApp>
        {current ? (
          <Shell themeChoice={themeChoice.choice} setTheme={themeChoice.setChoice} username={current.username} />
        ) : (
          <Routes>
            <Route
              path="*"
              element={
                <SignInPage
                  expired={expired}
                  onSignedIn={clearExpired}
                  themeChoice={themeChoice.choice}
                  setTheme={themeChoice.setChoice}
                />
              }
            />
          </Routes>
        )}
      </AntApp>
    </ConfigProvider>
  );
}

export function LanguageAndTheme(props: { themeChoice: ThemeChoice; setTheme: (c: ThemeChoice) => void }): ReactNode {
  const { t, i18n } = useTranslation();
  return (
    <>
      <Select
        aria-label={t('shell.language')}
        value={i18n.resolvedLanguage}
        onChange={(v: string) => void i18n.changeLanguage(v)}
        options={LANGUAGES.map((l) => ({ value: l.code, label: l.label }))}
        style={{ width: 120 }}
        data-testid="language"
      />
      <Segmented<ThemeChoice>
        aria-label={t('shell.theme')}
        value={props.themeChoice}
        onChange={props.setTheme}
        options={[
          { value: 'system', label: t('shell.themeSystem') },
          { value: 'light', label: t('shell.themeLight') },
          { value: 'dark', label: t('shell.themeDark') },
        ]}
      />
    </>
  );
}

function Shell(props: { username: string; themeChoice: ThemeChoice; setTheme: (c: ThemeChoice) => void }): ReactNode {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [pwOpen, setPwOpen] = useState(false);
  const { token } = theme.useToken();
  const info = useQuery({
    queryKey: ['system-info'],
    queryFn: () => api<{ name: string; version: string }>('/api/v1/system/info'),
  });
  useLiveUpdates();

  const items = useMemo(
    () => [
      { key: '/', icon: <DashboardOutlined />, label: t('nav.overview') },
      { key: '/people', icon: <TeamOutlined />, label: t('nav.people') },
      { key: '/devices', icon: <DesktopOutlined />, label: t('nav.devices') },
      { key: '/alarms', icon: <AlertOutlined />, label: t('nav.alarms') },
      { key: '/access-records', icon: <HistoryOutlined />, label: t('nav.accessRecords') },
      { key: '/visitors', icon: <IdcardOutlined />, label: t('nav.visitors') },
      { key: '/operation-log', icon: <AuditOutlined />, label: t('nav.operationLog') },
      { key: '/settings', icon: <SettingOutlined />, label: t('nav.settings') },
    ],
    [t],
  );
  const selected = items
    .map((i) => i.key)
    .filter((k) => k === location.pathname || (k !== '/' && location.pathname.startsWith(k)));

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        breakpoint="lg"
        collapsedWidth={0}
        width={220}
        theme={props.themeChoice === 'dark' ? 'dark' : 'light'}
        style={{ borderInlineEnd: `1px solid ${token.colorBorderSecondary}`, background: token.colorBgContainer }}
      >
        <div style={{ padding: '16px 20px', fontWeight: 600, fontSize: 16 }}>
          <LoginOutlined aria-hidden /> {t('shell.product')}
        </div>
        <nav aria-label={t('shell.navigation')}>
          <Menu
            mode="inline"
            selectedKeys={selected}
            items={items}
            onClick={(e) => navigate(e.key)}
            style={{ borderInlineEnd: 0, background: 'transparent' }}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: token.colorBgContainer,
            borderBottom: `1px solid ${token.colorBorderSecondary}`,
            display: 'flex',
            alignItems: 'center',
            gap: 12,
            paddingInline: 20,
          }}
        >
          <Typography.Text strong style={{ flex: 1, fontSize: 16 }} data-testid="site-name">
            {info.data?.name ?? ''}
          </Typography.Text>
          <LanguageAndTheme themeChoice={props.themeChoice} setTheme={props.setTheme} />
          <Dropdown
            menu={{
              items: [
                { key: 'password', label: t('shell.changePassword') },
                { key: 'signout', label: t('shell.signOut') },
              ],
              onClick: (e) => {
                if (e.key === 'password') setPwOpen(true);
                else void signOut();
              },
            }}
          >
            <Button icon={<UserOutlined />} data-testid="account-menu">
              {props.username}
            </Button>
          </Dropdown>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <main>
            <Routes>
              <Route path="/" element={<OverviewPage />} />
              <Route path="/people" element={<PeoplePage />} />
              <Route path="/devices" element={<DevicesPage />} />
              <Route path="/alarms" element={<AlarmsPage />} />
              <Route path="/access-records" element={<AccessRecordsPage />} />
              <Route path="/visitors" element={<VisitorsPage />} />
              <Route path="/operation-log" element={<OperationLogPage />} />
              <Route path="/settings" element={<SettingsPage />} />
              <Route path="*" element={<Navigate to="/" replace />} />
            </Routes>
          </main>
        </Layout.Content>
      </Layout>
      <ChangePasswordModal open={pwOpen} onClose={() => setPwOpen(false)} />
    </Layout>
  );
}
