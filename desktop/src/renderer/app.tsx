// Picks the view for this window's route once the store has loaded; a signed-out app shows the
// sign-in form in any window that needs an account.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from './api.ts';
import { t } from './i18n/i18n.ts';
import { useRoute, type Route } from './router.ts';
import { coreState, startStore, useCell } from './store.ts';
import { AboutView } from './views/about.tsx';
import { ChatView } from './views/chat.tsx';
import { ContactsView } from './views/contacts.tsx';
import { FoldersView } from './views/folders.tsx';
import { HelpView, helpSectionFor, useF1 } from './views/help.tsx';
import { HistoryView } from './views/history.tsx';
import { SettingsView } from './views/settings.tsx';
import { SignInView } from './views/sign-in.tsx';

const TITLES: Record<Route['view'], () => string> = {
  contacts: () => t('contactsTitle'),
  chat: () => t('appName'),
  room: () => t('appName'),
  history: () => t('historyTitle'),
  folders: () => t('foldersTitle'),
  settings: () => t('settingsTitle'),
  about: () => t('aboutTitle'),
  help: () => t('helpTitle'),
  'sign-in': () => t('signInTitle'),
};
const NEEDS_ACCOUNT = new Set<Route['view']>(['contacts', 'chat', 'room', 'history', 'folders']);

export function App(): JSX.Element {
  const route = useRoute() ?? { view: 'contacts' };
  const [failed, setFailed] = useState<string>();
  const state = useCell(coreState);
  // F1 in any window opens Help (Settings pages name their own section: settings.tsx).
  useF1(() => (route.view === 'settings' ? (document.querySelector<HTMLElement>('[data-help-section]')?.dataset.helpSection as ReturnType<typeof helpSectionFor>) : helpSectionFor(route)));
  useEffect(() => {
    startStore({ playsSounds: true }).catch((e) => setFailed(errorMessage(e)));
  }, []);
  useEffect(() => {
    document.title = `${TITLES[route.view]()} — Herald`;
    document.documentElement.dataset.view = route.view;
  }, [route.view]);

  if (failed) return <div class="fatal" role="alert">{failed}</div>;
  if (!state) return <div class="loading" aria-busy="true">{t('loading')}</div>;
  if (route.view === 'help') return <HelpView section={route.section} />;
  if (route.view === 'sign-in' || (state.signIn && NEEDS_ACCOUNT.has(route.view))) return <SignInView />;
  switch (route.view) {
    case 'contacts':
      return <ContactsView />;
    case 'chat':
    case 'room':
      return <ChatView key={`${route.view}:${route.jid}`} jid={route.jid} room={route.view === 'room'} />;
    case 'history':
      return <HistoryView initial={route.jid} />;
    case 'folders':
      return <FoldersView />;
    case 'settings':
      return <SettingsView />;
    case 'about':
      return <AboutView />;
  }
}
