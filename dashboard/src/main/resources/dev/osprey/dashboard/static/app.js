// Osprey's dashboard: PromQL graph and table over /api/v1/query_range, LogQL search and live view
// over /loki/api/v1/query_range, and a status page. Plain browser JavaScript, no build step.
'use strict';

const COLORS = ['#3fb7ff', '#ffb547', '#7ee081', '#ff6b9a', '#b28dff', '#4fd1c5', '#f6e05e', '#fc8181'];
const $ = (sel) => document.querySelector(sel);

// The Loki tenant (X-Scope-OrgID) of the log views when logs.auth_enabled: ?tenant=<id> in the URL.
const TENANT = new URLSearchParams(location.search).get('tenant');

async function getJson(url) {
  const headers = TENANT && url.startsWith('/loki/') ? { 'X-Scope-OrgID': TENANT } : {};
  const r = await fetch(url, { headers });
  const text = await r.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch (e) {
    body = { status: 'error', error: 'HTTP ' + r.status + (text ? ': ' + text.trim() : '') };
  }
  if (!r.ok || body.status !== 'success') {
    throw new Error(body.error || ('HTTP ' + r.status));
  }
  return body.data;
}

function seriesName(metric) {
  const name = metric.__name__ || '';
  const labels = Object.keys(metric).filter((k) => k !== '__name__').sort()
    .map((k) => `${k}="${metric[k]}"`).join(', ');
  return `${name}{${labels}}`;
}

function showError(el, err) {
  el.textContent = err ? String(err.message || err) : '';
  el.hidden = !err;
}

// ---- metrics ----

async function runPromql() {
  const q = $('#promql').value;
  const range = Number($('#range').value);
  const end = Date.now() / 1000;
  const start = end - range;
  const step = Math.max(1, Math.round(range / 250));
  const params = new URLSearchParams({ query: q, start, end, step });
  showError($('#promql-error'), null);
  try {
    const data = await getJson('/api/v1/query_range?' + params);
    draw(data.result, start, end);
    table(data.result);
  } catch (e) {
    showError($('#promql-error'), e);
    draw([], start, end);
    table([]);
  }
}

function draw(result, start, end) {
  const svg = $('#chart');
  svg.innerHTML = '';
  let min = Infinity;
  let max = -Infinity;
  for (const s of result) {
    for (const [, v] of s.values) {
      const f = Number(v);
      if (Number.isFinite(f)) { min = Math.min(min, f); max = Math.max(max, f); }
    }
  }
  if (!Number.isFinite(min)) { return; }
  if (max === min) { max = min + 1; }
  const x = (t) => ((t - start) / (end - start)) * 1000;
  const y = (v) => 290 - ((v - min) / (max - min)) * 280;
  result.forEach((s, i) => {
    const pts = s.values.filter(([, v]) => Number.isFinite(Number(v)))
      .map(([t, v]) => `${x(Number(t)).toFixed(1)},${y(Number(v)).toFixed(1)}`).join(' ');
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', pts);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', COLORS[i % COLORS.length]);
    line.setAttribute('stroke-width', '1.5');
    line.setAttribute('vector-effect', 'non-scaling-stroke');
    line.setAttribute('data-series', seriesName(s.metric));
    svg.appendChild(line);
    if (s.values.length < 20) {
      // Few points (a fresh demo): mark each one so the series is visible at all.
      for (const [t, v] of s.values) {
        if (!Number.isFinite(Number(v))) { continue; }
        const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
        dot.setAttribute('cx', x(Number(t)).toFixed(1));
        dot.setAttribute('cy', y(Number(v)).toFixed(1));
        dot.setAttribute('r', '3');
        dot.setAttribute('fill', COLORS[i % COLORS.length]);
        svg.appendChild(dot);
      }
    }
  });
}

function table(result) {
  const body = $('#promql-table tbody');
  body.innerHTML = '';
  for (const s of result) {
    const tr = document.createElement('tr');
    const last = s.values.length ? s.values[s.values.length - 1][1] : '';
    tr.innerHTML = '<td></td><td></td>';
    tr.children[0].textContent = seriesName(s.metric);
    tr.children[1].textContent = last;
    body.appendChild(tr);
  }
}

// ---- logs ----

let liveTimer = null;

async function runLogql() {
  const q = $('#logql').value;
  const end = Date.now() * 1e6;
  const start = end - 3600 * 1e9;
  const params = new URLSearchParams({ query: q, start, end, limit: 200, direction: 'backward' });
  showError($('#logql-error'), null);
  try {
    const data = await getJson('/loki/api/v1/query_range?' + params);
    const lines = [];
    for (const s of data.result) {
      for (const [ts, line] of s.values || []) {
        lines.push({ ts, line, labels: s.stream });
      }
    }
    lines.sort((a, b) => (a.ts < b.ts ? 1 : -1));
    const ol = $('#log-lines');
    ol.innerHTML = '';
    for (const l of lines) {
      const li = document.createElement('li');
      const ts = document.createElement('span');
      ts.className = 'ts';
      ts.textContent = new Date(Number(BigInt(l.ts) / 1000000n)).toISOString();
      const lab = document.createElement('span');
      lab.className = 'labels';
      lab.textContent = `${l.labels.namespace || ''}/${l.labels.pod || ''}`;
      li.append(ts, lab, document.createTextNode(l.line));
      ol.appendChild(li);
    }
    $('#log-count').textContent = `${lines.length} lines`;
  } catch (e) {
    showError($('#logql-error'), e);
  }
}

// ---- status ----

async function runStatus() {
  const rows = [];
  try {
    const b = await getJson('/api/v1/status/buildinfo');
    rows.push(['version', b.version], ['build date', b.buildDate], ['runtime', b.goVersion]);
  } catch (e) {
    rows.push(['buildinfo', String(e.message)]);
  }
  const ready = await fetch('/-/ready').then((r) => (r.ok ? 'ready' : 'not ready')).catch(() => 'unreachable');
  rows.push(['server', ready]);
  const body = $('#status-table tbody');
  body.innerHTML = '';
  for (const [k, v] of rows) {
    const tr = document.createElement('tr');
    tr.innerHTML = '<th></th><td></td>';
    tr.children[0].textContent = k;
    tr.children[1].textContent = v;
    body.appendChild(tr);
  }
}

// ---- tabs ----

function show(tab) {
  for (const s of document.querySelectorAll('.tab')) { s.hidden = s.id !== 'tab-' + tab; }
  for (const a of document.querySelectorAll('nav a')) { a.classList.toggle('active', a.dataset.tab === tab); }
  if (tab === 'metrics') { runPromql(); }
  if (tab === 'logs') { runLogql(); }
  if (tab === 'status') { runStatus(); }
}

$('#promql-form').addEventListener('submit', (e) => { e.preventDefault(); runPromql(); });
$('#logql-form').addEventListener('submit', (e) => { e.preventDefault(); runLogql(); });
$('#live').addEventListener('change', (e) => {
  clearInterval(liveTimer);
  if (e.target.checked) { liveTimer = setInterval(runLogql, 2000); }
});
window.addEventListener('hashchange', () => show(location.hash.slice(1) || 'metrics'));
getJson('/api/v1/status/buildinfo').then((b) => { $('#build').textContent = 'osprey ' + b.version; }).catch(() => {});
show(location.hash.slice(1) || 'metrics');
