import { useState, type ReactNode } from 'react';
import { App, Button, DatePicker, Space, Typography, type TablePaginationConfig } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import type { Page } from '@lanbridge/mobile-api';
import { api } from '../api';
import { download, toCsv } from '../format';
import { errorText } from './errors';

/** Rows per page of every list; the query and the table's pager must agree on it. */
export const PAGE_SIZE = 20;

/** The table pager of a server-paged list. */
export function pager(page: number, setPage: (p: number) => void, total: number | undefined): TablePaginationConfig {
  return { current: page, pageSize: PAGE_SIZE, total, onChange: setPage, showSizeChanger: false };
}

/** Rows a CSV export reads at most (100 pages of the largest page size). */
const EXPORT_MAX_PAGES = 100;

export function PageTitle(props: { children: ReactNode; extra?: ReactNode }): ReactNode {
  return (
    <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
      <Typography.Title level={1} style={{ fontSize: 24, margin: 0 }}>
        {props.children}
      </Typography.Title>
      {props.extra}
    </Space>
  );
}

export type Range = [Dayjs | null, Dayjs | null] | null;

export function rangeQuery(r: Range): { from?: string; to?: string } {
  return { from: r?.[0]?.startOf('day').toISOString(), to: r?.[1]?.endOf('day').toISOString() };
}

export function DateRange(props: { value: Range; onChange: (r: Range) => void }): ReactNode {
  const { t } = useTranslation();
  return (
    <DatePicker.RangePicker
      value={props.value}
      onChange={(v) => props.onChange(v)}
      allowEmpty={[true, true]}
      aria-label={t('common.dateRange')}
      placeholder={[t('common.from'), t('common.to')]}
    />
  );
}

/** Downloads every row matching the list's current filters as CSV. */
export function CsvButton<T>(props: {
  path: string;
  query: Record<string, string | number | boolean | undefined>;
  filename: string;
  header: string[];
  row: (item: T) => (string | number | boolean | null | undefined)[];
}): ReactNode {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      const rows: T[] = [];
      for (let page = 1; page <= EXPORT_MAX_PAGES; page++) {
        const p = await api<Page<T>>(props.path, { query: { ...props.query, page, pageSize: 100 } });
        rows.push(...p.items);
        if (rows.length >= p.total || p.items.length === 0) break;
      }
      download(props.filename, toCsv(props.header, rows.map(props.row)));
    } catch (err) {
      void message.error(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button icon={<DownloadOutlined />} loading={busy} onClick={() => void run()}>
      {t('common.exportCsv')}
    </Button>
  );
}
