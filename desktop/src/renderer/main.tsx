// The renderer's entry: one page for every Herald window; the URL's #route says which view.
import { render } from 'preact';
import { App } from './app.tsx';
import { lang } from './i18n/i18n.ts';
import './styles/base.css';
import './styles/window.css';
import './styles/contacts.css';
import './styles/chat.css';
import './styles/history-folders.css';
import './styles/settings.css';
import './styles/help.css';

document.documentElement.lang = lang;
render(<App />, document.getElementById('app')!);
