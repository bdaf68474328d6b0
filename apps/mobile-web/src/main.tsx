import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import { setupIonicReact } from '@ionic/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '@ionic/react/css/core.css';
import '@ionic/react/css/normalize.css';
import '@ionic/react/css/structure.css';
import '@ionic/react/css/typography.css';
import '@ionic/react/css/padding.css';
import '@ionic/react/css/palettes/dark.system.css';
import './theme.css';
import { App } from './App';
import { AppStateProvider } from './app-state';
import { initI18n } from './i18n';

setupIonicReact({ mode: 'md' });
initI18n();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      retry: (count, err) => count < 2 && !(err as { status?: number }).status,
      refetchOnWindowFocus: true,
    },
  },
});

function Root() {
  const { t } = useTranslation();
  return (
    <AppStateProvider expiredMessage={t('signIn.expired')}>
      <App />
    </AppStateProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <Root />
    </QueryClientProvider>
  </StrictMode>,
);
