// Live page: one server-sent event per second carries a whole snapshot; render it.
/* global window, document, EventSource */
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const fmt = (n, d = 1) => (n === null || n === undefined ? '–' : n >= 100 ? Math.round(n).toString() : n.toFixed(d));
  const ms = (v) =>
    v === null || v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
  const ago = (ts, now) => `${Math.max(0, Math.round((now - ts) / 1000))} s ago`;
  const esc = (s) =>
    String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

  function render(snap) {
    const h = snap.headline;
    $('pings').textContent = fmt(h.pingsPerSecond);
    $('p99').textContent = ms(h.p99Ms);
    $('pushes').textContent = fmt(h.pushesPerSecond);
    $('drops').textContent = String(h.drops);
    $('drops-label').textContent = `drops / ${snap.windowSeconds}s`;
    $('cells').textContent = String(h.activeCells);
    $('window').textContent = `(last ${snap.windowSeconds}s)`;
    $('push-list').innerHTML = snap.pushes.length
      ? snap.pushes
          .map(
            (p) =>
              `<li><span class="title">${esc(p.title)}</span><span class="outcome ${p.outcome ?? 'pending'}">${p.outcome ?? 'sending'}</span>` +
              `<span class="meta">${ago(p.decidedTs, snap.ts)} · ${p.distanceM} m from the fence centre${p.latencyMs !== null ? ` · ping → push ${ms(p.latencyMs)}` : ''}</span></li>`,
          )
          .join('')
      : '<li class="empty">waiting for the first push…</li>';
    const drops = Object.entries(snap.drops).sort((a, b) => b[1] - a[1]);
    $('drop-list').innerHTML = drops.length
      ? drops.map(([r, n]) => `<li><span>${esc(r)}</span><b>${n}</b></li>`).join('')
      : '<li class="empty">none</li>';
    window.NearcastMap.render($('map'), snap);
    window.NearcastMap.legend($('legend'), snap);
    document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
  }

  const source = new EventSource('/events');
  source.addEventListener('snapshot', (e) => render(JSON.parse(e.data)));
  source.onopen = () => {
    $('live').textContent = 'live';
    $('live').classList.add('on');
  };
  source.onerror = () => {
    $('live').textContent = 'reconnecting…';
    $('live').classList.remove('on');
  };
})();
