// About Herald: version, platform, where the device token is kept (a weak keyring is said
// plainly), the account, the licence.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AppInfo } from '../../shared/ipc.ts';
import { api, errorMessage } from '../api.ts';
import { Icon } from '../components/icons.tsx';
import { t } from '../i18n/i18n.ts';
import { coreState, useCell } from '../store.ts';

export function AboutView(): JSX.Element {
  const state = useCell(coreState)!;
  const [info, setInfo] = useState<AppInfo>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api().appInfo().then(setInfo, (e) => setError(errorMessage(e)));
  }, []);
  return (
    <main class="view about">
      <div class="about-card">
        <div class="logo" aria-hidden="true">
          <Icon name="mail" size={34} />
        </div>
        <h1>{t('aboutTitle')}</h1>
        <p class="tagline">{t('tagline')}</p>
        {info && <p class="version">{t('version', { version: info.version })}</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <dl class="facts">
          {info && (
            <>
              <dt>{t('platform')}</dt>
              <dd>{info.platform}</dd>
              <dt>{t('secretStorage')}</dt>
              <dd class={info.secretStorage === 'keychain' ? '' : 'warn'}>{t(`secret.${info.secretStorage}`)}</dd>
            </>
          )}
          {state.user && (
            <>
              <dt>{t('account')}</dt>
              <dd>{state.user.address}</dd>
            </>
          )}
          {state.gatewayUrl && (
            <>
              <dt>{t('gateway')}</dt>
              <dd>{state.gatewayUrl}</dd>
            </>
          )}
        </dl>
        <p class="muted small">{t('license')}</p>
        <button type="button" onClick={() => window.close()}>
          {t('close')}
        </button>
      </div>
    </main>
  );
}
