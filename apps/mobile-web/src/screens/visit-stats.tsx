import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { Bar } from 'react-chartjs-2';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { IonItem, IonLabel, IonList, IonNote } from '@ionic/react';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { useKey } from '../queries';
import { ErrorText, Loading, Screen } from '../ui';

// Only the pieces this chart draws (chart.js is tree-shaken by registration).
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export default function VisitStats() {
  const { t } = useTranslation();
  const { client } = useApp();
  const q = useQuery({ queryKey: useKey('visits', 'statistics'), queryFn: () => client.visits.statistics() });
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const ink = dark ? '#d0d6de' : '#3a4350';
  const s = q.data;
  const total = s?.todayByHour.reduce((n, h) => n + h.count, 0) ?? 0;
  return (
    <Screen title={t('apps.statistics.title')} back="/apps" tabs="apps" testId="screen-statistics">
      <ErrorText>{q.error ? describeError(t, q.error) : undefined}</ErrorText>
      <h2>{t('stats.today')}</h2>
      <p className="muted" data-testid="stats-total">
        {t('stats.checkIns', { count: total })}
      </p>
      <div className="chart">
        {s ? (
          <Bar
            data-testid="stats-chart"
            role="img"
            aria-label={t('stats.chartLabel', { count: total })}
            options={{
              responsive: true,
              maintainAspectRatio: false,
              animation: false,
              plugins: { legend: { display: false } },
              scales: {
                x: { ticks: { color: ink, maxRotation: 0, autoSkip: true }, grid: { display: false } },
                y: { beginAtZero: true, ticks: { color: ink, precision: 0 } },
              },
            }}
            data={{
              labels: s.todayByHour.map((h) => String(h.hour).padStart(2, '0')),
              datasets: [
                {
                  label: t('stats.checkInsLabel'),
                  data: s.todayByHour.map((h) => h.count),
                  backgroundColor: '#1560bd',
                },
              ],
            }}
          />
        ) : (
          <Loading lines={4} />
        )}
      </div>
      <h2>{t('stats.top')}</h2>
      {s && s.topVisitorsThisMonth.length === 0 && <p className="empty">{t('visitors.none')}</p>}
      <IonList data-testid="stats-top">
        {(s?.topVisitorsThisMonth ?? []).map((v) => (
          <IonItem key={v.name}>
            <IonLabel>{v.name}</IonLabel>
            <IonNote slot="end">{v.visits}</IonNote>
          </IonItem>
        ))}
      </IonList>
    </Screen>
  );
}
