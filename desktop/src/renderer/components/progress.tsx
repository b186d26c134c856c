// A file being sent: its name, how much is through, and a bar (a div, so every skin can draw it).
import type { JSX } from 'preact';
import { formatBytes, t } from '../i18n/i18n.ts';

export function UploadProgress({ name, sent, total }: { name: string; sent: number; total: number }): JSX.Element {
  const percent = total > 0 ? Math.min(100, Math.round((sent / total) * 100)) : 0;
  return (
    <div class="upload">
      <div class="upload-label">
        <span class="upload-name">{t('uploading', { name })}</span>
        <span class="muted">{t('uploadProgress', { percent, size: formatBytes(total) })}</span>
      </div>
      <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-label={t('uploading', { name })}>
        <div class="progress-bar" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}
