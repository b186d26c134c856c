// The renderer's live view of the app, kept from window.herald: the core state, the settings, the
// active skin (applied to the page as it changes) and the chat (contacts, rooms, invitations, the
// chat connection, the user's own presence). One subscription each, shared by every component
// through small hooks.
import { useEffect, useState } from 'preact/hooks';
import type { ChatEvent, ChatWait, Contact, OwnPresenceState, Room } from '../shared/chat.ts';
import type { SettingsView } from '../shared/ipc.ts';
import type { Skin, SkinCatalog } from '../shared/skins.ts';
import type { CoreState } from '../shared/state.ts';
import { api } from './api.ts';
import { applySkin } from './skin.ts';
import { playSound } from './sound.ts';
import { Cell } from './cell.ts';
import { createSettingsWriter } from './settings-writer.ts';

export interface ChatView {
  connection: 'offline' | 'connecting' | 'online' | 'unavailable';
  detail?: string;
  /** What a retrying chat waits for, as a code (put into words by the view, in the user's language). */
  wait?: ChatWait;
  contacts: Contact[];
  rooms: Room[];
  /** Conversations with the server itself (scripts, alerts, reminders), from the history and as they arrive. */
  servers: string[];
  invites: { room: string; from: string; reason?: string; roomName?: string }[];
  /** People asking to see the user's presence. */
  requests: string[];
  /** A file the chat keeps could not be saved (the outbox of unconfirmed messages), in words; cleared by the next good write. */
  storageProblem?: string;
}

export const coreState = new Cell<CoreState | undefined>(undefined);
export const settings = new Cell<SettingsView | undefined>(undefined);
/** Every settings change goes through here: shown at once, settled by the core's answer. */
export const settingsWriter = createSettingsWriter({ cell: settings, send: (p) => api().updateSettings(p), load: () => api().getSettings() });
export const skin = new Cell<Skin | null>(null);
export const skins = new Cell<SkinCatalog>({ skins: [], rejected: [] });
/** The user's own presence as the chat part keeps it (chosen anywhere; auto-away); undefined without chat. */
export const ownPresence = new Cell<OwnPresenceState | undefined>(undefined);
export const chat = new Cell<ChatView>({ connection: 'unavailable', contacts: [], rooms: [], servers: [], invites: [], requests: [] });
const chatListeners = new Set<(e: ChatEvent) => void>();

export function useCell<T>(cell: Cell<T>): T {
  const [, force] = useState(0);
  const rendered = cell.value;
  // Effects run after the paint: follow() catches a value set between this render and the subscription.
  useEffect(() => cell.follow(rendered, () => force((n) => n + 1)), [cell]);
  return cell.value;
}

/** Every chat event, for views that keep their own conversation state. */
export function useChatEvents(listener: (e: ChatEvent) => void, deps: unknown[]): void {
  useEffect(() => {
    chatListeners.add(listener);
    return () => void chatListeners.delete(listener);
  }, deps);
}

async function refreshSkin(): Promise<void> {
  const s = await api().activeSkin();
  if (JSON.stringify(s) !== JSON.stringify(skin.value)) {
    skin.set(s);
    applySkin(s);
  }
}

// A snapshot must not overwrite what events said after it was asked for (a presence that came in
// while contacts() was on its way): if any chat event arrived meanwhile, ask again.
let chatSeq = 0;
async function refreshChat(): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const seq = chatSeq;
    let next: ChatView;
    let own: OwnPresenceState | undefined;
    try {
      const [overview, contacts] = await Promise.all([api().chat.overview(), api().chat.contacts()]);
      next = { ...chat.value, connection: overview.connection.state, detail: overview.connection.detail, wait: overview.connection.wait, rooms: overview.rooms, servers: [...new Set([...overview.servers, ...chat.value.servers])].sort(), contacts };
      own = overview.ownPresence;
    } catch {
      next = { ...chat.value, connection: 'unavailable', contacts: [], rooms: [] };
    }
    if (seq !== chatSeq) continue;
    if (JSON.stringify(own) !== JSON.stringify(ownPresence.value)) ownPresence.set(own);
    chat.set(next);
    return;
  }
}

function onChat(e: ChatEvent): void {
  chatSeq++;
  const c = chat.value;
  switch (e.type) {
    case 'roster':
      chat.set({ ...c, contacts: e.contacts });
      break;
    case 'presence':
      chat.set({ ...c, contacts: c.contacts.map((x) => (x.jid === e.jid ? { ...x, show: e.show, status: e.status } : x)) });
      break;
    case 'room':
      chat.set({ ...c, rooms: [...c.rooms.filter((r) => r.jid !== e.room.jid), e.room] });
      break;
    case 'room-left':
      chat.set({ ...c, rooms: c.rooms.filter((r) => r.jid !== e.room) });
      break;
    case 'invite':
      if (!c.invites.some((i) => i.room === e.room)) chat.set({ ...c, invites: [...c.invites, { room: e.room, from: e.from, reason: e.reason, roomName: e.roomName }] });
      break;
    case 'subscription-request':
      if (!c.requests.includes(e.jid)) chat.set({ ...c, requests: [...c.requests, e.jid] });
      break;
    case 'connection':
      chat.set({ ...c, connection: e.state, detail: e.detail, wait: e.wait });
      if (e.state === 'online') void refreshChat();
      break;
    case 'own-presence':
      ownPresence.set({ chosen: e.chosen, shown: e.shown });
      break;
    case 'message':
      if (e.message.server && e.message.direction === 'in' && !c.servers.includes(e.message.with)) chat.set({ ...c, servers: [...c.servers, e.message.with].sort() });
      break;
    case 'storage-problem':
      chat.set({ ...c, storageProblem: e.detail });
      break;
  }
  for (const l of chatListeners) l(e);
}

export function dismissRequest(jid: string): void {
  chat.set({ ...chat.value, requests: chat.value.requests.filter((r) => r !== jid) });
}

export function dismissInvite(room: string): void {
  chat.set({ ...chat.value, invites: chat.value.invites.filter((i) => i.room !== room) });
}

let started: Promise<void> | undefined;
/** Loads everything once and follows the pushes. */
export function startStore(o: { playsSounds: boolean }): Promise<void> {
  started ??= (async () => {
    const h = api();
    h.onState((s) => {
      const wasSignedIn = !!coreState.value?.user;
      coreState.set(s);
      void refreshSkin();
      if (!!s.user !== wasSignedIn) void refreshChat();
    });
    h.onSettings((v) => {
      settingsWriter.pushed(v);
      void refreshSkin();
    });
    h.chat.onEvent(onChat);
    if (o.playsSounds) h.onSound((s) => void playSound(s.url));
    const [s, v, catalog] = await Promise.all([h.getState(), h.getSettings(), h.listSkins()]);
    coreState.set(s);
    settings.set(v);
    skins.set(catalog);
    await refreshSkin();
    await refreshChat();
  })();
  return started;
}

export async function reloadSkins(): Promise<void> {
  skins.set(await api().listSkins());
}
