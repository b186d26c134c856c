// The Help window: every section of HELP_SECTIONS in the system language, with a table of
// contents; `#/help/<section>` scrolls to that section and focuses its heading (Settings pages
// link there; F1 opens the section for the window it is pressed in).
import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { HELP_SECTIONS, type HelpSection, type Route } from '../../shared/routes.ts';
import { Icon } from '../components/icons.tsx';
import { TitleBar } from '../components/title-bar.tsx';
import { lang, t } from '../i18n/i18n.ts';
import { openView } from '../router.ts';
import { HELP } from './help-content.ts';

/** The Help section for a window's view (F1 in that window). */
export function helpSectionFor(route: Route): HelpSection | undefined {
  switch (route.view) {
    case 'sign-in':
      return 'sign-in';
    case 'contacts':
    case 'chat':
    case 'room':
      return 'chat';
    case 'history':
      return 'history';
    case 'folders':
      return 'alerts';
    default:
      return undefined;
  }
}

/** F1 anywhere opens Help (at the section for this window, or the one `section()` names). */
export function useF1(section: () => HelpSection | undefined): void {
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.key !== 'F1' || e.ctrlKey || e.altKey || e.metaKey) return;
      e.preventDefault();
      const s = section();
      openView(s ? { view: 'help', section: s } : { view: 'help' });
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  });
}

/** "Help on this page" for a Settings page. */
export function HelpLink({ section }: { section: HelpSection }): JSX.Element {
  const topic = HELP[lang][section].title;
  return (
    <a
      class="help-link"
      href={`#/help/${section}`}
      onClick={(e) => {
        e.preventDefault();
        openView({ view: 'help', section });
      }}
    >
      <Icon name="info" size={14} /> {t('helpOn', { topic })}
    </a>
  );
}

export function HelpView({ section }: { section?: HelpSection }): JSX.Element {
  const topics = HELP[lang];
  useEffect(() => {
    if (!section) return;
    const h = document.getElementById(`help-${section}`);
    h?.scrollIntoView({ block: 'start' });
    h?.focus();
  }, [section]);
  return (
    <div class="window help-window">
      <TitleBar title={t('helpTitle')} icon={<Icon name="info" size={20} />} />
      <div class="split grow">
        <nav class="help-toc" aria-label={t('helpContents')}>
          <ul>
            {HELP_SECTIONS.map((s) => (
              <li key={s}>
                <a href={`#/help/${s}`} aria-current={s === section ? 'true' : undefined}>
                  {topics[s].title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main class="main scroll help-body">
          {HELP_SECTIONS.map((s) => (
            <section key={s} aria-labelledby={`help-${s}`} data-section={s} class={s === section ? 'current' : undefined}>
              <h2 id={`help-${s}`} tabIndex={-1}>
                {topics[s].title}
              </h2>
              {topics[s].paragraphs.map((p, i) => (
                <p key={i}>{p}</p>
              ))}
            </section>
          ))}
        </main>
      </div>
    </div>
  );
}
