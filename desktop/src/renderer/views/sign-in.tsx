// The sign-in form, shown when the app has no (usable) provision: prefilled from the core's prompt
// (gateway and address of an expired provision), the reason said plainly, the password sent once.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage } from '../api.ts';
import { Icon } from '../components/icons.tsx';
import { t } from '../i18n/i18n.ts';
import { go } from '../router.ts';
import { coreState, useCell } from '../store.ts';

export function SignInView(): JSX.Element {
  const state = useCell(coreState)!;
  const prompt = state.signIn;
  const [gatewayUrl, setGateway] = useState(prompt?.gatewayUrl ?? state.gatewayUrl ?? '');
  const [user, setUser] = useState(prompt?.user ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api().signIn({ gatewayUrl: gatewayUrl.trim(), user: user.trim(), password });
      if (r.ok) {
        setPassword('');
        if (location.hash === '#/sign-in') go({ view: 'contacts' });
      } else setError(r.retryAfterSeconds ? `${r.message} ${t('tryAgainIn', { seconds: r.retryAfterSeconds })}` : r.message);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!prompt && state.user) {
    return (
      <main class="view sign-in">
        <div class="sign-in-card">
          <p role="status">{t('signedInAs', { user: state.user.address })}</p>
        </div>
      </main>
    );
  }

  const reason = prompt && prompt.reason !== 'not-provisioned' && prompt.reason !== 'signed-out' ? prompt.message : undefined;
  return (
    <main class="view sign-in">
      <form class="sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title" noValidate>
        <div class="logo" aria-hidden="true">
          <Icon name="mail" size={34} />
        </div>
        <h1 id="sign-in-title">{t('signInTitle')}</h1>
        <p class="muted">{t('signInIntro')}</p>
        {/* Said once: after a failed try the reason is the error under the fields. */}
        {reason && !error && (
          <p class="note" role="status">
            {reason}
          </p>
        )}
        <label class="field">
          <span>{t('gatewayUrl')}</span>
          <input ref={first} type="url" required autoComplete="url" placeholder="https://herald.example.com" value={gatewayUrl} onInput={(e) => setGateway(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('user')}</span>
          <input type="email" required autoComplete="username" placeholder="alice@example.com" value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('password')}</span>
          <input type="password" required autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary wide" disabled={busy || !gatewayUrl || !user || !password}>
          {busy ? t('signingIn') : t('signIn')}
        </button>
      </form>
    </main>
  );
}
