// Starting a group conversation from the contacts window: a name and whom to invite; the room's
// window opens once it is created, a failure is said in the dialog, which stays for another try.
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { Contact } from '../../shared/chat.ts';
import { api, errorMessage } from '../api.ts';
import { PresenceDot } from '../components/presence.tsx';
import { t } from '../i18n/i18n.ts';
import { openView } from '../router.ts';
import { byPresenceThenName } from './contact-order.ts';

export function NewRoomDialog({ contacts, onClose }: { contacts: Contact[]; onClose: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [invite, setInvite] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  const setRef = (el: HTMLDialogElement | null) => {
    ref.current = el;
    if (el && !el.open) el.showModal();
  };
  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const room = await api().chat.createRoom({ name: name.trim(), invite: [...invite] });
      onClose();
      openView({ view: 'room', jid: room.jid });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <dialog ref={setRef} class="dialog" aria-labelledby="new-room-title" onClose={onClose}>
      <form onSubmit={create}>
        <h2 id="new-room-title">{t('newRoomTitle')}</h2>
        <label class="field">
          <span>{t('roomName')}</span>
          <input type="text" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset class="invite-list">
          <legend>{t('inviteWho')}</legend>
          {[...contacts].sort(byPresenceThenName).map((c) => (
            <label key={c.jid} class="check">
              <input
                type="checkbox"
                checked={invite.has(c.jid)}
                onChange={(e) => {
                  const next = new Set(invite);
                  if (e.currentTarget.checked) next.add(c.jid);
                  else next.delete(c.jid);
                  setInvite(next);
                }}
              />
              <PresenceDot show={c.show} />
              <span>{c.name}</span>
            </label>
          ))}
        </fieldset>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={() => ref.current?.close()}>
            {t('cancel')}
          </button>
          <button type="submit" class="primary" disabled={busy || !name.trim()}>
            {t('create')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
