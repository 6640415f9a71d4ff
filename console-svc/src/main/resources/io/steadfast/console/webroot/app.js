// Steadfast console page: signs in (POST /api/v1/session: a session token, kept in this page's memory only — never the
// password, never in sessionStorage/localStorage), loads /api/v1/cluster, then stays live on /api/v1/events (SSE read
// through fetch, which can send the token) without reloading.
'use strict';
(function () {
  const HOUR = 3600 * 1000;
  const COMMANDS = ['start', 'stop', 'restart', 'stopstart', 'prim', 'second', 'swap', 'forcestop'];
  const FARM_COMMANDS = ['start', 'stop', 'restart', 'stopstart', 'forcestop'];
  let model = null;            // the /api/v1/cluster answer, patched by events
  let selected = null;         // module shown in the detail section
  let history = {};            // node -> transitions of the selected module
  let logLines = [];
  let token = null;            // the session token: in memory only, gone with the page
  let me = null;               // {user, role, commands} of the session
  let stream = null;           // AbortController of the event stream
  let signingIn = null;        // the sign-in in progress (several 401s share it)
  // For tests and the latency figure: when each state event was on screen.
  window.sfRendered = [];

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  };

  function colour(n) {
    if (!n || !n.state || n.stale) return 'grey';
    if (n.state === 'STOP' || n.readiness === 'NOT_READY') return 'red';
    if (n.readiness === 'TRANSIENT') return 'orange';
    return 'green';
  }
  const readable = (r) => r ? ({READY: 'Ready', TRANSIENT: 'Transient', NOT_READY: 'NotReady'}[r] || r) : '';

  function toast(text) {
    const t = $('toast');
    t.textContent = text; t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  // ---- data ---------------------------------------------------------------------------------------------
  const authHeaders = (more) => Object.assign(token ? {Authorization: 'Bearer ' + token} : {}, more || {});

  class SignedOut extends Error {}

  // GET as the signed-in user; a 401 (expired, signed out elsewhere, console restarted) asks to sign in again.
  async function get(path) {
    const r = await fetch(path, {cache: 'no-store', headers: authHeaders()});
    if (r.status === 401) { signedOut(); throw new SignedOut('sign in again'); }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error || r.status) + ': ' + (body.message || ''));
    return body;
  }

  async function load() {
    if (!token) return;
    model = await get('/api/v1/cluster');
    $('cluster').textContent = model.cluster + ' · seen from ' + model.node;
    if (model.insecure && !$('insecure')) document.body.insertAdjacentHTML('afterbegin', '<div id="insecure" role="alert" style="background:#b00020;color:#fff;padding:.4rem 1rem;font-weight:600">INSECURE: the event bus is not authenticated (cluster.insecure: true): anyone who reaches the cluster ports can command it</div>');
    if (!selected && model.modules.length) selected = model.modules[0].name;
    render();
    if (selected) loadDetail(selected).catch(() => {});
  }

  async function loadDetail(name) {
    const [m, log] = await Promise.all([
      get('/api/v1/modules/' + encodeURIComponent(name)),
      get('/api/v1/modules/' + encodeURIComponent(name) + '/log?lines=100')
    ]);
    history = {};
    for (const n of m.nodes) history[n.node] = n.history || [];
    logLines = (log.lines || []).map(l => fmtLog(l));
    renderDetail();
  }

  function moduleOf(name) { return model && model.modules.find(m => m.name === name); }
  function entryOf(module, node) { const m = moduleOf(module); return m && m.nodes.find(n => n.node === node); }

  // ---- rendering ----------------------------------------------------------------------------------------
  function render() {
    const nodes = $('nodes');
    nodes.replaceChildren(...model.nodes.map(n => el('div', {class: 'node', 'data-node': n.name},
      el('strong', {text: n.name + ' '}), el('span', {class: n.up ? 'svc up' : 'svc down', text: n.up ? 'up' : 'DOWN'}),
      el('div', {}, ...(n.services || []).map(s => el('span', {class: 'svc ' + (!s.up ? 'down'
        : (s.warnings || []).length ? 'warn' : 'up'), 'data-service': s.service,
        title: [s.reason || '', ...(s.warnings || [])].filter(x => x).join('\n'),
        text: s.service + (!s.up ? ' ✗' : (s.warnings || []).length ? ' ⚠' : ' ✓')}))),
      // why a service is down, and what is degraded, in plain text (not only in a tooltip)
      ...(n.services || []).filter(s => !s.up).map(s => el('div', {class: 'svc-reason down',
        text: s.service + ' down: ' + (s.reason || 'no reason given')})),
      ...(n.services || []).flatMap(s => (s.warnings || []).map(w => el('div', {class: 'svc-reason warn',
        text: '⚠ ' + w}))))));
    const grid = $('grid');
    grid.style.setProperty('--cols', model.nodes.length);
    const head = el('div', {class: 'row head', role: 'row'}, el('div', {text: 'module'}),
      ...model.nodes.map(n => el('div', {text: n.name})));
    const rows = model.modules.map(m => {
      const name = el('div', {class: 'modname' + (m.name === selected ? ' selected' : ''), 'data-module': m.name},
        el('strong', {text: m.name}), el('div', {class: 'muted', text: m.type.toLowerCase()}));
      name.addEventListener('click', () => { selected = m.name; render(); loadDetail(m.name); });
      return el('div', {class: 'row', role: 'row'}, name, ...model.nodes.map(n => cell(m, n.name)));
    });
    grid.replaceChildren(head, ...rows);
  }

  function cell(m, node) {
    const n = m.nodes.find(x => x.node === node);
    if (!n) return el('div', {class: 'cell none', 'data-node': node, text: '—'});
    const c = el('div', {class: 'cell ' + colour(n), 'data-module': m.name, 'data-node': node,
      'data-state': n.state || 'UNKNOWN', id: 'cell-' + m.name + '-' + node});
    c.append(el('div', {class: 'state', text: (n.state || 'unknown') + (n.stale ? ' (last seen)' : '')}));
    if (n.readiness) c.append(el('div', {class: 'readiness', text: readable(n.readiness)}));
    if (n.reason) c.append(el('div', {class: 'reason', text: n.reason}));
    for (const w of (n.warnings || [])) c.append(el('div', {class: 'warning', text: '⚠ ' + w}));
    if (n.resync && n.resync.phase !== 'done') {
      const pct = Math.round((n.resync.fraction || 0) * 100);
      const fill = el('div', {});
      fill.style.width = pct + '%'; // CSSOM, allowed by the Content-Security-Policy (a style attribute is not)
      const bar = el('div', {class: 'progress', title: 'resync ' + pct + '%'}, fill);
      c.append(bar, el('div', {class: 'eta', text: 'resync ' + pct + '% · ' + fmtBytes(n.resync.bytesDone) + ' / '
        + fmtBytes(n.resync.bytesTotal) + (n.resync.eta >= 0 ? ' · ETA ' + fmtDuration(n.resync.eta) : '')}));
    }
    if (n.buckets) c.append(el('div', {class: 'reason', text: n.buckets.owned + ' of 256 buckets'}));
    const actions = el('details', {class: 'actions'}, el('summary', {text: 'actions'}));
    for (const cmd of (m.type === 'FARM' ? FARM_COMMANDS : COMMANDS)) {
      const b = el('button', {type: 'button', 'data-action': cmd, 'data-module': m.name, 'data-node': node, text: cmd});
      b.addEventListener('click', () => ask(m, node, cmd));
      actions.append(b);
    }
    c.append(actions);
    return c;
  }

  function renderDetail() {
    const m = moduleOf(selected);
    if (!m) { $('detail').hidden = true; return; }
    $('detail').hidden = false;
    $('detail-name').textContent = m.name;
    $('timeline').replaceChildren(timeline(m));
    const rows = [];
    for (const n of m.nodes) for (const ch of n.checkers || []) {
      rows.push(el('tr', {}, el('td', {text: ch.checker}), el('td', {text: n.node}),
        el('td', {class: 'st-' + ch.status, text: ch.status}), el('td', {text: ch.reason || ''}),
        el('td', {text: new Date(ch.at).toLocaleTimeString()})));
    }
    $('checkers').replaceChildren(rows.length ? el('table', {class: 'checkers'},
      el('tr', {}, ...['checker', 'node', 'status', 'reason', 'since'].map(h => el('th', {text: h}))), ...rows)
      : el('p', {class: 'muted', text: 'no checker has reported'}));
    renderLog();
  }

  function renderLog() {
    const pre = $('log');
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent = logLines.join('\n') || '(empty)';
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  // A row per node; each state is a coloured segment from its start to the next one (or now).
  function timeline(m) {
    const NS = 'http://www.w3.org/2000/svg';
    const W = 1000, left = 90, rowH = 26, top = 8, now = Date.now(), from = now - HOUR;
    const H = top + m.nodes.length * (rowH + 6) + 22;
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'states of ' + m.name + ' per node over the last hour');
    const x = (t) => left + (Math.max(t, from) - from) / HOUR * (W - left - 10);
    const add = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text != null) e.textContent = text;
      svg.append(e); return e;
    };
    const fill = {green: '#2e9e44', orange: '#e8890c', red: '#d23a2f', grey: '#c4c8cc'};
    m.nodes.forEach((n, i) => {
      const y = top + i * (rowH + 6);
      add('text', {x: 4, y: y + rowH * 0.68, 'font-size': 13}, n.node);
      add('rect', {x: left, y: y, width: W - left - 10, height: rowH, fill: '#eceef0'});
      const h = (history[n.node] || []).filter(t => t.at <= now);
      h.forEach((t, j) => {
        const end = j + 1 < h.length ? h[j + 1].at : now;
        if (end < from) return;
        const x0 = x(t.at), x1 = x(end);
        const c = colour({state: t.state, readiness: t.readiness});
        const r = add('rect', {x: x0, y: y, width: Math.max(1, x1 - x0), height: rowH, fill: fill[c]});
        r.append(Object.assign(document.createElementNS(NS, 'title'),
          {textContent: (t.state || 'unknown') + ' ' + readable(t.readiness) + ' from '
            + new Date(t.at).toLocaleTimeString() + (t.reason ? ' — ' + t.reason : '')}));
        if (x1 - x0 > 44) add('text', {x: x0 + 4, y: y + rowH * 0.68, 'font-size': 12, fill: '#fff'}, t.state || '?');
      });
    });
    const axisY = top + m.nodes.length * (rowH + 6) + 14;
    for (let k = 0; k <= 6; k++) {
      const t = from + k * HOUR / 6;
      add('text', {x: x(t) - (k === 6 ? 24 : 0), y: axisY, 'font-size': 11, fill: '#666'},
        k === 6 ? 'now' : '-' + (60 - k * 10) + ' min');
    }
    return svg;
  }

  // ---- actions ------------------------------------------------------------------------------------------
  function consequence(m, node, cmd) {
    const peers = m.nodes.map(n => n.node).filter(n => n !== node);
    const serving = m.nodes.filter(n => n.serves).map(n => n.node);
    const isPrim = serving.includes(node);
    const other = peers[0] || 'the other node';
    if (m.type === 'FARM') {
      switch (cmd) {
        case 'start': return 'start starts ' + m.name + ' on ' + node + ': it takes a share of the clients again.';
        case 'stop': return 'stop stops ' + m.name + ' on ' + node + ': its clients move to ' + (peers.join(', ') || 'no other node') + '.';
        case 'restart': return 'restart runs the application scripts of ' + m.name + ' again on ' + node + '.';
        case 'stopstart': return 'stopstart stops ' + m.name + ' on ' + node + ' (its clients move to the others) and starts it again.';
        case 'forcestop': return 'forcestop stops ' + m.name + ' on ' + node + ' at once, without the graceful stop.';
      }
    }
    const target = isPrim ? other : node;
    switch (cmd) {
      case 'swap': {
        const to = serving.length ? (m.nodes.map(n => n.node).find(x => !serving.includes(x)) || other) : target;
        return 'swap moves the application ' + m.name + ' to ' + to + '.';
      }
      case 'prim': return 'prim makes ' + node + ' the primary of ' + m.name + (isPrim ? ' (it already is).' : ': the application moves to ' + node + '.');
      case 'second': return 'second makes ' + node + ' the secondary of ' + m.name + (isPrim ? ': the application moves to ' + other + '.' : '.');
      case 'stop': return 'stop stops ' + m.name + ' on ' + node + (isPrim ? ': the application stops there and does NOT move to ' + other + '.' : '.');
      case 'stopstart': return 'stopstart stops ' + m.name + ' on ' + node + ' and starts it again' + (isPrim ? ': the application fails over to ' + other + '.' : '.');
      case 'restart': return 'restart runs the application scripts of ' + m.name + ' again on ' + node + ', without failover.';
      case 'forcestop': return 'forcestop stops ' + m.name + ' on ' + node + ' at once, without the graceful stop' + (isPrim ? ': the application stops.' : '.');
      case 'start': return 'start starts ' + m.name + ' on ' + node + '.';
    }
    return cmd + ' ' + m.name + ' on ' + node;
  }

  function ask(m, node, cmd) {
    const d = $('confirm');
    $('confirm-text').textContent = consequence(m, node, cmd);
    $('confirm-ok').textContent = cmd;
    d.returnValue = '';
    d.onclose = () => { if (d.returnValue === 'ok') send(m.name, node, cmd); };
    d.showModal();
  }

  async function send(module, node, cmd, retried) {
    if (!token && !(await signIn())) return;
    const headers = authHeaders({'X-Steadfast-Request': 'page', 'Content-Type': 'application/json'});
    toast(cmd + ' ' + module + ' on ' + node + '…');
    let r;
    try {
      r = await fetch('/api/v1/modules/' + encodeURIComponent(module) + '/nodes/' + encodeURIComponent(node) + '/' + cmd,
        {method: 'POST', headers, body: '{}'});
    } catch (e) { toast('console unreachable: ' + e); return; }
    const body = await r.json().catch(() => ({}));
    if (r.status === 401 && !retried) {
      signedOut();
      if (await signIn()) return send(module, node, cmd, true);
      return;
    }
    if (!r.ok) { toast((body.error || r.status) + ': ' + (body.message || '')); return; }
    toast(cmd + ' ' + module + ' on ' + node + ': ' + (body.message || 'done') + ' (' + body.state + ')');
  }

  // The sign-in dialog until the console gives a token (or the user cancels): resolves true when signed in.
  function signIn() {
    if (token) return Promise.resolve(true);
    if (!signingIn) {
      signingIn = new Promise(resolve => {
        const d = $('login');
        const attempt = () => {
          d.returnValue = '';
          d.onclose = async () => {
            if (d.returnValue !== 'ok') { signingIn = null; resolve(false); return; }
            const user = $('login-user').value, password = $('login-password').value;
            $('login-password').value = '';
            let r, body;
            try {
              r = await fetch('/api/v1/session', {method: 'POST', headers: {'X-Steadfast-Request': 'page',
                'Content-Type': 'application/json'}, body: JSON.stringify({user, password})});
              body = await r.json().catch(() => ({}));
            } catch (e) { r = {ok: false}; body = {message: 'console unreachable: ' + e}; }
            if (r.ok && body.token) {
              token = body.token;
              me = {user: body.user, role: body.role, commands: body.commands};
              $('login-error').textContent = '';
              signingIn = null;
              showWho(); resolve(true);
              start();
              return;
            }
            $('login-error').textContent = body.message || ('sign-in failed (' + r.status + ')');
            attempt();
          };
          d.showModal();
        };
        attempt();
      });
    }
    return signingIn;
  }

  // The session is gone (401): forget it and stop the stream; the next action asks to sign in.
  function signedOut() {
    token = null; me = null;
    if (stream) { stream.abort(); stream = null; }
    offline('signed out');
    showWho();
  }

  async function signOut() {
    const t = token;
    signedOut();
    model = null;
    $('cluster').textContent = '…';
    $('grid').replaceChildren(); $('nodes').replaceChildren(); $('detail').hidden = true;
    if (t) {
      await fetch('/api/v1/session', {method: 'DELETE', headers: {'X-Steadfast-Request': 'page',
        Authorization: 'Bearer ' + t}}).catch(() => {});
    }
    signIn();
  }

  function showWho() {
    $('who').textContent = me ? 'signed in as ' + me.user + ' (' + me.role + ')' : '';
    $('login-btn').textContent = me ? 'Sign out' : 'Sign in';
  }
  $('login-btn').addEventListener('click', () => { if (token) signOut(); else signIn(); });

  // ---- live events ----------------------------------------------------------------------------------------
  const handlers = {};
  handlers.state = d => {
    const m = moduleOf(d.module);
    if (!m) return;
    const i = m.nodes.findIndex(n => n.node === d.node);
    if (i < 0) return;
    m.nodes[i] = d;
    m.serving = m.nodes.filter(n => n.serves).map(n => n.node);
    if (d.module === selected) {
      const h = history[d.node] || (history[d.node] = []);
      const last = h[h.length - 1];
      if (!last || last.state !== d.state || last.readiness !== d.readiness || last.reason !== d.reason) {
        h.push({at: d.since || Date.now(), state: d.state, readiness: d.readiness, reason: d.reason});
      }
    }
    render();
    if (d.module === selected) renderDetail();
    window.sfRendered.push({module: d.module, node: d.node, state: d.state, since: d.since,
      emittedAt: d.emittedAt, renderedAt: Date.now()});
  };
  const patch = (field, f) => d => {
    const n = entryOf(d.module, d.node);
    if (!n) return;
    n[field] = f(d, n);
    render();
    if (d.module === selected) renderDetail();
  };
  handlers.resync = patch('resync', d => d);
  handlers.replication = patch('replication', d => d);
  handlers.vip = patch('vip', d => d);
  handlers.buckets = patch('buckets', d => d);
  handlers.checker = patch('checkers', (d, n) => {
    const list = (n.checkers || []).filter(c => c.checker !== d.checker);
    list.push(d); list.sort((a, b) => a.checker.localeCompare(b.checker));
    return list;
  });
  handlers.node = () => load().catch(() => {});
  handlers.log = d => {
    if (d.module !== selected) return;
    logLines.push(fmtLog(d));
    if (logLines.length > 500) logLines.splice(0, logLines.length - 500);
    renderLog();
  };

  function offline(text) { $('live').className = 'live off'; $('live').textContent = text || 'reconnecting'; }

  // Server-sent events read through fetch (EventSource cannot send the token): one frame per blank line.
  async function connect() {
    if (!token || stream) return;
    const ctl = new AbortController();
    stream = ctl;
    let r;
    try {
      r = await fetch('/api/v1/events', {cache: 'no-store', headers: authHeaders(), signal: ctl.signal});
    } catch (e) { return reconnect(ctl); }
    if (r.status === 401) { if (stream === ctl) { stream = null; signedOut(); signIn(); } return; }
    if (!r.ok) return reconnect(ctl);
    $('live').className = 'live on'; $('live').textContent = 'live';
    load().catch(() => {});
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '', type = 'message', data = [];
    for (;;) {
      let chunk;
      try { chunk = await reader.read(); } catch (e) { break; }
      if (chunk.done) break;
      buf += chunk.value;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (line === '') {
          if (data.length && handlers[type]) {
            try { handlers[type](JSON.parse(data.join('\n'))); } catch (e) { /* a bad frame is skipped */ }
          }
          type = 'message'; data = [];
        } else if (line.startsWith('event:')) {
          type = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    }
    reconnect(ctl);
  }

  function reconnect(ctl) {
    if (stream !== ctl) return; // signed out or replaced meanwhile
    stream = null;
    offline();
    if (token) setTimeout(connect, 2000);
  }

  function start() {
    load().catch(e => { if (!(e instanceof SignedOut)) toast('cannot load the cluster: ' + e.message); });
    connect();
  }

  function fmtLog(l) { return new Date(l.at).toLocaleTimeString() + ' ' + l.node + ' ' + l.line; }
  function fmtBytes(b) {
    if (b == null) return '?';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0;
    while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return (i ? b.toFixed(1) : b) + ' ' + u[i];
  }
  function fmtDuration(s) {
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
  }

  showWho();
  offline('signed out');
  signIn();
  setInterval(() => { if (selected && model) renderDetail(); }, 30000); // the timeline's "now" moves
})();
