// A bar that asks the user something — a subscription request, a room invitation — whose buttons
// call the core. It stays until a call has succeeded (the caller removes it then): while the call
// runs every button is disabled, and a failure is shown in the bar, in words with the reason, so
// the user can try again (issue 14 item 7; nothing is dismissed before the answer is known).
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api.ts';

export interface AskAction {
  label: string;
  primary?: boolean;
  /** The call; resolving means done (the caller dismisses the bar), throwing means failed. */
  run: () => Promise<unknown>;
  /** The words shown when run() failed, given its reason. */
  failed: (reason: string) => string;
}

export function AskBar({ text, actions }: { text: string; actions: AskAction[] }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const act = async (a: AskAction) => {
    setBusy(true);
    setError(undefined);
    try {
      await a.run();
    } catch (e) {
      if (mounted.current) setError(a.failed(errorMessage(e)));
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return (
    <div class="invite" role="alert" aria-busy={busy}>
      <span>{text}</span>
      {actions.map((a) => (
        <button key={a.label} type="button" class={a.primary ? 'primary small' : 'small'} disabled={busy} onClick={() => void act(a)}>
          {a.label}
        </button>
      ))}
      {error && <p class="error invite-error">{error}</p>}
    </div>
  );
}
