// The Help window's text, in English and German, one entry per section of shared/routes.ts
// HELP_SECTIONS (the type makes both languages cover every section). Plain text paragraphs: the
// view renders them as text, never as HTML.
import type { HelpSection } from '../../shared/routes.ts';
import type { Lang } from '../i18n/i18n.ts';

export interface HelpTopic {
  title: string;
  paragraphs: string[];
}

export const HELP: Record<Lang, Record<HelpSection, HelpTopic>> = {
  en: {
    'sign-in': {
      title: 'Signing in',
      paragraphs: [
        'Herald signs in to your organisation’s Herald gateway with your mail address and mail password. Your administrator tells you the gateway address, or sends a provisioning link (herald://…) that fills it in for you.',
        'Your password is used once: Herald keeps a device token instead, protected by the system’s secret storage. If the administrator revokes the device or your password changes, Herald asks you to sign in again.',
        'If signing in fails, the message says why: a wrong password, a gateway that cannot be reached, or an account without access.',
      ],
    },
    tray: {
      title: 'The tray icon',
      paragraphs: [
        'Herald lives in the notification area (system tray). The icon shows whether you are connected, have new mail, or have unread chat messages; hover over it for the counts in words.',
        'Its menu lists your folders with their counts (click one to open it in webmail), lets you set your status (online, away, do not disturb, …), check mail now, and open Contacts, Mail folders, Settings and this Help.',
        'Closing the contacts window keeps Herald running in the tray; choose “Quit Herald” in the tray menu to end it.',
      ],
    },
    chat: {
      title: 'Chat',
      paragraphs: [
        'The Contacts window lists your colleagues and the contacts you added, with their status. Double-click a contact (or press Enter) to chat; a conversation opens in its own window.',
        'You can send files, use emoticons and colours, and start group conversations (rooms) and invite colleagues. Messages sent while you were away arrive when you sign in.',
        'Messages from the server itself — alerts, reminders, scripted notices — appear in a separate “Herald” conversation.',
      ],
    },
    general: {
      title: 'General settings',
      paragraphs: [
        'Choose your status and status message, whether Herald starts when you log in to your computer, and chat preferences such as emoticons and going “away” automatically after a number of idle minutes.',
      ],
    },
    alerts: {
      title: 'Alerts and quiet times',
      paragraphs: [
        'When new mail arrives, Herald shows a pop-up with the sender, subject and folder; click it to open the folder in webmail. Many messages at once become one summary.',
        'Do not disturb holds back all pop-ups and sounds until you switch it off. Quiet hours do the same every day between two times (for example 22:00 to 07:00); the tray still counts what arrives.',
        'You can switch pop-ups off per folder. Your administrator may limit alerts to the Inbox; such settings are shown with a lock.',
      ],
    },
    sounds: {
      title: 'Sounds',
      paragraphs: [
        'Each event — new mail, a message in or out, a contact coming online or going offline, a file received — can play the skin’s sound, no sound, or a sound file of your own.',
        'Your own file may be WAV, Ogg or MP3, at most 512 KB. Herald checks that it can be played and keeps a copy, so you may move or delete the original. Use ▶ to listen.',
        'Do not disturb and quiet hours keep every sound silent.',
      ],
    },
    skins: {
      title: 'Skins',
      paragraphs: [
        'A skin changes Herald’s colours, fonts, tray icons and sounds. Pick one in Settings › Skins; it applies at once to every open window.',
        'To add a skin, put its folder in the Styles folder of Herald’s data folder (Styles/<Name>/<Name>.msstyles). A skin that cannot be used is listed with the reason.',
      ],
    },
    history: {
      title: 'Conversation history',
      paragraphs: ['Herald keeps your conversations in a folder on this computer, one text file per day. Settings › History shows where, opens the folder, and exports a conversation as text or HTML.'],
    },
    account: {
      title: 'Your account',
      paragraphs: ['Settings › Account shows who is signed in, to which gateway, and the connection. Signing out removes this device’s token; you can sign in again at any time.'],
    },
  },
  de: {
    'sign-in': {
      title: 'Anmelden',
      paragraphs: [
        'Herald meldet sich mit Ihrer E-Mail-Adresse und Ihrem E-Mail-Passwort beim Herald-Gateway Ihrer Organisation an. Die Gateway-Adresse erhalten Sie von Ihrer Administration, oder einen Einrichtungslink (herald://…), der sie für Sie einträgt.',
        'Ihr Passwort wird nur einmal verwendet: Herald speichert stattdessen ein Geräte-Token, geschützt durch den Schlüsselspeicher des Systems. Sperrt die Administration das Gerät oder ändert sich Ihr Passwort, bittet Herald Sie erneut um die Anmeldung.',
        'Schlägt die Anmeldung fehl, nennt die Meldung den Grund: ein falsches Passwort, ein nicht erreichbares Gateway oder ein Konto ohne Zugang.',
      ],
    },
    tray: {
      title: 'Das Symbol im Infobereich',
      paragraphs: [
        'Herald wohnt im Infobereich der Taskleiste. Das Symbol zeigt, ob Sie verbunden sind, neue E-Mails oder ungelesene Chat-Nachrichten haben; zeigen Sie darauf, um die Zahlen in Worten zu sehen.',
        'Sein Menü listet Ihre Ordner mit ihren Zahlen (ein Klick öffnet den Ordner im Webmail), setzt Ihren Status (online, abwesend, nicht stören, …), prüft sofort auf E-Mails und öffnet Kontakte, Mail-Ordner, Einstellungen und diese Hilfe.',
        'Wenn Sie das Kontaktfenster schließen, läuft Herald im Infobereich weiter; „Herald beenden“ im Menü beendet es.',
      ],
    },
    chat: {
      title: 'Chat',
      paragraphs: [
        'Das Kontaktfenster zeigt Ihre Kolleginnen und Kollegen und die Kontakte, die Sie hinzugefügt haben, mit ihrem Status. Ein Doppelklick auf einen Kontakt (oder die Eingabetaste) öffnet ein Gespräch in einem eigenen Fenster.',
        'Sie können Dateien senden, Emoticons und Farben verwenden und Gruppengespräche (Räume) beginnen und dazu einladen. Nachrichten, die während Ihrer Abwesenheit kamen, erhalten Sie bei der Anmeldung.',
        'Nachrichten des Servers selbst — Benachrichtigungen, Erinnerungen, Meldungen von Skripten — erscheinen in einem eigenen Gespräch „Herald“.',
      ],
    },
    general: {
      title: 'Allgemeine Einstellungen',
      paragraphs: ['Wählen Sie Ihren Status und Ihre Statusnachricht, ob Herald bei der Anmeldung am Computer startet, und Chat-Einstellungen wie Emoticons und automatisches „Abwesend“ nach einigen Minuten ohne Eingabe.'],
    },
    alerts: {
      title: 'Benachrichtigungen und Ruhezeiten',
      paragraphs: [
        'Kommt eine neue E-Mail, zeigt Herald ein Hinweisfenster mit Absender, Betreff und Ordner; ein Klick öffnet den Ordner im Webmail. Viele Nachrichten auf einmal werden zu einer Zusammenfassung.',
        '„Nicht stören“ hält alle Hinweise und Töne zurück, bis Sie es ausschalten. Ruhezeiten tun dasselbe jeden Tag zwischen zwei Uhrzeiten (zum Beispiel 22:00 bis 07:00); das Symbol zählt trotzdem mit.',
        'Hinweise lassen sich je Ordner abschalten. Ihre Administration kann Hinweise auf den Posteingang beschränken; solche Einstellungen tragen ein Schloss.',
      ],
    },
    sounds: {
      title: 'Töne',
      paragraphs: [
        'Jedes Ereignis — neue E-Mail, eine Nachricht empfangen oder gesendet, ein Kontakt kommt online oder geht offline, eine Datei empfangen — kann den Ton des Skins, keinen Ton oder eine eigene Tondatei abspielen.',
        'Eine eigene Datei darf WAV, Ogg oder MP3 sein, höchstens 512 KB. Herald prüft, dass sie sich abspielen lässt, und behält eine Kopie; das Original dürfen Sie verschieben oder löschen. ▶ spielt den Ton vor.',
        '„Nicht stören“ und Ruhezeiten lassen jeden Ton verstummen.',
      ],
    },
    skins: {
      title: 'Skins',
      paragraphs: [
        'Ein Skin ändert Farben, Schriften, Symbole und Töne von Herald. Wählen Sie ihn unter Einstellungen › Skins; er gilt sofort in allen offenen Fenstern.',
        'Um einen Skin hinzuzufügen, legen Sie seinen Ordner in den Ordner „Styles“ im Datenordner von Herald (Styles/<Name>/<Name>.msstyles). Ein unbrauchbarer Skin wird mit dem Grund aufgeführt.',
      ],
    },
    history: {
      title: 'Gesprächsverlauf',
      paragraphs: ['Herald bewahrt Ihre Gespräche in einem Ordner auf diesem Computer auf, eine Textdatei pro Tag. Einstellungen › Verlauf zeigt, wo, öffnet den Ordner und exportiert ein Gespräch als Text oder HTML.'],
    },
    account: {
      title: 'Ihr Konto',
      paragraphs: ['Einstellungen › Konto zeigt, wer angemeldet ist, bei welchem Gateway, und die Verbindung. Abmelden entfernt das Token dieses Geräts; Sie können sich jederzeit wieder anmelden.'],
    },
  },
};
