import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IonButton, IonChip, IonItem, IonLabel, IonList } from '@ionic/react';
import { IonInput, IonSearchbar, IonSegment, IonSegmentButton } from '../ionic-forms';
import type { HostView } from '@lanbridge/mobile-sdk';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { navigate } from '../router';
import { useKey } from '../queries';
import { ErrorText, formatTime, Loading, Screen } from '../ui';

export default function Visitors({ sub }: { sub?: string }) {
  return sub === 'new' ? <RegisterVisitor /> : <VisitorList />;
}

function VisitorList() {
  const { t, i18n } = useTranslation();
  const { client } = useApp();
  const [search, setSearch] = useState('');
  const [today, setToday] = useState('today');
  const summary = useQuery({ queryKey: useKey('visits', 'summary'), queryFn: () => client.visits.summary() });
  const list = useQuery({
    queryKey: useKey('visits', 'list', search, today),
    queryFn: () => client.visits.list({ q: search || undefined, today: today === 'today' || undefined, pageSize: 50 }),
    placeholderData: (prev) => prev,
  });
  return (
    <Screen
      title={t('apps.visitors.title')}
      back="/apps"
      tabs="apps"
      testId="screen-visitors"
      end={
        <IonButton href="#/apps/visitors/new" data-testid="visitor-register">
          {t('visitors.register')}
        </IonButton>
      }
    >
      <div className="stats three">
        <div className="stat" data-testid="visits-today">
          <span className="stat-value">{summary.data?.visitors ?? '–'}</span>
          <span className="stat-label">{t('visitors.today')}</span>
        </div>
        <div className="stat">
          <span className="stat-value">{summary.data?.checkedIn ?? '–'}</span>
          <span className="stat-label">{t('visitors.checkedIn')}</span>
        </div>
        <div className="stat">
          <span className="stat-value">{summary.data?.notCheckedOut ?? '–'}</span>
          <span className="stat-label">{t('visitors.inside')}</span>
        </div>
      </div>
      <IonSegment value={today} onIonChange={(e) => setToday(String(e.detail.value))}>
        <IonSegmentButton value="today" data-testid="visits-filter-today">
          <IonLabel>{t('visitors.today')}</IonLabel>
        </IonSegmentButton>
        <IonSegmentButton value="all" data-testid="visits-filter-all">
          <IonLabel>{t('alarms.all')}</IonLabel>
        </IonSegmentButton>
      </IonSegment>
      <IonSearchbar
        value={search}
        debounce={300}
        aria-label={t('visitors.search')}
        placeholder={t('visitors.search')}
        onIonInput={(e) => setSearch(e.detail.value ?? '')}
      />
      <ErrorText>{list.error ? describeError(t, list.error) : undefined}</ErrorText>
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p className="empty">{t('visitors.none')}</p>
      ) : (
        <IonList data-testid="visit-list">
          {list.data.items.map((v) => (
            <IonItem key={v.id} data-testid="visit-item">
              <IonLabel>
                <h2>{v.visitorName}</h2>
                <p>
                  {t('visitors.host')}: {v.hostName ?? '—'} · {formatTime(v.startAt, i18n.language)}
                </p>
              </IonLabel>
              <IonChip slot="end">
                <IonLabel>{t(`visitors.status.${v.status}`)}</IonLabel>
              </IonChip>
            </IonItem>
          ))}
        </IonList>
      )}
    </Screen>
  );
}

function RegisterVisitor() {
  const { t } = useTranslation();
  const { client, org } = useApp();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [contact, setContact] = useState('');
  const [reason, setReason] = useState('');
  const [hostText, setHostText] = useState('');
  const [host, setHost] = useState<HostView>();
  const [photo, setPhoto] = useState<string>();
  const [camera, setCamera] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const hosts = useQuery({
    queryKey: useKey('hosts', hostText),
    queryFn: () => client.hosts.search(hostText),
    enabled: hostText.trim().length >= 2 && !host,
  });
  const register = useMutation({
    mutationFn: () =>
      client.visits.register({
        name: name.trim(),
        contact: contact.trim() || undefined,
        reason: reason.trim() || undefined,
        hostPersonId: host!.id,
        startAt: new Date().toISOString(),
        photo: photo?.replace(/^data:image\/\w+;base64,/, ''),
      }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: [org?.orgId, 'visits'] });
      navigate('/apps/visitors', true);
    },
  });

  useEffect(() => {
    if (!camera) return;
    let stream: MediaStream | undefined;
    void navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'user' }, audio: false })
      .then(async (s) => {
        stream = s;
        if (video.current) {
          video.current.srcObject = s;
          await video.current.play();
        }
      })
      .catch(() => setCamera(false));
    return () => stream?.getTracks().forEach((tr) => tr.stop());
  }, [camera]);

  const snap = () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const scale = Math.min(1, 640 / v.videoWidth);
    const c = document.createElement('canvas');
    c.width = Math.round(v.videoWidth * scale);
    c.height = Math.round(v.videoHeight * scale);
    c.getContext('2d')!.drawImage(v, 0, 0, c.width, c.height);
    setPhoto(c.toDataURL('image/jpeg', 0.8));
    setCamera(false);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    register.mutate();
  };

  return (
    <Screen title={t('visitors.register')} back="/apps/visitors" tabs="apps" testId="screen-visitor-new">
      <form onSubmit={submit}>
        <IonList inset>
          <IonItem>
            <IonInput
              label={t('visitors.name')}
              labelPlacement="stacked"
              value={name}
              required
              onIonInput={(e) => setName(String(e.detail.value ?? ''))}
              data-testid="visitor-name"
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('visitors.contact')}
              labelPlacement="stacked"
              type="tel"
              value={contact}
              onIonInput={(e) => setContact(String(e.detail.value ?? ''))}
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('visitors.reason')}
              labelPlacement="stacked"
              value={reason}
              onIonInput={(e) => setReason(String(e.detail.value ?? ''))}
            />
          </IonItem>
          <IonItem>
            <IonInput
              label={t('visitors.hostLookup')}
              labelPlacement="stacked"
              value={host ? `${host.name} (${host.pin})` : hostText}
              onIonInput={(e) => {
                setHost(undefined);
                setHostText(String(e.detail.value ?? ''));
              }}
              data-testid="visitor-host"
            />
          </IonItem>
          {!host &&
            (hosts.data ?? []).map((h) => (
              <IonItem key={h.id} button onClick={() => setHost(h)} data-testid="host-option">
                <IonLabel>
                  {h.name} ({h.pin})
                </IonLabel>
              </IonItem>
            ))}
        </IonList>
        <div className="photo">
          {camera ? (
            <>
              <video ref={video} muted playsInline aria-label={t('visitors.photo')} />
              <IonButton expand="block" onClick={snap} data-testid="photo-snap">
                {t('visitors.snap')}
              </IonButton>
            </>
          ) : (
            <>
              {photo && (
                <img src={photo} alt={t('visitors.photo')} data-testid="photo-preview" width={160} height={120} />
              )}
              <IonButton fill="outline" expand="block" onClick={() => setCamera(true)} data-testid="photo-take">
                {photo ? t('visitors.retake') : t('visitors.takePhoto')}
              </IonButton>
            </>
          )}
        </div>
        <ErrorText>{register.error ? describeError(t, register.error) : undefined}</ErrorText>
        <IonButton
          expand="block"
          type="submit"
          disabled={!name.trim() || !host || register.isPending}
          data-testid="visitor-submit"
        >
          {t('visitors.submit')}
        </IonButton>
      </form>
      {register.isPending && <Loading lines={1} />}
    </Screen>
  );
}
