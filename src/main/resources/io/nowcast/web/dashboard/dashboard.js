// Nowcast's live dashboard: polls the processor's /api/ and draws its own canvas charts.
// No library, nothing fetched from elsewhere. The state it shows is also kept in
// window.nowcastDashboard, which the browser test reads.
'use strict';

(function () {
  const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#e377c2'];
  const ACTUAL = '#1f4e99';
  const PREDICTED = '#e07b00';
  const BAND = 'rgba(224, 123, 0, 0.22)';
  const WINDOW_MS = 5 * 60 * 1000;     // the overview charts show the last 5 minutes
  const MAX_WATCHED = 4;               // stream charts on the page
  const STREAM_POINTS = 240;           // points kept per stream chart (the server's ring)
  const STALE_MS = 15000;              // an auto-picked stream silent this long is replaced

  const state = {
    overview: null,                    // the last /api/overview answer, without its points
    points: [],                        // overview points {seq, t, v: [[field values] per pipeline]}
    last: 0,
    watches: [],                       // {pipeline, stream, auto, meta, points, last, lastNewMs, el, canvases}
    camera: null,
    frames: [],                        // what the frame panel shows: {topic, seq, width, height, loaded}
    draws: 0,
    errors: 0,
    lastError: ''
  };
  window.nowcastDashboard = state;

  const $ = (id) => document.getElementById(id);

  async function api(path) {
    const r = await fetch(path, { cache: 'no-store' });
    if (!r.ok) {
      throw new Error(path + ': ' + r.status);
    }
    return r.json();
  }

  function q(params) {
    return Object.entries(params).map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
  }

  function fail(e) {
    state.errors++;
    state.lastError = String(e);
  }

  // ---------------------------------------------------------------------------------------
  // charts: lines (solid, dashed or dotted) and bands over a time axis, on one canvas

  function niceStep(range, ticks) {
    const raw = range / Math.max(1, ticks);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  }

  function fmt(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(1);
    if (a === 0) return '0';
    return v.toPrecision(2);
  }

  // spec: {xMin, xMax, xLabel(x), lines: [{color, dash, width, pts: [[x, y]]}],
  //        bands: [{color, pts: [[x, lo, hi]]}], yMin0: bool, empty: text}
  // spec.yLog: a logarithmic y axis (values below spec.yLog are drawn at spec.yLog), for figures of
  // different orders of magnitude (a frame pipeline's latency beside a sample pipeline's)
  function drawChart(canvas, spec) {
    if (spec.yLog) {
      const lo = spec.yLog;
      const log = (y) => (Number.isFinite(y) ? Math.log10(Math.max(y, lo)) : NaN);
      spec = Object.assign({}, spec, {
        yLog: 0, yMin0: false, yLabel: (v) => fmt(Math.pow(10, v)),
        lines: spec.lines.map((l) => Object.assign({}, l, { pts: l.pts.map((p) => [p[0], log(p[1])]) }))
      });
    }
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 400;
    const h = canvas.clientHeight || 150;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    let yMin = Infinity;
    let yMax = -Infinity;
    const seeY = (y) => {
      if (Number.isFinite(y)) {
        yMin = Math.min(yMin, y);
        yMax = Math.max(yMax, y);
      }
    };
    for (const l of spec.lines) for (const p of l.pts) if (p[0] >= spec.xMin) seeY(p[1]);
    for (const b of spec.bands || []) for (const p of b.pts) if (p[0] >= spec.xMin) { seeY(p[1]); seeY(p[2]); }
    const L = 46, R = 8, T = 6, B = 18;
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#6b7785';
    g.strokeStyle = '#e3e7ec';
    g.lineWidth = 1;
    if (!Number.isFinite(yMin)) {
      g.fillText(spec.empty || 'waiting for data', L + 8, h / 2);
      return false;
    }
    if (spec.yMin0) yMin = Math.min(0, yMin);
    if (yMax - yMin < 1e-9) {
      if (spec.yMin0 && yMax <= 0) yMax = 1;
      else { yMax += Math.abs(yMax) * 0.1 + 1e-3; yMin -= Math.abs(yMin) * 0.1 + 1e-3; }
    }
    const pad = (yMax - yMin) * 0.06;
    yMax += pad;
    if (!spec.yMin0 || yMin < 0) yMin -= pad;
    const X = (x) => L + (x - spec.xMin) / (spec.xMax - spec.xMin) * (w - L - R);
    const Y = (y) => T + (yMax - y) / (yMax - yMin) * (h - T - B);
    // grid and labels
    const ys = niceStep(yMax - yMin, 4);
    g.textAlign = 'right';
    for (let k = Math.ceil(yMin / ys); k * ys <= yMax; k++) {
      const y = k * ys;
      g.beginPath(); g.moveTo(L, Y(y) + 0.5); g.lineTo(w - R, Y(y) + 0.5); g.stroke();
      g.fillText(spec.yLabel ? spec.yLabel(y) : fmt(k === 0 ? 0 : y), L - 4, Y(y) + 3);
    }
    const xs = niceStep(spec.xMax - spec.xMin, 6);
    g.textAlign = 'center';
    for (let k = Math.ceil(spec.xMin / xs); k * xs <= spec.xMax; k++) {
      const x = k * xs;
      g.beginPath(); g.moveTo(X(x) + 0.5, T); g.lineTo(X(x) + 0.5, h - B); g.stroke();
      g.fillText(spec.xLabel(x), X(x), h - 5);
    }
    g.save();
    g.beginPath(); g.rect(L, T, w - L - R, h - T - B); g.clip();
    for (const b of spec.bands || []) {
      const pts = b.pts.filter((p) => Number.isFinite(p[1]) && Number.isFinite(p[2]));
      if (pts.length === 0) continue;
      g.fillStyle = b.color;
      if (pts.length === 1) {
        const p = pts[0];
        g.fillRect(X(p[0]) - 3, Y(p[2]), 6, Math.max(1, Y(p[1]) - Y(p[2])));
        continue;
      }
      g.beginPath();
      pts.forEach((p, i) => (i ? g.lineTo(X(p[0]), Y(p[2])) : g.moveTo(X(p[0]), Y(p[2]))));
      for (let i = pts.length - 1; i >= 0; i--) g.lineTo(X(pts[i][0]), Y(pts[i][1]));
      g.closePath();
      g.fill();
    }
    for (const l of spec.lines) {
      g.strokeStyle = l.color;
      g.lineWidth = l.width || 1.6;
      g.setLineDash(l.dash || []);
      g.beginPath();
      let pen = false;
      for (const p of l.pts) {
        if (!Number.isFinite(p[1])) { pen = false; continue; }
        if (pen) g.lineTo(X(p[0]), Y(p[1])); else g.moveTo(X(p[0]), Y(p[1]));
        pen = true;
      }
      g.stroke();
      if (l.dots) {
        g.fillStyle = l.color;
        for (const p of l.pts) if (Number.isFinite(p[1])) { g.beginPath(); g.arc(X(p[0]), Y(p[1]), 2, 0, 7); g.fill(); }
      }
    }
    g.restore();
    state.draws++;
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // pipelines: the overview, once a second

  const FIELD = {};

  let overviewBusy = false;
  async function pollOverview() {
    if (overviewBusy) return;      // a slow answer is not asked for twice
    overviewBusy = true;
    try {
      const o = await api('/api/overview?' + q({ after: state.last }));
      const first = state.overview === null;
      o.fields.forEach((f, i) => { FIELD[f] = i; });
      state.overview = o;
      for (const p of o.points) {
        if (p.seq > state.last) {
          state.points.push(p);
          state.last = p.seq;
        }
      }
      const cutoff = o.now - WINDOW_MS - 5000;
      while (state.points.length && state.points[0].t < cutoff) state.points.shift();
      status(o);
      if (first) setUp(o);
      drawOverview(o);
    } catch (e) {
      fail(e);
      $('status').textContent = 'disconnected';
      $('status').className = 'pill bad';
    } finally {
      overviewBusy = false;
    }
  }

  function status(o) {
    const s = $('status');
    s.textContent = o.ready ? 'ready' : o.alive ? 'alive, not ready' : 'not running';
    s.className = 'pill ' + (o.ready ? 'ok' : 'bad');
    $('updated').textContent = 'updated ' + new Date(o.now).toLocaleTimeString();
  }

  function setUp(o) {
    const sel = $('pick-pipeline');
    sel.innerHTML = '';
    for (const p of o.pipelines) {
      if (p.frames) continue;          // a frame pipeline's cameras are picked in the frame panel
      const opt = document.createElement('option');
      opt.value = p.name;
      opt.textContent = p.name;
      sel.appendChild(opt);
    }
    $('legend-pipelines').innerHTML = o.pipelines.map((p, i) =>
      '<span><i style="background:' + PALETTE[i % PALETTE.length] + '"></i>' + esc(p.name) + '</span>').join('');
    if (o.frameTopics.length) {
      $('frames').hidden = false;
      pollCameras();
    }
    refreshStreamList();
    autoPick();
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  }

  function series(pi, field, scale) {
    const f = FIELD[field];
    return state.points.map((p) => [p.t, p.v[pi] ? p.v[pi][f] * (scale || 1) : NaN]);
  }

  function drawOverview(o) {
    // the last 5 minutes, or since the first point (at least a minute) while there is less
    const xMax = o.now;
    const first = state.points.length ? state.points[0].t : o.now;
    const xMin = Math.max(o.now - WINDOW_MS, Math.min(first - 2000, o.now - 60000));
    const xLabel = (x) => Math.round((x - xMax) / 1000) + ' s';
    const lines = (fields) => {
      const out = [];
      o.pipelines.forEach((p, i) => {
        for (const [field, dash] of fields) {
          out.push({ color: PALETTE[i % PALETTE.length], dash: dash, pts: series(i, field) });
        }
      });
      return out;
    };
    drawChart($('chart-throughput'), { xMin, xMax, xLabel, yMin0: true, lines: lines([['in', []], ['out', [5, 3]]]) });
    drawChart($('chart-latency'), { xMin, xMax, xLabel, yLog: 0.01, lines: lines([['latencyMs', []], ['stepMs', [1, 3]]]) });
    drawChart($('chart-lag'), { xMin, xMax, xLabel, yMin0: true, lines: lines([['lag', []]]) });
    drawChart($('chart-deadletters'), { xMin, xMax, xLabel, yMin0: true, lines: lines([['deadLetters', []]]) });
    const cards = $('pipeline-cards');
    const latest = state.points.length ? state.points[state.points.length - 1] : null;
    cards.innerHTML = o.pipelines.map((p, i) => {
      const v = latest && latest.v[i] ? latest.v[i] : [];
      const n = (f, d) => (Number.isFinite(v[FIELD[f]]) ? v[FIELD[f]].toFixed(d) : '-');
      return '<div class="card"><b style="color:' + PALETTE[i % PALETTE.length] + '">' + esc(p.name) + '</b> ' +
        '<span class="muted">' + esc(p.inputs.join(', ')) + ' &rarr; ' + esc(p.output) + '</span><br>' +
        '<span class="muted">' + (p.frames ? 'frame model ' : 'model ') + esc(p.model || '?') + ' v' + esc(p.version || '?') +
        (p.sigma ? ', Gaussian head (&sigma;)' : '') + (p.horizon > 1 ? ', horizon ' + p.horizon : '') + '</span>' +
        '<div class="figures">' + n('in', 0) + ' in/s, ' + n('out', 0) + ' out/s, ' + n('streams', 0) + ' streams, lag ' +
        n('lag', 0) + ', latency ' + n('latencyMs', 1) + ' ms, live error ' + n('error', 4) + '</div></div>';
    }).join('');
  }

  // ---------------------------------------------------------------------------------------
  // streams: the picker and the charts of the picked ones

  let listTimer = 0;
  async function refreshStreamList() {
    const pipeline = $('pick-pipeline').value;
    if (!pipeline) return [];
    try {
      const r = await api('/api/streams?' + q({ pipeline: pipeline, q: $('pick-stream').value, limit: 100 }));
      $('stream-list').innerHTML = r.streams.map((s) => '<option value="' + esc(s) + '">').join('');
      $('picker-note').textContent = r.streams.length + (r.streams.length === 100 ? '+' : '') + ' streams seen lately';
      return r.streams;
    } catch (e) {
      fail(e);
      return [];
    }
  }

  // one auto-picked stream per pipeline that has values to chart, until the user picks one
  async function autoPick() {
    if (!state.overview) return;
    for (const p of state.overview.pipelines) {
      if (!p.targets || p.targets.length === 0) continue;
      const mine = state.watches.find((w) => w.pipeline === p.name);
      const stale = mine && mine.auto && Date.now() - mine.lastNewMs > STALE_MS;
      if (mine && !stale) continue;
      try {
        const r = await api('/api/streams?' + q({ pipeline: p.name, q: '', limit: 20, order: 'recent' }));
        const pick = r.streams.find((s) => !state.watches.some((w) => w.pipeline === p.name && w.stream === s));
        if (!pick) continue;
        if (stale) unwatch(mine);
        watch(p.name, pick, true);
      } catch (e) {
        fail(e);
      }
    }
  }

  function watch(pipeline, stream, auto) {
    if (state.watches.some((w) => w.pipeline === pipeline && w.stream === stream)) return;
    if (!auto) {
      // a stream picked by hand replaces the automatic ones first
      const a = state.watches.find((w) => w.auto);
      if (a && state.watches.length >= MAX_WATCHED) unwatch(a);
    }
    while (state.watches.length >= MAX_WATCHED) unwatch(state.watches[0]);
    const el = document.createElement('div');
    el.className = 'watch';
    el.innerHTML = '<header><b>' + esc(stream) + '</b><span class="muted">' + esc(pipeline) +
      (auto ? ' (picked automatically)' : '') + '</span><button type="button">&times;</button></header><div class="body"></div>';
    const w = { pipeline, stream, auto, meta: null, points: [], last: 0, lastNewMs: Date.now(), el, canvases: [], busy: false };
    el.querySelector('button').onclick = () => unwatch(w);
    $('watched').appendChild(el);
    state.watches.push(w);
    pollWatch(w);
  }

  function unwatch(w) {
    state.watches = state.watches.filter((x) => x !== w);
    w.el.remove();
  }

  async function pollWatch(w) {
    if (w.busy) return;
    w.busy = true;
    try {
      const r = await api('/api/stream?' + q({ pipeline: w.pipeline, stream: w.stream, after: w.last }));
      const layout = (m) => JSON.stringify([m.targets, m.horizon, m.sigma]);
      if (r.last < w.last || (w.meta && layout(w.meta) !== layout(r))) {
        // the server's ring started again (a model swap, or the watch had ended): start over
        w.meta = null;
        w.points = [];
        w.last = 0;
      }
      if (!w.meta) {
        w.meta = r;
        const body = w.el.querySelector('.body');
        body.innerHTML = r.targets.map((t) => '<div class="target">' + esc(t) + '</div><canvas></canvas>').join('') ||
          '<div class="muted">this model predicts no values that can be charted</div>';
        w.canvases = Array.from(body.querySelectorAll('canvas'));
      }
      const fresh = r.points.filter((p) => p.seq > w.last);
      if (fresh.length) {
        w.points.push(...fresh);
        w.last = fresh[fresh.length - 1].seq;
        w.lastNewMs = Date.now();
        if (w.points.length > STREAM_POINTS) w.points.splice(0, w.points.length - STREAM_POINTS);
      }
      drawWatch(w);
    } catch (e) {
      fail(e);
    } finally {
      w.busy = false;
    }
  }

  function drawWatch(w) {
    const m = w.meta;
    const pts = w.points;
    const H = m.horizon;
    let dt = 1000;
    if (pts.length > 1) {
      const gaps = [];
      for (let i = Math.max(1, pts.length - 9); i < pts.length; i++) gaps.push(pts[i].t - pts[i - 1].t);
      gaps.sort((a, b) => a - b);
      dt = Math.max(1, gaps[gaps.length >> 1]);
    }
    const tLast = pts.length ? pts[pts.length - 1].t : 0;
    const xMin = pts.length ? Math.min(pts[0].t, tLast - 30 * dt) : -1;
    const xMax = tLast + Math.max(H, 2) * dt;
    const xLabel = (x) => ((x - tLast) / 1000).toFixed(Math.abs(xMax - xMin) < 10000 ? 1 : 0) + ' s';
    m.targets.forEach((target, k) => {
      const actual = pts.map((p) => [p.t, p.a[k] === null ? NaN : p.a[k]]);
      // the one-step prediction of point i-1, drawn at point i's time (when it came due)
      const due = [];
      const dueBand = [];
      for (let i = 1; i < pts.length; i++) {
        const v = pts[i - 1].p[k * H];
        due.push([pts[i].t, v === null ? NaN : v]);
        if (m.sigma && pts[i - 1].s) {
          const s = pts[i - 1].s[k * H];
          dueBand.push([pts[i].t, v - 2 * s, v + 2 * s]);
        }
      }
      // the newest forecast, 1..H steps ahead of the latest sample
      const fc = [];
      const fcBand = [];
      if (pts.length) {
        const p = pts[pts.length - 1];
        fc.push([p.t, p.a[k] === null ? NaN : p.a[k]]);
        for (let h = 0; h < H; h++) {
          const v = p.p[k * H + h];
          fc.push([p.t + (h + 1) * dt, v === null ? NaN : v]);
          if (m.sigma && p.s) fcBand.push([p.t + (h + 1) * dt, v - 2 * p.s[k * H + h], v + 2 * p.s[k * H + h]]);
        }
      }
      drawChart(w.canvases[k], {
        xMin, xMax, xLabel,
        empty: 'waiting for the next prediction of ' + w.stream,
        bands: [{ color: BAND, pts: dueBand }, { color: BAND, pts: fcBand }],
        lines: [
          { color: ACTUAL, width: 2, pts: actual },
          { color: PREDICTED, pts: due },
          { color: PREDICTED, dash: [4, 3], dots: true, pts: fc }
        ]
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // frames: the picked camera, one image per frame topic

  async function pollCameras() {
    try {
      const r = await api('/api/cameras?' + q({ q: '' }));
      const sel = $('pick-camera');
      const had = sel.value;
      const known = Array.from(sel.options).map((o) => o.value).join('\n');
      if (known !== r.cameras.join('\n')) {
        sel.innerHTML = r.cameras.map((c) => '<option value="' + esc(c) + '">' + esc(c) + '</option>').join('');
        if (r.cameras.includes(had)) sel.value = had;
      }
      state.camera = sel.value || null;
      if (!r.cameras.length) $('frames-note').textContent = 'no camera has sent a frame yet';
    } catch (e) {
      fail(e);
    }
  }

  let framesBusy = false;
  async function pollFrames() {
    if (!state.camera || framesBusy) return;
    framesBusy = true;
    try {
      const r = await api('/api/frames?' + q({ camera: state.camera }));
      const row = $('frame-row');
      const topics = state.overview.frameTopics;
      if (row.children.length !== topics.length) {
        row.innerHTML = topics.map((t) => '<figure><img class="frame" alt=""><figcaption><b>' + esc(t.topic) +
          '</b> <span class="muted">' + esc(t.role) + '</span><br><span class="muted when"></span></figcaption></figure>').join('');
      }
      const shown = [];
      r.frames.forEach((f, i) => {
        const fig = row.children[i];
        const img = fig.querySelector('img');
        if (f.seq !== undefined && img.dataset.seq !== String(f.seq)) {
          img.dataset.seq = String(f.seq);
          img.src = '/api/frame.png?' + q({ camera: state.camera, topic: f.topic, seq: f.seq });
          fig.querySelector('.when').textContent = f.width + '\u00d7' + f.height + ', event time ' +
            new Date(f.time).toLocaleTimeString();
        }
        shown.push({ topic: f.topic, seq: f.seq, width: f.width, height: f.height });
      });
      state.frames = shown;
      $('frames-note').textContent = r.problem || '';
    } catch (e) {
      fail(e);
    } finally {
      framesBusy = false;
    }
  }

  // ---------------------------------------------------------------------------------------

  $('picker').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = $('pick-stream').value.trim();
    if (s) watch($('pick-pipeline').value, s, false);
  });
  $('pick-stream').addEventListener('input', () => {
    clearTimeout(listTimer);
    listTimer = setTimeout(refreshStreamList, 250);
  });
  $('pick-pipeline').addEventListener('change', refreshStreamList);
  $('pick-camera').addEventListener('change', () => { state.camera = $('pick-camera').value; pollFrames(); });
  window.addEventListener('resize', () => {
    if (state.overview) drawOverview(state.overview);
    state.watches.forEach((w) => { if (w.meta) drawWatch(w); });
  });

  pollOverview();
  setInterval(pollOverview, 1000);
  setInterval(() => state.watches.forEach((w) => pollWatch(w)), 500);
  setInterval(() => { if (state.overview && state.overview.frameTopics.length) pollFrames(); }, 500);
  setInterval(() => { if (state.overview && state.overview.frameTopics.length) pollCameras(); }, 3000);
  setInterval(() => { refreshStreamList(); autoPick(); }, 5000);
})();
