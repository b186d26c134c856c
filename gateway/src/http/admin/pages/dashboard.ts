// Dashboard: sessions now and over 24 h, messages and new-mail events per minute (uPlot charts),
// mail source, spool, calendar poller, version and uptime, and what needs the admin's attention.
// Live: static/dashboard.js takes a snapshot every admin.liveSeconds over /admin/live.
import type { AdminWarning } from '../../../protocol/admin-api.ts';
import { html } from '../html.ts';
import type { Translate } from '../i18n.ts';
import { STATIC } from '../layout.ts';
import type { AdminPage } from '../page.ts';

export const warningText = (t: Translate, w: AdminWarning): string => {
  switch (w.kind) {
    case 'self-signed':
      return t('warn.selfSigned');
    case 'public-url-unset':
      return t('warn.publicUrl');
    case 'im-off':
      return t('warn.imOff', { domain: w.domain });
    case 'disk-full':
      return t('warn.disk', { percent: w.percent });
  }
};

export const uptimeText = (s: number) => {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
};

export const dashboardPage: AdminPage = {
  path: '',
  title: 'page.dashboard',
  nav: true,
  scripts: ['/admin/vendor/uPlot.iife.min.js', `${STATIC}/dashboard.js`],
  styles: ['/admin/vendor/uPlot.min.css'],
  render({ t, deps }) {
    const s = deps.live.status.snapshot();
    const stat = (key: Parameters<Translate>[0], field: string, value: string | number) => html`<div class="stat"><dt>${t(key)}</dt><dd data-field="${field}">${value}</dd></div>`;
    return html`
<p class="live" data-live-state data-text-live="${t('dash.live')}" data-text-offline="${t('dash.offline')}">…</p>
<section class="card warnings" aria-labelledby="warn-h"><h2 id="warn-h">${t('dash.warnings')}</h2>
<ul data-warnings data-none="${t('dash.noWarnings')}">${s.warnings.length ? s.warnings.map((w) => html`<li>${warningText(t, w)}</li>`) : html`<li class="ok">${t('dash.noWarnings')}</li>`}</ul></section>
<dl class="stats">
${stat('dash.sessions', 'sessions', s.sessions)}
${stat('dash.messages', 'messagesPerMinute', s.messagesPerMinute)}
${stat('dash.newmail', 'newMailPerMinute', s.newMailPerMinute)}
${stat('dash.mail', 'mail.source', s.mail.source)}
${stat('dash.watches', 'mail.watches', `${s.mail.watchedUsers} / ${s.mail.watches}`)}
${stat('dash.imap', 'mail.imapConnections', s.mail.imapConnections)}
${stat('dash.spool', 'spool', `${s.spool.waiting} ${t('dash.spoolDepth')}, ${s.spool.bad} ${t('dash.spoolBad')}`)}
${stat('dash.calendar', 'calendar', s.calendar.running ? (s.calendar.lastError ?? s.calendar.lastRun ?? '…') : '—')}
${stat('dash.lag', 'eventLoopLagP99Ms', `${s.eventLoopLagP99Ms} ms`)}
${stat('dash.version', 'version', s.version)}
${stat('dash.uptime', 'uptime', uptimeText(s.uptimeSeconds))}
</dl>
<div class="charts">
<figure class="card chart"><figcaption>${t('dash.sessions24')}</figcaption><div data-chart="sessions"></div></figure>
<figure class="card chart"><figcaption>${t('dash.messages')}</figcaption><div data-chart="messages"></div></figure>
<figure class="card chart"><figcaption>${t('dash.newmail')}</figcaption><div data-chart="newmail"></div></figure>
</div>
<template data-i18n data-spool-depth="${t('dash.spoolDepth')}" data-spool-bad="${t('dash.spoolBad')}"></template>`;
  },
};
