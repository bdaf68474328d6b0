import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Avatar, Button, Modal, Space, Upload } from 'antd';
import { CameraOutlined, UploadOutlined, UserOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { apiBlobUrl, toBase64 } from './api';

const MAX_SIDE = 800;

/** Any image the browser can decode, as a JPEG of at most MAX_SIDE px (well under the API's photo limit). */
async function toJpeg(source: CanvasImageSource, width: number, height: number): Promise<Blob> {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  canvas.getContext('2d')!.drawImage(source, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), 'image/jpeg', 0.88),
  );
}

async function fileToJpeg(file: File): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  try {
    return await toJpeg(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** A protected photo URL (it needs the bearer token) shown through an object URL. */
export function PersonAvatar(props: { url: string | null; name: string; size?: number }): ReactNode {
  const q = useQuery({
    queryKey: ['photo', props.url],
    queryFn: () => apiBlobUrl(props.url!),
    enabled: !!props.url,
    staleTime: Infinity,
  });
  return <Avatar size={props.size ?? 40} src={q.data} icon={<UserOutlined />} alt={props.name} />;
}

/** Photo from a file or the camera; the value is base64 JPEG (what the people API takes). */
export function PhotoField(props: {
  value?: string | null;
  onChange?: (v: string | null) => void;
  currentUrl?: string | null;
}): ReactNode {
  const { t } = useTranslation();
  const [camera, setCamera] = useState(false);
  const preview = props.value ? `data:image/jpeg;base64,${props.value}` : null;
  return (
    <Space align="center" wrap>
      {preview ? (
        <Avatar size={72} src={preview} alt={t('people.photo')} data-testid="photo-preview" />
      ) : (
        <PersonAvatar url={props.currentUrl ?? null} name={t('people.photo')} size={72} />
      )}
      <Upload
        accept="image/jpeg,image/png,image/webp"
        showUploadList={false}
        beforeUpload={(file) => {
          void fileToJpeg(file)
            .then(toBase64)
            .then((b64) => props.onChange?.(b64));
          return false;
        }}
      >
        <Button icon={<UploadOutlined />}>{t('people.photoFile')}</Button>
      </Upload>
      <Button icon={<CameraOutlined />} onClick={() => setCamera(true)}>
        {t('people.photoCamera')}
      </Button>
      {props.value && <Button onClick={() => props.onChange?.(null)}>{t('people.photoRemove')}</Button>}
      <CameraModal
        open={camera}
        onClose={() => setCamera(false)}
        onShot={(b64) => {
          props.onChange?.(b64);
          setCamera(false);
        }}
      />
    </Space>
  );
}

function CameraModal(props: { open: boolean; onClose: () => void; onShot: (b64: string) => void }): ReactNode {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!props.open) return;
    let stream: MediaStream | undefined;
    let cancelled = false;
    setError(null);
    navigator.mediaDevices
      ?.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
      .then((s) => {
        if (cancelled) return s.getTracks().forEach((tr) => tr.stop());
        stream = s;
        if (video.current) {
          video.current.srcObject = s;
          void video.current.play();
        }
      })
      .catch(() => setError(t('people.cameraUnavailable')));
    if (!navigator.mediaDevices) setError(t('people.cameraUnavailable'));
    return () => {
      cancelled = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [props.open, t]);

  const shoot = async (): Promise<void> => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    props.onShot(await toBase64(await toJpeg(v, v.videoWidth, v.videoHeight)));
  };

  return (
    <Modal
      open={props.open}
      title={t('people.photoCamera')}
      onCancel={props.onClose}
      okText={t('people.takePhoto')}
      cancelText={t('common.cancel')}
      onOk={() => void shoot()}
      okButtonProps={{ disabled: !!error }}
      destroyOnHidden
    >
      {error ? (
        <Alert type="warning" showIcon title={error} />
      ) : (
        <video
          ref={video}
          muted
          playsInline
          style={{ width: '100%', borderRadius: 8, background: '#000' }}
          aria-label={t('people.photoCamera')}
        />
      )}
    </Modal>
  );
}
