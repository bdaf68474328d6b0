import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { IonProgressBar } from '../ionic-forms';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, Screen } from '../ui';

/** The dynamic QR credential: drawn large, replaced on its own every refreshSeconds. */
export default function Credential() {
  const { t } = useTranslation();
  const { client } = useApp();
  const [now, setNow] = useState(Date.now());
  const q = useQuery({
    queryKey: useKey('credential-qr'),
    queryFn: () => client.credentials.qr(),
    staleTime: 0,
    gcTime: 0,
    refetchInterval: (query) => (query.state.data?.refreshSeconds ?? 30) * 1000,
    refetchIntervalInBackground: false,
  });
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(id);
  }, []);
  const c = q.data;
  const period = (c?.refreshSeconds ?? 30) * 1000;
  const left = c ? Math.max(0, q.dataUpdatedAt + period - now) : 0;
  return (
    <Screen title={t('apps.qr.title')} back="/apps" tabs="apps" testId="screen-qr">
      <ErrorText>{q.error ? describeError(t, q.error) : undefined}</ErrorText>
      <div className="credential">
        {c ? (
          <img src={c.png} alt={t('qr.alt')} data-testid="credential-qr" data-code={c.code} width={300} height={300} />
        ) : (
          <div className="qr-placeholder" aria-busy="true" />
        )}
        <IonProgressBar value={left / period} aria-hidden="true" />
        <p className="countdown" aria-live="off" data-testid="qr-countdown">
          {t('qr.refreshIn', { n: Math.ceil(left / 1000) })}
        </p>
        <p className="muted small">{t('qr.hint')}</p>
      </div>
    </Screen>
  );
}
