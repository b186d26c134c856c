// Managing contacts (issue 14): the menu of a contact (right click, the ⋯ button, the context-menu
// key or Shift+F10; arrow keys, Enter, Escape) and the dialogs behind it — add by address, rename,
// move to a group (an existing one or a new one), remove. Every dialog shows that it is working
// and, when the call fails, says why in words and stays open for another try; it closes only once
// the server has taken the change. A directory colleague removed is hidden for this user only (the
// gateway keeps the directory's subscription); adding the address again brings it back.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact } from '../../shared/chat.ts';
import { api, errorMessage } from '../api.ts';
import { t } from '../i18n/i18n.ts';

export type ContactAction = { kind: 'add' } | { kind: 'rename'; contact: Contact } | { kind: 'group'; contact: Contact } | { kind: 'remove'; contact: Contact };

/** The contact's menu, at the pointer or under its row. */
export function ContactMenu({ contact, at, onPick, onClose }: { contact: Contact; at: { x: number; y: number }; onPick: (a: ContactAction) => void; onClose: () => void }): JSX.Element {
  const ref = useRef<HTMLUListElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, []);
  const items: { label: string; action: ContactAction }[] = [
    { label: t('contactRename'), action: { kind: 'rename', contact } },
    { label: t('contactMoveToGroup'), action: { kind: 'group', contact } },
    { label: t('contactRemove'), action: { kind: 'remove', contact } },
  ];
  return (
    <ul
      ref={ref}
      class="context-menu"
      role="menu"
      aria-label={t('contactActions', { name: contact.name })}
      style={{ left: `${Math.max(4, Math.min(at.x, window.innerWidth - 190))}px`, top: `${Math.max(4, Math.min(at.y, window.innerHeight - 110))}px` }}
      onKeyDown={(e) => {
        const list = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
        const i = list.indexOf(document.activeElement as HTMLElement);
        if (e.key === 'Escape' || e.key === 'Tab') {
          e.preventDefault();
          onClose();
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          list[(i + (e.key === 'ArrowDown' ? 1 : -1) + list.length) % list.length]?.focus();
        } else if (e.key === 'Home' || e.key === 'End') {
          e.preventDefault();
          list[e.key === 'Home' ? 0 : list.length - 1]?.focus();
        }
      }}
    >
      {items.map((it) => (
        <li key={it.label} role="none">
          <button type="button" role="menuitem" tabIndex={-1} class={it.action.kind === 'remove' ? 'danger' : ''} onClick={() => onPick(it.action)}>
            {it.label}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Runs a call with progress and a worded failure; resolves true when it worked. */
function useCall(): { busy: boolean; error?: string; run: (fn: () => Promise<unknown>, failed: (reason: string) => string) => Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return {
    busy,
    ...(error ? { error } : {}),
    async run(fn, failed) {
      setBusy(true);
      setError(undefined);
      try {
        await fn();
        return true;
      } catch (e) {
        setError(failed(errorMessage(e)));
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}

const NEW_GROUP = '\u0000new';

export function ContactDialog({ action, contacts, onClose }: { action: ContactAction; contacts: Contact[]; onClose: () => void }): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const call = useCall();
  const contact = action.kind === 'add' ? undefined : action.contact;
  const groups = [...new Set(contacts.flatMap((c) => c.groups))].sort((a, b) => a.localeCompare(b));
  const [address, setAddress] = useState('');
  const [name, setName] = useState(contact?.name ?? '');
  const [group, setGroup] = useState(contact?.groups[0] ?? (groups.length ? groups[0]! : NEW_GROUP));
  const [newGroup, setNewGroup] = useState('');
  const setRef = (el: HTMLDialogElement | null) => {
    ref.current = el;
    if (el && !el.open) el.showModal();
  };
  const close = () => ref.current?.close();
  const done = (ok: boolean) => {
    if (ok) close();
  };

  let title: string;
  let body: JSX.Element;
  let submit: string;
  let working: string;
  let go: () => Promise<boolean>;
  switch (action.kind) {
    case 'add':
      title = t('addContactTitle');
      submit = t('add');
      working = t('adding');
      go = () => call.run(() => api().chat.addContact({ jid: address.trim().toLowerCase(), ...(name.trim() ? { name: name.trim() } : {}) }), (reason) => t('addContactFailed', { reason }));
      body = (
        <>
          <label class="field">
            <span>{t('contactAddress')}</span>
            <input type="email" required maxLength={320} placeholder="name@example.com" value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('contactNameOptional')}</span>
            <input type="text" maxLength={256} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <p class="muted hint">{t('addContactHint')}</p>
        </>
      );
      break;
    case 'rename':
      title = t('renameContactTitle', { jid: action.contact.jid });
      submit = t('save');
      working = t('saving');
      go = () => call.run(() => api().chat.updateContact({ jid: action.contact.jid, name: name.trim() }), (reason) => t('renameFailed', { reason }));
      body = (
        <label class="field">
          <span>{t('contactName')}</span>
          <input type="text" maxLength={256} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
      );
      break;
    case 'group': {
      title = t('moveContactTitle', { name: action.contact.name });
      submit = t('move');
      working = t('saving');
      const target = group === NEW_GROUP ? newGroup.trim() : group;
      go = () => call.run(() => api().chat.updateContact({ jid: action.contact.jid, groups: [target] }), (reason) => t('moveFailed', { reason }));
      body = (
        <>
          <label class="field">
            <span>{t('group')}</span>
            <select value={group} onChange={(e) => setGroup(e.currentTarget.value)}>
              {groups.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
              <option value={NEW_GROUP}>{t('newGroupOption')}</option>
            </select>
          </label>
          {group === NEW_GROUP && (
            <label class="field">
              <span>{t('newGroupName')}</span>
              <input type="text" required maxLength={256} value={newGroup} onInput={(e) => setNewGroup(e.currentTarget.value)} />
            </label>
          )}
        </>
      );
      break;
    }
    case 'remove':
      title = t('removeContactTitle', { name: action.contact.name });
      submit = t('remove');
      working = t('removing');
      go = () => call.run(() => api().chat.removeContact({ jid: action.contact.jid }), (reason) => t('removeFailed', { reason }));
      body = <p>{t('removeContactText', { name: action.contact.name, jid: action.contact.jid })}</p>;
      break;
  }
  const ready = action.kind === 'add' ? address.includes('@') : action.kind === 'group' ? (group === NEW_GROUP ? !!newGroup.trim() : !!group) : true;

  return (
    <dialog ref={setRef} class="dialog contact-dialog" aria-labelledby="contact-dialog-title" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void go().then(done);
        }}
      >
        <h2 id="contact-dialog-title">{title}</h2>
        {body}
        {call.busy && (
          <p class="muted" role="status">
            {working}
          </p>
        )}
        {call.error && (
          <p class="error" role="alert">
            {call.error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={close}>
            {t('cancel')}
          </button>
          <button type="submit" class={action.kind === 'remove' ? 'primary danger' : 'primary'} disabled={call.busy || !ready}>
            {call.error ? t('retry') : submit}
          </button>
        </div>
      </form>
    </dialog>
  );
}
