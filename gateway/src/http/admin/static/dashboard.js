// The dashboard, live: one WebSocket to /admin/live; each message is a snapshot (GET
// /api/v1/admin/status's shape, plus the warnings in each language). Numbers are written into
// [data-field] elements, charts drawn with uPlot (window.uPlot, vendor script).
const lang = document.documentElement.lang === 'de' ? 'de' : 'en';
const state = document.querySelector('[data-live-state]');
const i18n = document.querySelector('template[data-i18n]')?.dataset ?? {};
const charts = {};

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function chart(name, label, column, history) {
  const el = document.querySelector(`[data-chart="${name}"]`);
  if (!el || !window.uPlot) return;
  // At least the last hour on the time axis (a fresh gateway has one sample): a gap point first.
  const rows = history.length && history.at(-1)[0] - history[0][0] < 3600 ? [[history.at(-1)[0] - 3600, null, null, null], ...history] : history;
  const data = [rows.map((r) => r[0]), rows.map((r) => r[column])];
  if (charts[name]) {
    charts[name].setData(data);
    return;
  }
  const stroke = cssVar('--accent');
  const axis = { stroke: cssVar('--fg'), grid: { stroke: cssVar('--line'), width: 1 }, ticks: { stroke: cssVar('--line') } };
  const width = () => Math.max(240, el.clientWidth || 300);
  charts[name] = new window.uPlot(
    { width: width(), height: 160, legend: { show: false }, series: [{}, { label, stroke, width: 2, fill: `${stroke}33` }], axes: [axis, axis], scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } } },
    data,
    el,
  );
  new ResizeObserver(() => charts[name].setSize({ width: width(), height: 160 })).observe(el);
}

function uptime(s) {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
}

function render(s) {
  const set = (field, value) => {
    const el = document.querySelector(`[data-field="${field}"]`);
    if (el) el.textContent = String(value);
  };
  set('sessions', s.sessions);
  set('messagesPerMinute', s.messagesPerMinute);
  set('newMailPerMinute', s.newMailPerMinute);
  set('mail.source', s.mail.source);
  set('mail.watches', `${s.mail.watchedUsers} / ${s.mail.watches}`);
  set('mail.imapConnections', s.mail.imapConnections);
  set('spool', `${s.spool.waiting} ${i18n.spoolDepth ?? ''}, ${s.spool.bad} ${i18n.spoolBad ?? ''}`);
  set('calendar', s.calendar.running ? (s.calendar.lastError ?? s.calendar.lastRun ?? '…') : '—');
  set('eventLoopLagP99Ms', `${s.eventLoopLagP99Ms} ms`);
  set('version', s.version);
  set('uptime', uptime(s.uptimeSeconds));
  const list = document.querySelector('[data-warnings]');
  if (list) {
    const texts = s.warningTexts?.[lang] ?? [];
    list.replaceChildren(
      ...(texts.length ? texts : [list.dataset.none]).map((text) => {
        const li = document.createElement('li');
        li.textContent = text;
        if (!texts.length) li.className = 'ok';
        return li;
      }),
    );
  }
  chart('sessions', 'sessions', 1, s.history);
  chart('messages', 'messages', 2, s.history);
  chart('newmail', 'new mail', 3, s.history);
}

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/admin/live`);
  ws.addEventListener('open', () => {
    if (state) {
      state.textContent = state.dataset.textLive;
      state.dataset.on = 'true';
    }
  });
  ws.addEventListener('message', (e) => render(JSON.parse(e.data)));
  ws.addEventListener('close', (e) => {
    if (state) {
      state.textContent = state.dataset.textOffline;
      state.dataset.on = 'false';
    }
    if (e.code === 4401) location.assign('/admin/login');
  });
}
connect();
