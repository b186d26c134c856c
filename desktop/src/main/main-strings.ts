// The main process's own words (tray menu, notifications, dialogs) in English and German; the
// renderer has its own catalogs. Picked from the OS locale (app.getLocale()).
const en = {
  status: 'Status',
  online: 'Online',
  away: 'Away',
  xa: 'Extended away',
  awayIdle: 'Away (idle)',
  xaIdle: 'Extended away (idle)',
  dnd: 'Do not disturb',
  invisible: 'Invisible',
  offline: 'Offline',
  contacts: 'Contacts…',
  folders: 'Mail folders…',
  history: 'Chat history…',
  checkNow: 'Check mail now',
  openWebmail: 'Open webmail',
  settings: 'Settings…',
  about: 'About Herald',
  help: 'Help',
  signIn: 'Sign in…',
  signOut: 'Sign out',
  quit: 'Quit Herald',
  inbox: 'Inbox',
  countsNew: '{new} new, {unread} unread, {total}',
  countsUnread: '{unread} unread, {total}',
  chatUnread: '{n} unread chat message(s)',
  chatFrom: '{name}',
  chatInRoom: '{name} in {room}',
  chatMore: '{n} new messages',
  fileShared: 'Sent a file: {name}',
  pickFile: 'Send a file',
  saveExport: 'Export conversation',
  weakSecrets: 'No keyring was found (safeStorage uses basic_text): your device token is stored with weak protection. Install and unlock a keyring (GNOME Keyring, KWallet) to protect it.',
  noSecrets: 'Encryption is not available: you will have to sign in again after a restart.',
} as const;
export type MainStrings = Record<keyof typeof en, string>;

const de: MainStrings = {
  status: 'Status',
  online: 'Online',
  away: 'Abwesend',
  xa: 'Länger abwesend',
  awayIdle: 'Abwesend (inaktiv)',
  xaIdle: 'Länger abwesend (inaktiv)',
  dnd: 'Nicht stören',
  invisible: 'Unsichtbar',
  offline: 'Offline',
  contacts: 'Kontakte…',
  folders: 'Mail-Ordner…',
  history: 'Chat-Verlauf…',
  checkNow: 'Jetzt nach Mail sehen',
  openWebmail: 'Webmail öffnen',
  settings: 'Einstellungen…',
  about: 'Über Herald',
  help: 'Hilfe',
  signIn: 'Anmelden…',
  signOut: 'Abmelden',
  quit: 'Herald beenden',
  inbox: 'Posteingang',
  countsNew: '{new} neu, {unread} ungelesen, {total}',
  countsUnread: '{unread} ungelesen, {total}',
  chatUnread: '{n} ungelesene Chat-Nachricht(en)',
  chatFrom: '{name}',
  chatInRoom: '{name} in {room}',
  chatMore: '{n} neue Nachrichten',
  fileShared: 'Hat eine Datei geschickt: {name}',
  pickFile: 'Datei senden',
  saveExport: 'Unterhaltung exportieren',
  weakSecrets: 'Kein Schlüsselbund gefunden (safeStorage nutzt basic_text): Ihr Geräte-Token ist nur schwach geschützt. Installieren und entsperren Sie einen Schlüsselbund (GNOME Keyring, KWallet), um es zu schützen.',
  noSecrets: 'Verschlüsselung ist nicht verfügbar: Nach einem Neustart müssen Sie sich erneut anmelden.',
};

export const MAIN_STRINGS = { en: en as MainStrings, de };

export function mainStrings(locale: string): MainStrings {
  return locale.toLowerCase().startsWith('de') ? de : MAIN_STRINGS.en;
}

export function fmt(s: string, values: Record<string, string | number>): string {
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}
