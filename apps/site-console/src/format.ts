import dayjs from 'dayjs';
import localizedFormat from 'dayjs/plugin/localizedFormat';
import relativeTime from 'dayjs/plugin/relativeTime';
import 'dayjs/locale/es';
import 'dayjs/locale/zh-cn';

dayjs.extend(localizedFormat);
dayjs.extend(relativeTime);

export function setDayjsLocale(lng: string): void {
  dayjs.locale(lng === 'zh-CN' ? 'zh-cn' : lng === 'es' ? 'es' : 'en');
}

/** A time as people read it, in the browser's time zone. */
export function when(iso: string | null | undefined): string {
  return iso ? dayjs(iso).format('lll') : '—';
}

export function ago(iso: string | null | undefined): string {
  return iso ? dayjs(iso).fromNow() : '—';
}

/** CSV with a header row; every cell quoted, so commas, quotes and new lines survive. */
export function toCsv(header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cell = (v: string | number | boolean | null | undefined): string =>
    `"${String(v ?? '')
      .replace(/"/g, '""')
      // A leading = + - @ would be a formula in a spreadsheet.
      .replace(/^([=+\-@])/, "'$1")}"`;
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function download(filename: string, content: string | Blob, type = 'text/csv;charset=utf-8'): void {
  const blob = typeof content === 'string' ? new Blob(['\ufeff', content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
