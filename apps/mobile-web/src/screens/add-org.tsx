import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  IonButton,
  IonCard,
  IonCardContent,
  IonCardHeader,
  IonCardSubtitle,
  IonCardTitle,
  IonChip,
  IonIcon,
  IonItem,
  IonLabel,
  IonList,
} from '@ionic/react';
import { IonTextarea } from '../ionic-forms';
import { cameraOutline, imageOutline, linkOutline } from 'ionicons/icons';
import type { Organisation } from '@lanbridge/mobile-sdk';
import { useApp } from '../app-state';
import { describeError } from '../errors';
import { decodeQr } from '../qr-decode';
import { navigate, type Route } from '../router';
import { ErrorText, Screen } from '../ui';

export default function AddOrg({ route }: { route: Route }) {
  const { t } = useTranslation();
  const app = useApp();
  const [link, setLink] = useState(route.query.get('link') ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [found, setFound] = useState<Organisation>();
  const [scanning, setScanning] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const file = useRef<HTMLInputElement>(null);

  const verify = useCallback(
    async (text: string) => {
      setBusy(true);
      setError(undefined);
      setFound(undefined);
      try {
        setFound(await app.verify(text));
      } catch (err) {
        setError(describeError(t, err));
      } finally {
        setBusy(false);
      }
    },
    [app, t],
  );

  // The link the screen was opened with (the QR's own /o link): checked at once, only once.
  const [initialLink] = useState(() => route.query.get('link'));
  useEffect(() => {
    if (initialLink) void verify(initialLink);
  }, [initialLink, verify]);

  useEffect(() => {
    if (!scanning) return;
    let stop = false;
    let stream: MediaStream | undefined;
    void (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } },
          audio: false,
        });
        if (stop || !video.current) return;
        video.current.srcObject = stream;
        await video.current.play();
        while (!stop) {
          const text = await decodeQr(video.current).catch(() => undefined);
          if (text) {
            setScanning(false);
            setLink(text);
            void verify(text);
            return;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (err) {
        setScanning(false);
        setError(t('addOrg.cameraFailed', { reason: err instanceof Error ? err.message : String(err) }));
      }
    })();
    return () => {
      stop = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [scanning, verify, t]);

  const onPicture = async (f: File | undefined) => {
    if (!f) return;
    setError(undefined);
    const url = URL.createObjectURL(f);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      const text = await decodeQr(img);
      if (!text) setError(t('addOrg.noQrInPicture'));
      else {
        setLink(text);
        await verify(text);
      }
    } finally {
      URL.revokeObjectURL(url);
    }
  };

  const add = () => {
    if (!found) return;
    app.addOrg(found);
    navigate('/signin', true);
  };

  return (
    <Screen title={t('addOrg.title')} back={app.org ? '/me/orgs' : undefined} testId="screen-add">
      <p className="lead">{t('addOrg.intro')}</p>
      <div className="actions">
        <IonButton expand="block" onClick={() => setScanning((s) => !s)} data-testid="scan-camera">
          <IonIcon slot="start" icon={cameraOutline} aria-hidden="true" />
          {scanning ? t('addOrg.stopCamera') : t('addOrg.camera')}
        </IonButton>
        <IonButton expand="block" fill="outline" onClick={() => file.current?.click()}>
          <IonIcon slot="start" icon={imageOutline} aria-hidden="true" />
          {t('addOrg.picture')}
        </IonButton>
        <input
          ref={file}
          type="file"
          accept="image/*"
          hidden
          data-testid="pick-image"
          aria-label={t('addOrg.picture')}
          onChange={(e) => void onPicture(e.target.files?.[0])}
        />
      </div>
      {scanning && (
        <div className="camera">
          <video ref={video} muted playsInline aria-label={t('addOrg.cameraView')} data-testid="camera-view" />
        </div>
      )}
      <IonList inset>
        <IonItem>
          <IonTextarea
            label={t('addOrg.link')}
            labelPlacement="stacked"
            autoGrow
            rows={2}
            value={link}
            placeholder={`${location.origin}/o#…`}
            onIonInput={(e) => setLink(e.detail.value ?? '')}
            data-testid="org-link"
          />
        </IonItem>
      </IonList>
      <IonButton
        expand="block"
        fill="outline"
        disabled={busy || !link.trim()}
        onClick={() => void verify(link)}
        data-testid="verify-link"
      >
        <IonIcon slot="start" icon={linkOutline} aria-hidden="true" />
        {busy ? t('addOrg.verifying') : t('addOrg.verify')}
      </IonButton>
      <ErrorText testId="add-error">{error}</ErrorText>
      {found && (
        <IonCard data-testid="org-found">
          <IonCardHeader>
            <IonCardSubtitle>{t('addOrg.verified')}</IonCardSubtitle>
            <IonCardTitle data-testid="org-name">{found.name}</IonCardTitle>
          </IonCardHeader>
          <IonCardContent>
            <IonChip color={found.online ? 'success' : 'medium'} data-testid="org-online">
              <IonLabel>{found.online ? t('common.online') : t('common.offline')}</IonLabel>
            </IonChip>
            <p className="muted">{new URL(found.api).host}</p>
            <IonButton expand="block" onClick={add} data-testid="add-org">
              {t('addOrg.add')}
            </IonButton>
          </IonCardContent>
        </IonCard>
      )}
    </Screen>
  );
}
