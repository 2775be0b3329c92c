// Draws the density map into an SVG: a lat/lng grid for orientation, H3 cells coloured by
// phones per cell, offer geofences (circles and polygons), and a scale bar. No map tiles.
/* global window, document */
(function () {
  'use strict';
  const NS = 'http://www.w3.org/2000/svg';
  const W = 1000,
    H = 680,
    PAD = 36;
  const STOPS = ['#173250', '#1f5f84', '#2c9a8c', '#8fc45a', '#ffc94a', '#ff7a3d'];
  let bounds = null;

  function el(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function color(t) {
    const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
    const i = Math.min(STOPS.length - 2, Math.floor(x));
    const mix = (a, b, f) => Math.round(a + (b - a) * f);
    const [a, b] = [STOPS[i], STOPS[i + 1]].map((h) => [1, 3, 5].map((o) => parseInt(h.slice(o, o + 2), 16)));
    return `rgb(${a.map((v, k) => mix(v, b[k], x - i)).join(',')})`;
  }

  // Everything that should be visible, as [minLat, minLng, maxLat, maxLng].
  function wanted(snap) {
    let b = null;
    const add = (lat, lng) => {
      b = b
        ? [Math.min(b[0], lat), Math.min(b[1], lng), Math.max(b[2], lat), Math.max(b[3], lng)]
        : [lat, lng, lat, lng];
    };
    for (const c of snap.cells) for (const [lat, lng] of c.boundary) add(lat, lng);
    for (const o of snap.offers) {
      for (const c of o.circles) {
        const dLat = c.radiusM / 111320,
          dLng = c.radiusM / (111320 * Math.cos((c.lat * Math.PI) / 180));
        add(c.lat - dLat, c.lng - dLng);
        add(c.lat + dLat, c.lng + dLng);
      }
      for (const p of o.polygons) for (const pt of p.outer) add(pt.lat, pt.lng);
    }
    return b;
  }

  // Grow to fit new data; shrink only when the data fills a small part of the view, so the
  // map holds still from one second to the next.
  function updateBounds(snap) {
    const w = wanted(snap);
    if (!w) return;
    const area = (b) => (b[2] - b[0]) * (b[3] - b[1]);
    const inside = bounds && w[0] >= bounds[0] && w[1] >= bounds[1] && w[2] <= bounds[2] && w[3] <= bounds[3];
    if (inside && area(w) > 0.25 * area(bounds)) return;
    const mLat = Math.max((w[2] - w[0]) * 0.08, 0.002),
      mLng = Math.max((w[3] - w[1]) * 0.08, 0.003);
    bounds = [w[0] - mLat, w[1] - mLng, w[2] + mLat, w[3] + mLng];
  }

  function projection() {
    const [s, wst, n, e] = bounds;
    const k = Math.cos((((s + n) / 2) * Math.PI) / 180);
    const scale = Math.min((W - 2 * PAD) / ((e - wst) * k), (H - 2 * PAD) / (n - s));
    const ox = (W - (e - wst) * k * scale) / 2,
      oy = (H - (n - s) * scale) / 2;
    return { scale, k, x: (lng) => ox + (lng - wst) * k * scale, y: (lat) => oy + (n - lat) * scale };
  }

  function niceStep(span) {
    for (const s of [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5])
      if (span / s <= 8) return s;
    return 10;
  }

  function grid(g, p) {
    const [s, w, n, e] = bounds;
    const step = niceStep(Math.max(n - s, e - w));
    const digits = Math.max(0, -Math.floor(Math.log10(step)));
    const layer = el('g', { class: 'grid' });
    for (let lat = Math.ceil(s / step) * step; lat <= n; lat += step) {
      layer.append(
        el('line', { x1: 0, x2: W, y1: p.y(lat), y2: p.y(lat) }),
        el('text', { x: 6, y: p.y(lat) - 4 }, `${lat.toFixed(digits)}°N`),
      );
    }
    for (let lng = Math.ceil(w / step) * step; lng <= e; lng += step) {
      layer.append(
        el('line', { x1: p.x(lng), x2: p.x(lng), y1: 0, y2: H }),
        el('text', { x: p.x(lng) + 4, y: H - 6 }, `${lng.toFixed(digits)}°E`),
      );
    }
    g.append(layer);
  }

  function scaleBar(g, p) {
    const metresPerPx = 111320 / p.scale;
    const target = metresPerPx * 140;
    const nice = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000].find((m) => m >= target * 0.6) || 100000;
    const px = nice / metresPerPx;
    const layer = el('g', { class: 'scale', transform: `translate(${W - px - 24}, ${H - 28})` });
    layer.append(
      el('line', { x1: 0, x2: px, y1: 0, y2: 0 }),
      el('text', { x: px / 2, y: -6, 'text-anchor': 'middle' }, nice >= 1000 ? `${nice / 1000} km` : `${nice} m`),
    );
    g.append(layer);
  }

  function render(svg, snap) {
    updateBounds(snap);
    svg.replaceChildren();
    if (!bounds) {
      svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#7f8da0' }, 'waiting for pings…'));
      return;
    }
    const p = projection();
    grid(svg, p);
    const max = Math.max(1, ...snap.cells.map((c) => c.users));
    const cells = el('g', { id: 'cells' });
    for (const c of snap.cells) {
      const pts = c.boundary.map(([lat, lng]) => `${p.x(lng).toFixed(1)},${p.y(lat).toFixed(1)}`).join(' ');
      const poly = el('polygon', {
        class: 'cell',
        points: pts,
        fill: color(Math.sqrt(c.users / max)),
        'fill-opacity': 0.85,
        'data-users': c.users,
      });
      poly.append(el('title', {}, `${c.users} phones`));
      cells.append(poly);
      const cx = c.boundary.reduce((a, [, lng]) => a + p.x(lng), 0) / c.boundary.length;
      const cy = c.boundary.reduce((a, [lat]) => a + p.y(lat), 0) / c.boundary.length;
      if (Math.abs(p.x(c.boundary[0][1]) - cx) > 14)
        cells.append(el('text', { class: 'cell-label', x: cx, y: cy }, c.users));
    }
    svg.append(cells);
    const fences = el('g', { id: 'fences' });
    for (const o of snap.offers) {
      const hot = o.lastPushTs !== null && snap.ts - o.lastPushTs < 10000;
      const cls = hot ? 'fence hot' : 'fence';
      let lx = null,
        ly = null;
      for (const c of o.circles) {
        const r = (c.radiusM / 111320) * p.scale;
        fences.append(el('ellipse', { class: cls, cx: p.x(c.lng), cy: p.y(c.lat), rx: r, ry: r }));
        lx = p.x(c.lng);
        ly = p.y(c.lat) - r - 5;
      }
      for (const poly of o.polygons) {
        fences.append(
          el('polygon', { class: cls, points: poly.outer.map((pt) => `${p.x(pt.lng)},${p.y(pt.lat)}`).join(' ') }),
        );
        lx = p.x(poly.outer[0].lng);
        ly = p.y(poly.outer[0].lat) - 5;
      }
      if (lx !== null && (hot || snap.offers.length <= 30))
        fences.append(el('text', { class: hot ? 'fence-label hot' : 'fence-label', x: lx, y: ly }, o.title));
    }
    svg.append(fences);
    scaleBar(svg, p);
  }

  function legend(node, snap) {
    const max = Math.max(1, ...snap.cells.map((c) => c.users));
    node.innerHTML = `<span>1</span><span class="bar" style="background:linear-gradient(90deg,${STOPS.join(',')})"></span><span>${max} phones / cell · H3 res ${snap.resolution} · last ${snap.windowSeconds}s</span>`;
  }

  window.NearcastMap = { render, legend };
})();
