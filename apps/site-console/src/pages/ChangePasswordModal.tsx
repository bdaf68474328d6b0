import { type ReactNode } from 'react';
import { App, Form, Input, Modal, Typography } from 'antd';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { TokenPair } from '@lanbridge/mobile-api';
import { api, replaceTokens } from '../api';
import { errorText } from './errors';

interface Values {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

export function ChangePasswordModal(props: { open: boolean; onClose: () => void }): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const change = useMutation({
    mutationFn: (v: Values) =>
      api<TokenPair>('/api/v1/me/password', {
        method: 'PUT',
        body: { currentPassword: v.currentPassword, newPassword: v.newPassword },
      }),
    onSuccess: (pair) => {
      replaceTokens(pair);
      void message.success(t('password.changed'));
      form.resetFields();
      props.onClose();
    },
  });
  return (
    <Modal
      open={props.open}
      title={t('shell.changePassword')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={change.isPending}
      onOk={() => form.submit()}
      onCancel={props.onClose}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={(v) => change.mutate(v)} requiredMark={false}>
        <Form.Item
          name="currentPassword"
          label={t('password.current')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          name="newPassword"
          label={t('password.new')}
          rules={[{ required: true, min: 8, message: t('form.passwordMin') }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('password.confirm')}
          dependencies={['newPassword']}
          rules={[
            { required: true, message: t('form.required') },
            ({ getFieldValue }) => ({
              validator: (_r, v) =>
                !v || getFieldValue('newPassword') === v
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('password.mismatch'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {change.error && (
          <Typography.Text type="danger" role="alert">
            {errorText(t, change.error)}
          </Typography.Text>
        )}
      </Form>
    </Modal>
  );
}
