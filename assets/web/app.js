/* Usher — organisers' live dashboard.
 *
 * Plain JavaScript, no framework, no build step, no external resources.
 * Talks to the coordinator's admin API (see README.md in this folder):
 * the seat map is drawn once from GET /v1/layout; afterwards only the
 * data-state attribute of each seat element changes (a Map from seat id to
 * element), driven by the Server-Sent Events of GET /v1/events and by
 * debounced re-reads of GET /v1/seats and /v1/stats.
 *
 * All text that comes from the API is put into the page with textContent or
 * setAttribute, never parsed as HTML.
 */
(function () {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var TOKEN_KEY = 'usher.admin_token';
  var PHONE = window.matchMedia('(max-width: 640px)'); /* style.css's phone layout */
  var SEAT_SIZE = 50;            /* layout units; LAYOUT_SEAT_SIZE in shared/layout.h */
  var SEAT_NUMBERS_MAX = 3000;   /* draw seat numbers only for venues up to this size */
  var POLL_LIVE_MS = 15000;      /* seats + stats: holds expire without an event */
  var POLL_SLOW_MS = 5000;       /* alerts + devices: no events for these */
  /* "leased" exists only under the optional offline `lease` policy */
  var STATES = ['free', 'held', 'leased', 'taken', 'checked-in', 'blocked'];
  var STATE_TEXT = {
    free: 'Free', held: 'Held', leased: 'Leased to a kiosk', taken: 'Seated, not arrived',
    'checked-in': 'Checked in', blocked: 'Blocked', unknown: 'Unknown'
  };
  var REASON_TEXT = {
    seat_taken: 'the seat is taken',
    seat_held: 'a kiosk is holding that seat right now',
    seat_leased: 'the seat is leased to a kiosk for offline use',
    seat_blocked: 'the seat is blocked',
    unknown_ticket: 'there is no such ticket',
    unknown_seat: 'there is no such seat',
    revoked: 'the ticket is revoked',
    class_not_allowed: "the ticket's class may not sit there",
    ticket_seated: 'the ticket is seated elsewhere',
    not_seated: 'the ticket is not seated',
    duplicate_checkin: 'the ticket was already checked in',
    no_free_seat: 'there is no free seat',
    forbidden: 'this token may not do that',
    invalid: 'the request is invalid'
  };
  var ROLE_TEXT = { kiosk: 'guest kiosk', door: 'door scanner', admin: 'organiser' };
  var DEVICE_STATUS_TEXT = { online: 'Online', offline: 'Offline', never: 'Never synced', disabled: 'Disabled' };
  /* a device's seat-card printer, as /v1/devices' printer.state says */
  var PRINTER_TEXT = {
    ok: 'ready', unknown: 'not checked yet', stopped: 'stopped', offline: 'offline',
    out_of_paper: 'out of paper', missing: 'not found in CUPS', no_cups: 'CUPS not answering'
  };
  var ALERT_TEXT = {
    reseat: 'Re-seated',
    duplicate_checkin: 'Duplicate check-in',
    late_upload: 'Late upload',
    revoked_scan: 'Revoked ticket scanned',
    clock_skew: 'Device clock wrong',
    scan_refused: 'Forged or foreign QR code',
    ticket_edited: 'Ticket corrected',
    ticket_unrevoked: 'Revoke undone',
    layout_changed: 'Venue layout changed'
  };
  // The event's time zone (GET /v1/stats event.tz): every time shown is in it.
  var EVENT_TZ = undefined;

  function $(id) { return document.getElementById(id); }

  /* ---- state ------------------------------------------------------------ */

  var S = {
    token: null,
    epoch: 0,                 /* bumped on sign-out: late answers are dropped */
    layout: null,
    svg: null,
    seatEls: new Map(),       /* seat id -> SVG element */
    seatInfo: new Map(),      /* seat id -> {id, label, section, cx, cy} */
    seatLower: new Map(),     /* lower-case id -> id, for typed look-ups */
    seatData: new Map(),      /* seat id -> last /v1/seats entry (possibly patched by events) */
    seatShown: new Map(),     /* seat id -> data-state currently on the element */
    sections: new Map(),      /* section id -> {sec, bounds, mapCount, row, ...} */
    sectionOrder: '',
    full: null, view: null,   /* viewBox of the whole venue / the current view */
    selected: null,
    moving: false, moveTarget: null,
    es: null, esFails: 0, esRetry: null, conn: 'connecting',
    timers: [],
    skew: 0,                  /* server clock - local clock, ms */
    lastUpdate: 0,
    alertsSig: '', devicesSig: '',
    relCells: [],             /* [{el, ms}] "12 s ago" cells */
    search: '', searchTimer: null,
    insideOnly: false,        /* the ticket list shows only guests inside now */
    printerAlerts: 0,         /* printers failing for a while, shown with the alerts */
    alertsShown: 0,           /* stored alerts in the list */
    missed: false             /* a change came before the map was built */
  };

  /* ---- small DOM helpers ---------------------------------------------------- */

  function h(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  function s(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  function round(v) { return Math.round(v * 10) / 10; }

  function showMsg(el, text, kind) {
    el.textContent = text;
    el.className = 'msg ' + (kind || '');
    el.hidden = !text;
  }

  var toastTimer = null;
  function toast(text, kind) {
    var t = $('toast');
    t.textContent = text;
    t.className = 'toast ' + (kind || '');
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, kind === 'error' ? 8000 : 4000);
  }

  /* ---- time -------------------------------------------------------------- */

  function serverNow() { return Date.now() + S.skew; }

  function parseTime(t) {
    if (!t) return 0;
    var ms = Date.parse(t);
    return isNaN(ms) ? 0 : ms;
  }

  function clock(ms) {
    if (!ms) return '';
    var d = new Date(ms), now = new Date();
    var o = { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: EVENT_TZ };
    var time;
    try { time = d.toLocaleTimeString([], o); } catch (e) { o.timeZone = undefined; time = d.toLocaleTimeString([], o); }
    var day = { day: 'numeric', month: 'short', timeZone: o.timeZone };
    if (d.toLocaleDateString([], day) === now.toLocaleDateString([], day)) return time;
    return d.toLocaleDateString([], day) + ' ' + time;
  }

  /* "21:04" in the event's time zone (the guest list's "Left at"). */
  function hhmm(ms) {
    var o = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: EVENT_TZ };
    try { return new Date(ms).toLocaleTimeString([], o); } catch (e) { o.timeZone = undefined; return new Date(ms).toLocaleTimeString([], o); }
  }

  /* A guest at the doors, from a /v1/tickets entry: inside now, left (and
   * when), or not arrived; the coordinator's `inside` decides. */
  function doorState(t) {
    var outAt = parseTime(t.checked_out_at);
    if (t.inside) return { key: 'inside', text: 'Inside' };
    if (parseTime(t.checked_in_at) && outAt) return { key: 'left', text: 'Left at ' + hhmm(outAt) };
    return { key: 'not-arrived', text: 'Not arrived' };
  }

  function ago(ms) {
    if (!ms) return 'never';
    var sec = Math.round((serverNow() - ms) / 1000);
    if (sec < 2) return 'just now';
    if (sec < 60) return sec + ' s ago';
    if (sec < 3600) return Math.floor(sec / 60) + ' min ago';
    if (sec < 86400) return Math.floor(sec / 3600) + ' h ago';
    return Math.floor(sec / 86400) + ' d ago';
  }

  function noteServerDate(res) {
    var d = res.headers.get('Date');
    var ms = d ? Date.parse(d) : NaN;
    if (isNaN(ms)) return;
    var skew = ms - Date.now();
    S.skew = Math.abs(skew) > 3000 ? skew : 0; /* Date has 1 s resolution */
  }

  /* ---- API ----------------------------------------------------------------- */

  function ApiError(status, code, message, body) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.body = body || null;
  }
  ApiError.prototype = Object.create(Error.prototype);

  /* fetch + JSON. Resolves with the parsed body for 2xx (and, with
   * opts.verdict, for 409 too, as {status, body}); 401/403 sign out. */
  function api(path, opts) {
    opts = opts || {};
    var epoch = S.epoch;
    var headers = { Authorization: 'Bearer ' + S.token, Accept: 'application/json' };
    var init = { method: opts.method || 'GET', headers: headers, cache: 'no-store' };
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.json);
    } else if (opts.text !== undefined) {
      headers['Content-Type'] = opts.type || 'text/plain; charset=utf-8';
      init.body = opts.text;
    }
    return fetch(path, init).then(function (res) {
      noteServerDate(res);
      return res.text().then(function (text) {
        if (epoch !== S.epoch) throw new ApiError(0, 'stale', 'signed out');
        var body = null;
        if (text) { try { body = JSON.parse(text); } catch (e) { body = null; } }
        var message = body && typeof body.message === 'string' ? body.message
          : 'The coordinator answered HTTP ' + res.status + '.';
        if (res.status === 401 || res.status === 403) {
          signOut(res.status === 403
            ? 'This token belongs to a kiosk or a door, not to an organiser. The dashboard needs an admin token.'
            : 'The coordinator does not accept this token. Check that it was pasted whole, or create a new one.',
          'Coordinator: ' + message);
          throw new ApiError(res.status, body && body.error, message);
        }
        if (res.status === 503 && body && body.error === 'standby') {
          onStandby(body.active, message); /* another serve of the event is the active one */
          throw new ApiError(res.status, body.error, message, body);
        }
        if (opts.verdict && (res.status === 200 || res.status === 409) && body && body.verdict)
          return { status: res.status, verdict: body.verdict };
        if (!res.ok) throw new ApiError(res.status, body && body.error, message, body);
        if (S.conn === 'offline') setConn(S.es && S.es.readyState === 1 ? 'live' : 'reconnecting');
        return body;
      });
    }, function (err) {
      if (epoch === S.epoch) { setConn('offline'); findActive(); }
      throw new ApiError(0, 'network', 'Cannot reach the coordinator (' + (err && err.message || 'network error') + ').');
    });
  }

  function reportError(err, where) {
    if (!err || err.code === 'stale' || err.code === 'standby' || err.status === 401 || err.status === 403) return;
    var text = err.message || String(err);
    if (where) showMsg(where, text, 'error');
    else toast(text, 'error');
  }

  /* A refresher: debounced, never two in flight, re-runs if asked meanwhile. */
  function refresher(fn, delay, minGap) {
    var timer = null, running = false, again = false, last = 0;
    function run() {
      timer = null;
      if (running) { again = true; return; }
      running = true;
      last = Date.now();
      var epoch = S.epoch;
      Promise.resolve().then(fn).catch(function (err) {
        if (err && err.code !== 'network') reportError(err);
      }).then(function () {
        running = false;
        if (again && epoch === S.epoch) { again = false; request(); }
      });
    }
    function request(now) {
      if (!S.token) return;
      if (running) { again = true; return; }
      if (timer) return;
      var gap = typeof minGap === 'function' ? minGap() : (minGap || 0);
      var wait = Math.max(now ? 0 : delay, last + gap - Date.now());
      timer = setTimeout(run, wait);
    }
    request.cancel = function () { clearTimeout(timer); timer = null; again = false; };
    return request;
  }

  /* ---- several coordinators: an active one and its standbys ---------------------
   * On PostgreSQL several `usher-coord serve` of one event may run: one is
   * active, the others standby (they refuse with the active's address). The
   * active's /healthz lists every serve it knows (kept here, per browser);
   * when this coordinator is a standby, or stops answering, the page moves to
   * the active one, the token going along in the address's #fragment. */

  var COORDS_KEY = 'usher.coordinators';
  var URL_RE = /^https?:\/\/[A-Za-z0-9.\-\[\]:]+$/;
  var follow = { moving: false, probing: false, lastProbe: 0 };

  function knownCoordinators() {
    var list = [];
    try { list = JSON.parse(localStorage.getItem(COORDS_KEY) || '[]'); } catch (e) { list = []; }
    return Array.isArray(list) ? list.filter(function (u) { return typeof u === 'string' && URL_RE.test(u); }) : [];
  }

  /* What /healthz said: the list of serves, and which one this page is on. */
  function noteHealth(j) {
    if (j && Array.isArray(j.coordinators) && j.coordinators.length) {
      try { localStorage.setItem(COORDS_KEY, JSON.stringify(j.coordinators)); } catch (e) { /* private mode */ }
    }
    var where = $('coord-where');
    where.textContent = 'Coordinator ' + location.host + (j && j.role === 'standby' ? ' (standby)' : '');
    where.title = j && Array.isArray(j.coordinators) && j.coordinators.length > 1
      ? 'Serves of this event: ' + j.coordinators.join(', ') : '';
  }

  function checkHealth() {
    return fetch('/healthz', { cache: 'no-store' }).then(function (res) { return res.json(); }).then(function (j) {
      noteHealth(j);
      if (j && j.role === 'standby') onStandby(j.active, '');
      return j;
    }, function () { findActive(); return null; });
  }

  function showBanner(text) {
    var b = $('standby-banner');
    b.textContent = text;
    b.hidden = !text;
  }

  function moveTo(url, why) {
    if (follow.moving || !URL_RE.test(url) || url === location.origin) return;
    follow.moving = true;
    showBanner(why + ' Moving there…');
    setTimeout(function () {
      location.href = url + '/' + (S.token ? '#token=' + encodeURIComponent(S.token) : '');
    }, 1500);
  }

  /* This coordinator is a standby: go to the active one it names. */
  function onStandby(active, message) {
    if (active && URL_RE.test(active)) {
      moveTo(active, 'This coordinator is a standby; the active coordinator is at ' + active + '.');
    } else {
      showBanner('This coordinator is a standby and knows no active one yet' +
        (message ? ' (' + message + ')' : '') + '; retrying.');
      findActive();
    }
  }

  /* This coordinator does not answer (or knows no active): ask the others
   * this browser knows, one at a time, at most every 2 s. */
  function findActive() {
    var now = Date.now();
    if (follow.moving || follow.probing || now - follow.lastProbe < 2000) return;
    var others = knownCoordinators().filter(function (u) { return u !== location.origin; });
    if (!others.length) return;
    follow.probing = true;
    follow.lastProbe = now;
    others.reduce(function (p, u) {
      return p.then(function (found) {
        if (found) return found;
        return fetch(u + '/healthz', { cache: 'no-store', mode: 'cors' }).then(function (res) {
          return res.json();
        }).then(function (j) { return j && j.role === 'active' ? u : null; }, function () { return null; });
      });
    }, Promise.resolve(null)).then(function (u) {
      follow.probing = false;
      if (u) moveTo(u, 'The coordinator at ' + location.host + ' does not answer; the active coordinator is at ' + u + '.');
    });
  }

  /* ---- connection indicator ---------------------------------------------------- */

  function setConn(state) {
    S.conn = state;
    var c = $('conn');
    c.setAttribute('data-conn', state);
    $('conn-text').textContent = state === 'live' ? 'Live'
      : state === 'reconnecting' ? 'Reconnecting…'
      : state === 'offline' ? 'Offline — last known state'
      : 'Connecting…';
  }

  function touchUpdated() {
    S.lastUpdate = Date.now();
    tickUpdated();
  }

  function tickUpdated() {
    $('updated').textContent = S.lastUpdate ? 'Updated ' + clock(S.lastUpdate) : '';
  }

  /* ---- sign in / out ------------------------------------------------------------ */

  function readFragmentToken() {
    var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return;
    var t = '';
    try { t = decodeURIComponent(m[1]); } catch (e) { t = m[1]; }
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    history.replaceState(null, '', location.pathname + location.search);
  }

  function showLogin(message, detail) {
    $('main').hidden = true;
    $('session-bar').hidden = true;
    $('login').hidden = false;
    var err = $('login-error');
    clear(err);
    if (message) {
      err.appendChild(document.createTextNode(message));
      if (detail) err.appendChild(h('span', { 'class': 'detail' }, detail));
    }
    err.hidden = !message;
    var input = $('token');
    input.value = '';
    input.focus();
  }

  function signOut(message, detail) {
    stopSession();
    S.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    eventName = '';
    updateTitle();
    $('toast').hidden = true;
    showLogin(message, detail);
  }

  /* Stops everything a session started; answers still on their way are dropped. */
  function stopSession() {
    S.epoch++;
    if (S.es) S.es.close();
    S.es = null;
    clearTimeout(S.esRetry);
    S.timers.forEach(clearInterval);
    S.timers = [];
    [refreshSeats, refreshStats, refreshAlerts, refreshDevices, refreshTickets].forEach(function (r) { r.cancel(); });
    resetMap();
  }

  function onTokenSubmit(ev) {
    ev.preventDefault();
    var t = $('token').value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    start();
  }

  /* ---- start ----------------------------------------------------------------- */

  function start() {
    S.token = sessionStorage.getItem(TOKEN_KEY);
    if (!S.token) { showLogin(''); return; }
    stopSession();
    var epoch = S.epoch;
    $('login').hidden = true;
    $('main').hidden = false;
    $('session-bar').hidden = false;
    setConn('connecting');
    var q = '?access_token=' + encodeURIComponent(S.token);
    $('export-assignments').href = '/v1/export/assignments.csv' + q;
    $('export-checkins').href = '/v1/export/checkins.csv' + q;
    $('export-alerts').href = '/v1/export/alerts.csv' + q;
    $('map-status').textContent = 'Loading the layout…';
    $('map-status').hidden = false;

    /* stats first: it needs an admin token, so a wrong token fails here.
     * Then the event stream (so that nothing after the reads is missed),
     * then the layout and the seats together: the map is built with its
     * colours before it enters the page. */
    S.missed = false;
    checkHealth();
    api('/v1/stats').then(function (stats) {
      renderStats(stats);
      api('/v1/pubkey').then(renderEventName, function () {});
      connectEvents();
      return Promise.all([api('/v1/layout'), api('/v1/seats')]);
    }).then(function (r) {
      if (epoch !== S.epoch) return;
      S.layout = r[0];
      buildMap(r[0], r[1] && Array.isArray(r[1].seats) ? r[1].seats : []);
      if (S.missed) refreshSeats(true);
      refreshStats(true);
      refreshAlerts(true);
      refreshDevices(true);
      refreshTickets(true);
      S.timers.push(setInterval(function () { refreshSeats(); refreshStats(); }, POLL_LIVE_MS));
      S.timers.push(setInterval(function () { refreshAlerts(); refreshDevices(); checkHealth(); }, POLL_SLOW_MS));
      S.timers.push(setInterval(tick, 1000));
    }).catch(function (err) {
      if (epoch !== S.epoch || err.status === 401 || err.status === 403) return;
      $('map-status').textContent = err.message + ' Retrying…';
      $('map-status').hidden = false;
      setTimeout(function () { if (epoch === S.epoch) start(); }, 3000);
    });
  }

  var eventName = '';
  function renderEventName(ev) {
    eventName = ev && ev.name ? ev.name : '';
    updateTitle();
  }

  function updateTitle() {
    var parts = [];
    if (eventName) parts.push(eventName);
    if (S.layout && S.layout.name && S.layout.name !== eventName) parts.push(S.layout.name);
    $('event-name').textContent = parts.length ? parts.join(' · ') : "Organisers' dashboard";
    document.title = (eventName ? eventName + ' — ' : '') + 'Usher dashboard';
  }

  function tick() {
    for (var i = 0; i < S.relCells.length; i++) {
      var c = S.relCells[i];
      c.el.textContent = (c.prefix || '') + ago(c.ms);
    }
    tickUpdated();
  }

  /* ---- live events --------------------------------------------------------------- */

  function connectEvents() {
    if (S.es) S.es.close();
    clearTimeout(S.esRetry);
    var epoch = S.epoch;
    var es = new EventSource('/v1/events?access_token=' + encodeURIComponent(S.token));
    S.es = es;
    var opened = false;
    es.addEventListener('open', function () {
      if (es !== S.es) return;
      S.esFails = 0;
      setConn('live');
      if (opened) refreshAll(); /* a reconnect: we may have missed events */
      opened = true;
    });
    es.addEventListener('change', function (ev) {
      if (es !== S.es) return;
      var c = null;
      try { c = JSON.parse(ev.data); } catch (e) { c = null; }
      if (c && c.type === 'layout') {
        reloadLayout(); /* the organisers replaced the venue: draw the new one */
        refreshStats();
        refreshAlerts(true);
        return;
      }
      if (c) applyChange(c);
      if (!S.svg) S.missed = true;
      refreshSeats();
      refreshStats();
      refreshAlerts();
      refreshDevices(); /* a change means some device just synced */
      if (S.search || S.insideOnly || $('tickets-body').firstChild) refreshTickets();
    });
    es.addEventListener('reset', function () {
      if (es === S.es) refreshAll();
    });
    es.addEventListener('error', function () {
      if (es !== S.es || epoch !== S.epoch) return;
      if (es.readyState === EventSource.CLOSED) {
        /* The browser gave up (an HTTP error, e.g. 401): retry ourselves. */
        es.close();
        S.es = null;
        setConn('reconnecting');
        S.esFails++;
        var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(S.esFails, 5)));
        delay = delay * (0.75 + Math.random() * 0.5);
        S.esRetry = setTimeout(function () {
          if (epoch !== S.epoch) return;
          /* A 401 here signs out with the coordinator's message. */
          api('/v1/stats').then(function (st) { renderStats(st); }, function () {}).then(function () {
            if (epoch === S.epoch) { connectEvents(); refreshAll(); }
          });
        }, delay);
      } else {
        setConn('reconnecting'); /* the browser reconnects by itself */
      }
    });
  }

  function refreshAll() {
    if (S.svg) reloadLayout(true); /* a new layout may have come while we were away */
    refreshSeats(true);
    refreshStats(true);
    refreshAlerts(true);
    refreshDevices(true);
    if (S.search || S.insideOnly || $('tickets-body').firstChild) refreshTickets(true);
  }

  /* Patches the map at once from a change; the debounced re-read that
   * follows brings names, classes and anything missed. */
  function applyChange(c) {
    if (c.type === 'seat' && typeof c.seat === 'string' && S.seatEls.has(c.seat)) {
      var old = S.seatData.get(c.seat) || { id: c.seat };
      var d = { id: c.seat };
      var until = parseTime(c.hold_until), leaseUntil = parseTime(c.lease_until);
      if (c.blocked) d.state = 'blocked';
      else if (c.ticket) d.state = 'taken';
      else if (c.hold_device && until > serverNow()) d.state = 'held';
      else if (c.lease_device && leaseUntil > serverNow()) d.state = 'leased';
      else d.state = 'free';
      if (c.lease_device && leaseUntil > serverNow() && !c.ticket && !c.blocked) {
        d.leased_by = c.lease_device;
        d.leased_until = c.lease_until;
      }
      if (c.ticket) {
        d.ticket = c.ticket;
        if (old.ticket === c.ticket) {
          d.name = old.name; d['class'] = old['class']; d.checked_in = old.checked_in; d.attention = old.attention;
        }
      }
      if (d.state === 'held') {
        d.held_by = c.hold_device;
        /* holds expire without an event: look again just after this one ends */
        var left = until - serverNow();
        if (left < 15 * 60000) setTimeout(function () { refreshSeats(); refreshStats(); }, left + 500);
      }
      S.seatData.set(c.seat, d);
      paintSeat(c.seat);
      if (S.selected === c.seat) renderSeatPanel();
    } else if (c.type === 'ticket' && c.seat && S.seatEls.has(c.seat)) {
      var sd = S.seatData.get(c.seat);
      if (sd && sd.ticket === c.code) {
        sd.name = c.name;
        sd['class'] = c['class'];
        sd.checked_in = !!c.checked_in_at;
        sd.attention = !!c.attention;
        paintSeat(c.seat);
        if (S.selected === c.seat) renderSeatPanel();
      }
    }
  }

  /* A new layout (PUT /v1/layout, `usher-coord layout set`): GET /v1/layout
   * and /v1/seats again and draw the map anew. The view and the selected seat
   * are kept where the new layout still has them. */
  var reloadLayout = refresher(function () {
    var epoch = S.epoch;
    return Promise.all([api('/v1/layout'), api('/v1/seats')]).then(function (r) {
      if (epoch !== S.epoch || !S.svg) return;
      var seats = r[1] && Array.isArray(r[1].seats) ? r[1].seats : [];
      if (JSON.stringify(r[0]) === JSON.stringify(S.layout)) { applySeats(seats); return; }
      /* a map shown whole is fitted to the new venue; a zoomed one stays */
      var view = S.view, selected = S.selected, f = S.full;
      var whole = !view || !f || view.w >= Math.max(f.w, f.h / aspect()) * 0.99;
      S.layout = r[0];
      S.seatEls.clear(); S.seatInfo.clear(); S.seatLower.clear();
      S.seatData.clear(); S.seatShown.clear(); S.sections.clear();
      S.selected = null;
      S.moving = false;
      buildMap(r[0], seats);
      if (!whole && S.full) setView(view.x + view.w / 2, view.y + view.h / 2, view.w);
      if (selected && S.seatEls.has(selected)) selectSeat(selected, false);
      else renderSeatPanel();
      refreshSeats(true);
      refreshStats(true);
    });
  }, 200, 1000);

  /* ---- seat map ----------------------------------------------------------------- */

  function resetMap() {
    if (S.svg && S.svg.parentNode) S.svg.parentNode.removeChild(S.svg);
    $('map-wrap').style.maxHeight = '';
    S.svg = null;
    S.layout = null;
    S.seatEls.clear(); S.seatInfo.clear(); S.seatLower.clear();
    S.seatData.clear(); S.seatShown.clear(); S.sections.clear();
    S.sectionOrder = '';
    S.lastSections = null;
    S.selected = null;
    S.moving = false;
    S.alertsSig = ''; S.devicesSig = '';
    clear($('sections-body'));
    clear($('alerts-list'));
    clear($('devices-body'));
    clear($('tickets-body'));
    renderSeatPanel();
  }

  /* Seat size for a section: 44 units, less when its seats sit closer. */
  function seatSizeFor(sec) {
    var seats = sec.seats, min = Infinity;
    for (var i = 1; i < seats.length; i++) {
      var dx = seats[i].x - seats[i - 1].x, dy = seats[i].y - seats[i - 1].y;
      var d = Math.sqrt(dx * dx + dy * dy);
      if (d > 0 && d < min) min = d;
    }
    var size = SEAT_SIZE * 0.88;
    if (min < Infinity) size = Math.min(size, min * 0.86);
    return Math.max(size, 8);
  }

  function buildMap(layout, seatList) {
    var old = S.svg;
    var sections = Array.isArray(layout.sections) ? layout.sections : [];
    var total = 0;
    sections.forEach(function (sec) { total += Array.isArray(sec.seats) ? sec.seats.length : 0; });
    var numbers = total <= SEAT_NUMBERS_MAX;

    var svg = s('svg', {
      'class': 'map', role: 'group', tabindex: '0', focusable: 'true',
      'aria-label': 'Seat map of ' + (layout.name || 'the venue') + ', ' + total + ' seats. '
        + 'Arrow keys pan, plus and minus zoom.',
      preserveAspectRatio: 'xMidYMid meet'
    });
    var defs = s('defs');
    var pat = s('pattern', { id: 'usher-hatch', patternUnits: 'userSpaceOnUse', width: '10', height: '10', patternTransform: 'rotate(45)' });
    pat.appendChild(s('rect', { width: '10', height: '10', fill: '#d9dde3' }));
    pat.appendChild(s('rect', { width: '4', height: '10', fill: '#5b6472' }));
    defs.appendChild(pat);
    svg.appendChild(defs);

    var gTables = s('g', { 'class': 'tables' });
    var gSeats = s('g', { 'class': 'seats' });
    var gLabels = s('g', { 'class': 'labels' });
    var minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
    function grow(x0, y0, x1, y1) {
      if (x0 < minx) minx = x0;
      if (y0 < miny) miny = y0;
      if (x1 > maxx) maxx = x1;
      if (y1 > maxy) maxy = y1;
    }

    sections.forEach(function (sec) {
      if (!sec || !Array.isArray(sec.seats) || !sec.seats.length) return;
      var size = seatSizeFor(sec), half = size / 2;
      var label = sec.label || sec.id || '';
      var bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
      sec.seats.forEach(function (seat) {
        var x = +seat.x, y = +seat.y;
        if (x - half < bx0) bx0 = x - half;
        if (y - half < by0) by0 = y - half;
        if (x + half > bx1) bx1 = x + half;
        if (y + half > by1) by1 = y + half;
      });
      var info = { sec: sec, label: label, bounds: null, mapCount: null, seats: sec.seats.length };
      var g = s('g', { 'class': 'section', 'data-section': String(sec.id || '') });
      if (sec['class']) g.setAttribute('data-class', String(sec['class']));

      if (sec.kind === 'table') {
        var cx = +sec.x, cy = +sec.y;
        var r = +sec.radius || Math.max(bx1 - cx, cx - bx0, by1 - cy, cy - by0) - half;
        var tr = Math.max(r - half - 8, r * 0.45, 10);
        var circle = s('circle', { 'class': 'table' + (sec['class'] ? ' classed' : ''), cx: round(cx), cy: round(cy), r: round(tr) });
        g.appendChild(circle);
        var fs = Math.max(9, Math.min(26, tr * 0.36));
        var t1 = s('text', { 'class': 'table-label', x: round(cx), y: round(cy - fs * 0.15), 'font-size': round(fs) });
        t1.textContent = label;
        var t2 = s('text', { 'class': 'table-count', x: round(cx), y: round(cy + fs * 0.95), 'font-size': round(fs * 0.8) });
        t2.textContent = '0/' + sec.seats.length;
        gLabels.appendChild(t1);
        gLabels.appendChild(t2);
        if (sec['class']) {
          var t0 = s('text', { 'class': 'table-class', x: round(cx), y: round(cy - fs * 1.2), 'font-size': round(fs * 0.62) });
          t0.textContent = sec['class'];
          gLabels.appendChild(t0);
        }
        info.mapCount = t2;
        grow(Math.min(bx0, cx - tr), Math.min(by0, cy - tr), Math.max(bx1, cx + tr), Math.max(by1, cy + tr));
      } else {
        var first = sec.seats[0], lastSeat = sec.seats[0];
        sec.seats.forEach(function (seat) {
          if (+seat.x < +first.x) first = seat;
          if (+seat.x > +lastSeat.x) lastSeat = seat;
        });
        var rfs = Math.max(9, Math.min(24, size * 0.5));
        var lx = +first.x - half - rfs * 0.5;
        var tl = s('text', { 'class': 'row-label', x: round(lx), y: round(+first.y + rfs * 0.35), 'font-size': round(rfs), 'text-anchor': 'end' });
        tl.textContent = label + (sec['class'] ? ' · ' + sec['class'] : '');
        var rx = +lastSeat.x + half + rfs * 0.5;
        var tc = s('text', { 'class': 'row-count', x: round(rx), y: round(+lastSeat.y + rfs * 0.35), 'font-size': round(rfs * 0.85), 'text-anchor': 'start' });
        tc.textContent = '0/' + sec.seats.length;
        gLabels.appendChild(tl);
        gLabels.appendChild(tc);
        info.mapCount = tc;
        var lw = (tl.textContent.length * 0.6 + 0.5) * rfs;
        var cw = (tc.textContent.length * 0.6 + 2) * rfs;
        grow(bx0 - lw, by0, bx1 + cw, by1);
      }
      info.bounds = { x0: bx0, y0: by0, x1: bx1, y1: by1 };
      if (sec.kind === 'table') {
        info.bounds = { x0: Math.min(bx0, +sec.x - half), y0: Math.min(by0, +sec.y - half), x1: Math.max(bx1, +sec.x + half), y1: Math.max(by1, +sec.y + half) };
      }

      sec.seats.forEach(function (seat, i) {
        var id = String(seat.id);
        var x = +seat.x, y = +seat.y, e;
        if (sec.kind === 'table') {
          e = s('circle', { cx: round(x), cy: round(y), r: round(half) });
        } else {
          e = s('rect', { x: round(x - half), y: round(y - half), width: round(size), height: round(size), rx: round(size * 0.18) });
        }
        e.setAttribute('id', 'seat-' + id);
        e.setAttribute('class', 'seat');
        e.setAttribute('data-state', 'free');
        g.appendChild(e);
        var seatLabel = seat.label != null && seat.label !== '' ? String(seat.label) : String(i + 1);
        if (numbers) {
          var len = seatLabel.length;
          var nfs = Math.min(size * 0.42, size * 1.1 / Math.max(len, 1));
          var tn = s('text', { 'class': 'seat-num', x: round(x), y: round(y + nfs * 0.36), 'font-size': round(nfs) });
          tn.textContent = len > 4 ? seatLabel.slice(0, 3) + '…' : seatLabel;
          g.appendChild(tn);
        }
        S.seatEls.set(id, e);
        S.seatShown.set(id, 'free');
        S.seatInfo.set(id, {
          id: id, label: seatLabel, section: info.label, sectionId: sec.id,
          cls: seat['class'] != null ? seat['class'] : (sec['class'] || ''), cx: x, cy: y
        });
        S.seatLower.set(id.toLowerCase(), id);
      });
      gSeats.appendChild(g);
      S.sections.set(String(sec.id), info);
    });

    svg.appendChild(gTables);
    svg.appendChild(gSeats);
    svg.appendChild(gLabels);

    if (!isFinite(minx)) { minx = 0; miny = 0; maxx = 1000; maxy = 600; }
    var pad = SEAT_SIZE;
    S.full = { x: minx - pad, y: miny - pad, w: maxx - minx + 2 * pad, h: maxy - miny + 2 * pad };

    var wrap = $('map-wrap');
    if (old && old.parentNode) old.parentNode.removeChild(old);
    S.svg = svg;
    applySeats(seatList || []);
    var ids = Array.from(S.seatEls.keys());
    if (ids.length) {
      var example = ids[Math.min(ids.length - 1, Math.floor(ids.length / 3) + 2)];
      $('goto-seat').placeholder = 'Seat id, e.g. ' + example;
      $('move-target').placeholder = 'e.g. ' + example;
    }
    fitWrap();
    fitView(); /* before insertion: no forced layout of thousands of seats */
    wrap.insertBefore(svg, wrap.firstChild);
    $('map-status').hidden = total > 0;
    if (!total) $('map-status').textContent = 'The layout has no seats.';
    bindMap(svg);
    updateTitle();
    /* section rows drawn before the map existed: redraw them with its links */
    S.sectionOrder = '';
    if (S.lastSections) renderSections(S.lastSections);
  }

  /* ---- view box: fit, zoom, pan --------------------------------------------- */

  /* height / width of the map area (the SVG fills it) */
  function aspect() {
    var wrap = $('map-wrap'), w = wrap.clientWidth, hh = wrap.clientHeight;
    return w > 0 && hh > 0 ? hh / w : 0.6;
  }

  function applyView() {
    var v = S.view;
    S.svg.setAttribute('viewBox', round(v.x) + ' ' + round(v.y) + ' ' + round(v.w) + ' ' + round(v.h));
  }

  function setView(cx, cy, w) {
    var f = S.full;
    var maxW = Math.max(f.w, f.h / aspect()) * 1.5;
    var minW = Math.min(SEAT_SIZE * 6, maxW);
    w = Math.max(minW, Math.min(maxW, w));
    var hh = w * aspect();
    /* keep some of the venue on screen */
    cx = Math.max(f.x - w * 0.3, Math.min(f.x + f.w + w * 0.3, cx));
    cy = Math.max(f.y - hh * 0.3, Math.min(f.y + f.h + hh * 0.3, cy));
    S.view = { x: cx - w / 2, y: cy - hh / 2, w: w, h: hh };
    applyView();
  }

  function fitView() {
    if (!S.svg || !S.full) return;
    var f = S.full;
    setView(f.x + f.w / 2, f.y + f.h / 2, Math.max(f.w, f.h / aspect()));
  }

  function fitBounds(b, margin) {
    var w = b.x1 - b.x0 + 2 * margin, hh = b.y1 - b.y0 + 2 * margin;
    setView((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2, Math.max(w, hh / aspect()));
  }

  function zoomAt(factor, px, py) {
    var v = S.view;
    if (px == null) { px = v.x + v.w / 2; py = v.y + v.h / 2; }
    var w = v.w * factor;
    var cx = px - (px - v.x) * factor + w / 2;
    var cy = py - (py - v.y) * factor + (w * aspect()) / 2;
    setView(cx, cy, w);
  }

  /* + and −: about the selected seat when it is in view (on a phone the
     organiser finds a seat, then zooms until a finger can hit it), else
     about the middle. */
  function zoomButton(factor) {
    var v = S.view, info = S.selected && S.seatInfo.get(S.selected);
    if (!v) return;
    if (info && info.cx > v.x && info.cx < v.x + v.w && info.cy > v.y && info.cy < v.y + v.h) zoomAt(factor, info.cx, info.cy);
    else zoomAt(factor);
  }

  function clientToMap(clientX, clientY) {
    var r = S.svg.getBoundingClientRect(), v = S.view;
    return { x: v.x + (clientX - r.left) / r.width * v.w, y: v.y + (clientY - r.top) / r.height * v.h };
  }

  function seatIdOf(target) {
    if (!target || !target.classList || !target.classList.contains('seat')) return null;
    return target.id.slice(5); /* "seat-" */
  }

  function bindMap(svg) {
    var pointers = new Map(), drag = null, pinch = null, dragged = false;

    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var p = clientToMap(ev.clientX, ev.clientY);
      var dy = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
      zoomAt(Math.exp(Math.max(-1, Math.min(1, dy / 300))), p.x, p.y);
    }, { passive: false });

    svg.addEventListener('pointerdown', function (ev) {
      if (ev.button !== 0 && ev.pointerType === 'mouse') return;
      pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
      dragged = false;
      if (pointers.size === 1) {
        drag = { x: ev.clientX, y: ev.clientY, vx: S.view.x + S.view.w / 2, vy: S.view.y + S.view.h / 2, id: ev.pointerId, on: false };
        pinch = null;
      } else if (pointers.size === 2) {
        var pts = Array.from(pointers.values());
        pinch = { d: dist(pts[0], pts[1]), w: S.view.w };
        drag = null;
      }
    });

    svg.addEventListener('pointermove', function (ev) {
      if (pointers.has(ev.pointerId)) pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
      if (pinch && pointers.size === 2) {
        var pts = Array.from(pointers.values());
        var d = dist(pts[0], pts[1]);
        if (d > 0) {
          var mid = clientToMap((pts[0].x + pts[1].x) / 2, (pts[0].y + pts[1].y) / 2);
          zoomAt(pinch.w * pinch.d / d / S.view.w, mid.x, mid.y);
        }
        dragged = true;
        return;
      }
      if (drag && drag.id === ev.pointerId) {
        var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
        if (!drag.on && dx * dx + dy * dy > 25) {
          drag.on = true;
          dragged = true;
          try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* ignore */ }
          svg.classList.add('dragging');
          hideTooltip();
        }
        if (drag.on) {
          var r = svg.getBoundingClientRect();
          var scale = S.view.w / r.width;
          setView(drag.vx - dx * scale, drag.vy - dy * scale, S.view.w);
          return;
        }
      }
      var id = seatIdOf(ev.target);
      if (id && ev.pointerType !== 'touch' && !tipPinned()) showTooltip(id, ev.clientX, ev.clientY);
    });

    function up(ev) {
      pointers.delete(ev.pointerId);
      if (drag && drag.id === ev.pointerId) drag = null;
      if (pointers.size < 2) pinch = null;
      svg.classList.remove('dragging');
    }
    svg.addEventListener('pointerup', up);
    svg.addEventListener('pointercancel', up);

    svg.addEventListener('pointerout', function (ev) {
      if (seatIdOf(ev.target) && !seatIdOf(ev.relatedTarget) && !tipPinned()) hideTooltip();
    });
    svg.addEventListener('mouseleave', function () { if (!tipPinned()) hideTooltip(); });

    svg.addEventListener('click', function (ev) {
      if (dragged) { dragged = false; return; }
      var id = seatIdOf(ev.target);
      if (!id) return;
      if (S.moving && S.selected && id !== S.selected) {
        setMoveTarget(id);
        return;
      }
      selectSeat(id, false);
      /* a finger or a phone-sized screen: the seat's guest stays shown on
         the map (the seat panel is below it, out of view) */
      if (ev.pointerType === 'touch' || PHONE.matches) pinTooltip(id);
      else if (ev.pointerType === undefined && ev.detail === 0) hideTooltip();
    });

    svg.addEventListener('keydown', function (ev) {
      var v = S.view, step = v.w * 0.15;
      var handled = true;
      switch (ev.key) {
        case 'ArrowLeft': setView(v.x + v.w / 2 - step, v.y + v.h / 2, v.w); break;
        case 'ArrowRight': setView(v.x + v.w / 2 + step, v.y + v.h / 2, v.w); break;
        case 'ArrowUp': setView(v.x + v.w / 2, v.y + v.h / 2 - step, v.w); break;
        case 'ArrowDown': setView(v.x + v.w / 2, v.y + v.h / 2 + step, v.w); break;
        case '+': case '=': zoomAt(0.7); break;
        case '-': case '_': zoomAt(1 / 0.7); break;
        case '0': fitView(); break;
        default: handled = false;
      }
      if (handled) ev.preventDefault();
    });
  }

  function dist(a, b) { var dx = a.x - b.x, dy = a.y - b.y; return Math.sqrt(dx * dx + dy * dy); }

  function onResize() {
    if (!S.svg || !S.view) return;
    fitWrap();
    var v = S.view;
    setView(v.x + v.w / 2, v.y + v.h / 2, v.w);
  }

  /* The map area is as tall as the window allows (style.css), but no taller
   * than the venue needs at its width: a wide theatre or a narrow window
   * leaves no empty band above and below the seats. */
  function fitWrap() {
    var wrap = $('map-wrap'), w = wrap.clientWidth;
    if (!S.full || !w) return;
    var want = Math.max(360, Math.ceil(w * S.full.h / S.full.w));
    if (wrap.style.maxHeight !== want + 'px') wrap.style.maxHeight = want + 'px';
  }

  /* ---- seat states ------------------------------------------------------------ */

  function displayState(d) {
    if (!d) return 'free';
    if (d.state === 'taken') return d.checked_in ? 'checked-in' : 'taken';
    return STATES.indexOf(d.state) >= 0 ? d.state : 'unknown';
  }

  function paintSeat(id) {
    var st = displayState(S.seatData.get(id));
    if (S.seatShown.get(id) === st) return;
    var e = S.seatEls.get(id);
    if (e) e.setAttribute('data-state', st);
    S.seatShown.set(id, st);
    if ($('tooltip').getAttribute('data-seat') === id) { /* it shows the old state */
      if (tipPinned()) pinTooltip(id); else hideTooltip();
    }
  }

  var refreshSeats = refresher(function () {
    var epoch = S.epoch;
    return api('/v1/seats').then(function (data) {
      if (epoch !== S.epoch || !S.svg) return;
      applySeats(data && Array.isArray(data.seats) ? data.seats : []);
    });
  }, 100, function () { return Math.min(2000, S.seatEls.size / 10); });

  /* Paints a /v1/seats list: only seats whose state changed are touched. */
  function applySeats(list) {
    var counts = { free: 0, held: 0, leased: 0, taken: 0, 'checked-in': 0, blocked: 0, unknown: 0 };
    for (var i = 0; i < list.length; i++) {
      var d = list[i];
      if (!d || typeof d.id !== 'string' || !S.seatEls.has(d.id)) continue;
      S.seatData.set(d.id, d);
      counts[displayState(d)]++;
      paintSeat(d.id);
    }
    STATES.forEach(function (k) { $('count-' + k).textContent = counts[k].toLocaleString(); });
    $('legend-leased').hidden = !counts.leased;
    if (S.selected) renderSeatPanel();
    touchUpdated();
  }

  /* ---- seat selection and actions ---------------------------------------------- */

  function findSeatId(text) {
    var t = (text || '').trim();
    if (!t) return null;
    if (S.seatEls.has(t)) return t;
    return S.seatLower.get(t.toLowerCase()) || null;
  }

  function selectSeat(id, reveal) {
    if (S.selected && S.selected !== id) {
      var prev = S.seatEls.get(S.selected);
      if (prev) prev.classList.remove('selected');
    }
    if (S.selected !== id) cancelMove();
    S.selected = id;
    var e = S.seatEls.get(id);
    if (e) e.classList.add('selected');
    showMsg($('seat-msg'), '', '');
    renderSeatPanel();
    if (reveal) revealSeat(id);
  }

  function revealSeat(id) {
    var info = S.seatInfo.get(id);
    if (!info || !S.view) return;
    var v = S.view, w = v.w;
    if (S.full.w > 3000 && w > 2400) w = 2400;
    var inside = info.cx > v.x + SEAT_SIZE && info.cx < v.x + v.w - SEAT_SIZE &&
      info.cy > v.y + SEAT_SIZE && info.cy < v.y + v.h - SEAT_SIZE;
    if (!inside || w !== v.w) setView(info.cx, info.cy, w);
    var e = S.seatEls.get(id);
    if (e) {
      e.classList.remove('pulse');
      void e.getBoundingClientRect();
      e.classList.add('pulse');
      setTimeout(function () { e.classList.remove('pulse'); }, 2100);
    }
  }

  function renderSeatPanel() {
    var id = S.selected;
    var detail = $('seat-detail');
    if (!id || !S.seatInfo.has(id)) {
      detail.hidden = true;
      $('seat-empty').hidden = false;
      return;
    }
    var info = S.seatInfo.get(id), d = S.seatData.get(id) || { state: 'free' };
    var st = displayState(d);
    $('seat-empty').hidden = true;
    detail.hidden = false;
    $('sd-seat').textContent = id + (info.label && info.label !== id ? ' (seat ' + info.label + ')' : '');
    $('sd-section').textContent = info.section || '—';
    var pill = $('sd-state');
    pill.textContent = STATE_TEXT[st] || st;
    pill.setAttribute('data-state', st);
    setField('sd-name', d.ticket ? (d.name || '(no name)') + (d.attention ? ' \u2014 Attention at the door' : '') : '');
    setField('sd-ticket', d.ticket || '');
    setField('sd-class', d['class'] || info.cls || '');
    var held = st === 'held' || st === 'leased';
    $('sd-held-dt').textContent = st === 'leased' ? 'Leased to' : 'Held by';
    $('sd-held-dt').hidden = !held;
    $('sd-held').hidden = !held;
    $('sd-held').textContent = !held ? ''
      : st === 'held' ? (d.held_by || 'a kiosk') + ' (guest choosing)'
      : (d.leased_by || 'a kiosk') + (d.leased_until ? ' until ' + clock(parseTime(d.leased_until)) : '');
    var seated = st === 'taken' || st === 'checked-in';
    $('act-block').hidden = !(st === 'free' || st === 'held' || st === 'leased');
    $('act-unblock').hidden = st !== 'blocked';
    $('act-unseat').hidden = !seated;
    $('act-move').hidden = !seated;
    if (!seated && S.moving) cancelMove();
  }

  function setField(id, text) {
    var e = $(id);
    e.textContent = text || '—';
    e.classList.toggle('muted', !text);
  }

  function busy(btn, on) {
    if (!btn) return;
    btn.disabled = on;
    btn.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  function verdictText(v, okText) {
    if (!v) return okText;
    var why = v.reason ? (REASON_TEXT[v.reason] || v.reason.replace(/_/g, ' ')) : 'refused';
    var extra = '';
    if (v.seat_ticket && v.reason === 'seat_taken') extra = ' (ticket ' + v.seat_ticket + ')';
    if (v.reseat) extra += '; the ticket was seated at ' + v.reseat + ' instead';
    return 'Refused: ' + why + extra + '.';
  }

  /* POSTs an action; shows the verdict in `where`. */
  function act(path, body, btn, where, okText) {
    busy(btn, true);
    showMsg(where, 'Working…', '');
    return api(path, { method: 'POST', json: body, verdict: true }).then(function (r) {
      var ok = r.status === 200;
      showMsg(where, ok ? okText : verdictText(r.verdict, okText), ok ? 'ok' : 'error');
      refreshSeats(true);
      refreshStats(true);
      if ($('tickets-body').firstChild) refreshTickets(true);
      return ok;
    }).catch(function (err) {
      reportError(err, where);
      return false;
    }).then(function (ok) {
      busy(btn, false);
      return ok;
    });
  }

  function seatPath(id) { return '/v1/seats/' + encodeURIComponent(id); }
  function ticketPath(code) { return '/v1/tickets/' + encodeURIComponent(code); }

  function onBlock(ev) {
    var id = S.selected;
    if (id) act(seatPath(id) + '/block', undefined, ev.currentTarget, $('seat-msg'), 'Seat ' + id + ' blocked.');
  }

  function onUnblock(ev) {
    var id = S.selected;
    if (id) act(seatPath(id) + '/unblock', undefined, ev.currentTarget, $('seat-msg'), 'Seat ' + id + ' unblocked.');
  }

  function onUnseat(ev) {
    var id = S.selected, d = S.seatData.get(id);
    if (!d || !d.ticket) return;
    var who = d.name ? d.name + ' (' + d.ticket + ')' : 'ticket ' + d.ticket;
    if (!window.confirm('Unseat ' + who + ' from seat ' + id + '? The seat becomes free.')) return;
    act(ticketPath(d.ticket) + '/unseat', undefined, ev.currentTarget, $('seat-msg'), 'Unseated ' + who + '.');
  }

  function onMoveStart() {
    S.moving = true;
    $('move-form').hidden = false;
    $('act-move').setAttribute('aria-expanded', 'true');
    S.svg && S.svg.classList.add('picking');
    $('move-target').value = '';
    $('move-target').focus();
  }

  function setMoveTarget(id) {
    if (S.moveTarget) {
      var old = S.seatEls.get(S.moveTarget);
      if (old) old.classList.remove('target');
    }
    S.moveTarget = id;
    var e = id && S.seatEls.get(id);
    if (e) e.classList.add('target');
    if (id) $('move-target').value = id;
  }

  function cancelMove() {
    S.moving = false;
    setMoveTarget(null);
    $('move-form').hidden = true;
    $('act-move').setAttribute('aria-expanded', 'false');
    if (S.svg) S.svg.classList.remove('picking');
  }

  function onMoveSubmit(ev) {
    ev.preventDefault();
    var from = S.selected, d = S.seatData.get(from);
    if (!d || !d.ticket) return;
    var typed = $('move-target').value.trim();
    var to = findSeatId(typed);
    if (!to) { showMsg($('seat-msg'), 'There is no seat "' + typed + '" in this layout.', 'error'); return; }
    if (to === from) { showMsg($('seat-msg'), 'The guest already sits at ' + to + '.', 'error'); return; }
    var code = d.ticket;
    var btn = ev.submitter || $('move-form').querySelector('button[type=submit]');
    act(ticketPath(code) + '/move', { seat: to }, btn, $('seat-msg'), 'Moved ' + code + ' to ' + to + '.').then(function (ok) {
      if (ok) {
        cancelMove();
        selectSeat(to, true);
        showMsg($('seat-msg'), 'Moved ' + code + ' from ' + from + ' to ' + to + '.', 'ok');
      }
    });
  }

  function onGoto(ev) {
    ev.preventDefault();
    var typed = $('goto-seat').value;
    var id = findSeatId(typed);
    if (!id) { toast('There is no seat "' + typed.trim() + '" in this layout.', 'error'); return; }
    selectSeat(id, true);
  }

  /* ---- tooltip -------------------------------------------------------------- */

  function showTooltip(id, clientX, clientY) {
    var tip = $('tooltip'), info = S.seatInfo.get(id);
    if (!info) return;
    var d = S.seatData.get(id) || { state: 'free' };
    var st = displayState(d);
    if (tip.getAttribute('data-seat') !== id || tip.getAttribute('data-state') !== st || tip.hidden) {
      clear(tip);
      var head = h('div', { 'class': 'tip-head' });
      head.appendChild(h('strong', null, id));
      head.appendChild(h('span', { 'class': 'muted' }, ' · ' + info.section));
      tip.appendChild(head);
      tip.appendChild(h('div', { 'class': 'pill', 'data-state': st }, STATE_TEXT[st] || st));
      if (d.ticket) {
        tip.appendChild(h('div', { 'class': 'tip-name' }, d.name || '(no name)'));
        tip.appendChild(h('div', { 'class': 'mono' }, d.ticket));
      }
      var cls = d['class'] || info.cls;
      if (cls) tip.appendChild(h('div', { 'class': 'muted' }, 'Class: ' + cls));
      if (st === 'held') tip.appendChild(h('div', { 'class': 'muted' }, 'Held by ' + (d.held_by || 'a kiosk')));
      if (st === 'leased') tip.appendChild(h('div', { 'class': 'muted' }, 'Leased to ' + (d.leased_by || 'a kiosk')));
      tip.setAttribute('data-seat', id);
      tip.setAttribute('data-state', st);
      tip.hidden = false;
    }
    var wrap = $('map-wrap').getBoundingClientRect();
    var x = clientX - wrap.left + 14, y = clientY - wrap.top + 14;
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    if (x + tw > wrap.width - 4) x = clientX - wrap.left - tw - 14;
    if (y + th > wrap.height - 4) y = clientY - wrap.top - th - 14;
    tip.style.transform = 'translate(' + Math.max(4, x) + 'px,' + Math.max(4, y) + 'px)';
  }

  /* The tooltip as a card at the bottom of the map, for a tapped seat: it
     stays until another tap, with a way to the seat's actions. */
  function pinTooltip(id) {
    $('tooltip').hidden = true; /* rebuilt: the card gets its buttons once */
    showTooltip(id, 0, 0);
    var tip = $('tooltip');
    if (tip.hidden) return;
    tip.classList.add('pinned');
    tip.style.transform = '';
    var more = h('button', { type: 'button', 'class': 'btn small', id: 'tip-actions' }, 'Actions…');
    more.addEventListener('click', function () {
      var card = document.querySelector('.seat-card');
      if (card) card.scrollIntoView({ block: 'start' });
    });
    var close = h('button', { type: 'button', 'class': 'btn small', 'aria-label': 'Close' }, '×');
    close.addEventListener('click', hideTooltip);
    var bar = h('div', { 'class': 'tip-bar' });
    bar.appendChild(more);
    bar.appendChild(close);
    tip.appendChild(bar);
    /* never over the seat it describes: the map pans it into the space above */
    var seat = S.seatEls.get(id), wrap = $('map-wrap').getBoundingClientRect(), v = S.view;
    var sb = seat ? seat.getBoundingClientRect() : null, tb = tip.getBoundingClientRect();
    if (sb && v && sb.bottom + 4 > tb.top) {
      var want = wrap.top + (tb.top - wrap.top) / 2, dy = sb.top + sb.height / 2 - want;
      setView(v.x + v.w / 2, v.y + v.h / 2 + dy * v.h / wrap.height, v.w);
    }
  }

  function tipPinned() { return $('tooltip').classList.contains('pinned'); }

  function hideTooltip() {
    var tip = $('tooltip');
    tip.classList.remove('pinned');
    tip.hidden = true;
    tip.removeAttribute('data-seat');
  }

  /* ---- stats ------------------------------------------------------------------ */

  var refreshStats = refresher(function () {
    var epoch = S.epoch;
    return api('/v1/stats').then(function (st) {
      if (epoch === S.epoch) renderStats(st);
    });
  }, 100, 250);

  function pct(a, b) { return b > 0 ? Math.min(100, Math.round(a / b * 1000) / 10) : 0; }

  function num(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }

  function renderStats(st) {
    if (!st) return;
    var seated = num(st.seated), expected = num(st.expected), inn = num(st.checked_in);
    $('stat-seated').textContent = seated.toLocaleString();
    $('stat-expected').textContent = expected.toLocaleString();
    $('stat-expected-2').textContent = expected.toLocaleString();
    $('stat-checked-in').textContent = inn.toLocaleString();
    $('bar-seated').style.width = pct(seated, expected) + '%';
    $('bar-checked-in').style.width = pct(inn, expected) + '%';
    var seats = num(st.seats), blocked = num(st.blocked), held = num(st.held), revoked = num(st.revoked);
    var leased = num(st.leased);
    var free = Math.max(0, seats - seated - blocked - held - leased);
    var bits = [seats.toLocaleString() + ' seats', free.toLocaleString() + ' free'];
    if (held) bits.push(held.toLocaleString() + ' held');
    if (leased) bits.push(leased.toLocaleString() + ' leased');
    if (blocked) bits.push(blocked.toLocaleString() + ' blocked');
    if (revoked) bits.push(revoked.toLocaleString() + ' revoked ticket' + (revoked === 1 ? '' : 's'));
    if (typeof st.inside === 'number' && st.inside !== inn) bits.push(num(st.inside).toLocaleString() + ' inside now');
    if (!expected) bits.push('no tickets yet: import them with usher-coord tickets import');
    if (st.event) {
      EVENT_TZ = st.event.tz || undefined;
      bits.push(st.event.codes === 'weak'
        ? 'weak ticket codes: typed numbers need the QR code or the last name'
        : 'strong ticket codes');
      bits.push('times in ' + (st.event.tz || 'UTC'));
    }
    $('stat-extra').textContent = bits.join(' · ');
    if (Array.isArray(st.sections)) renderSections(st.sections);
    if (Array.isArray(st.entrances)) renderEntrances(st.entrances);
    touchUpdated();
  }

  /* ---- entrances ------------------------------------------------------------ */

  /* Each entrance: who it admits, its doors, admitted / expected / inside
   * (GET /v1/stats, re-read on every change of the event stream), and a
   * Remove button; the devices table offers them for each door. */
  function renderEntrances(list) {
    var names = list.map(function (e) { return e.name; });
    var doors = JSON.stringify(list.map(function (e) { return [e.name, e.doors || []]; }));
    if (doors !== S.entranceDoors) {
      /* new entrances to choose from, or a door moved (here or elsewhere) */
      S.entranceDoors = doors;
      S.entranceNames = names;
      S.devicesSig = '';
      if (S.lastDevices) renderDevices(S.lastDevices);
      refreshDevices();
    }
    var sig = JSON.stringify(list);
    if (sig === S.entrancesSig) return;
    S.entrancesSig = sig;
    var body = $('entrances-body');
    clear(body);
    list.forEach(function (e) {
      var tr = h('tr', { 'data-entrance': e.name });
      var th = h('th', { scope: 'row', 'class': 'ent-head' });
      th.appendChild(h('div', { 'class': 'ent-name' }, e.name));
      var rule = [];
      rule.push((e.classes && e.classes.length) ? 'classes ' + e.classes.join(', ') : 'every class');
      if (e.sections && e.sections.length) rule.push('sections ' + e.sections.join(', '));
      rule.push((e.doors && e.doors.length) ? 'doors ' + e.doors.join(', ') : 'no door yet');
      th.appendChild(h('span', { 'class': 'rule' }, rule.join(' · ')));
      var rm = h('button', { type: 'button', 'class': 'linkish small', title: 'Remove this entrance' }, 'Remove');
      rm.addEventListener('click', function () { removeEntrance(e.name, rm); });
      th.appendChild(rm);
      tr.appendChild(th);
      [['admitted', e.admitted], ['expected', e.expected], ['inside', e.inside]].forEach(function (c) {
        tr.appendChild(h('td', { 'class': 'num ent-' + c[0] }, num(c[1]).toLocaleString()));
      });
      body.appendChild(tr);
    });
    $('entrances-wrap').hidden = list.length === 0;
    $('entrances-empty').hidden = list.length > 0;
  }

  function entranceDone(btn, text) {
    busy(btn, false);
    showMsg($('entrance-msg'), text, 'ok');
    refreshStats();
    refreshDevices();
  }

  function onEntranceSubmit(ev) {
    ev.preventDefault();
    var btn = $('entrance-add');
    var body = { name: $('entrance-name').value.trim(), classes: $('entrance-classes').value,
                 sections: $('entrance-sections').value };
    busy(btn, true);
    api('/v1/entrances', { method: 'POST', json: body }).then(function () {
      $('entrance-name').value = $('entrance-classes').value = $('entrance-sections').value = '';
      entranceDone(btn, 'Entrance ' + body.name + ' added.');
    }, function (err) { busy(btn, false); reportError(err, $('entrance-msg')); });
  }

  function removeEntrance(name, btn) {
    busy(btn, true);
    api('/v1/entrances/' + encodeURIComponent(name), { method: 'DELETE' }).then(function () {
      entranceDone(btn, 'Entrance ' + name + ' removed.');
    }, function (err) { busy(btn, false); reportError(err, $('entrance-msg')); });
  }

  /* The devices table's entrance cell: a choice for a door, nothing else. */
  function entranceCell(d) {
    var td = h('td', { 'class': 'dev-entrance' });
    if (d.role !== 'door') return td;
    var sel = h('select', { 'aria-label': 'Entrance of ' + d.id, 'data-device': d.id });
    var opts = [''].concat(S.entranceNames || []);
    if (d.entrance && opts.indexOf(d.entrance) < 0) opts.push(d.entrance);
    opts.forEach(function (n) {
      var o = h('option', { value: n }, n || 'none');
      if (n === (d.entrance || '')) o.selected = true;
      sel.appendChild(o);
    });
    sel.addEventListener('change', function () {
      var want = sel.value;
      sel.disabled = true;
      api('/v1/devices/' + encodeURIComponent(d.id), { method: 'PUT', json: { entrance: want } }).then(function () {
        toast(d.id + (want ? ' is at entrance ' + want + ' now.' : ' admits every ticket now.'));
        refreshStats();
        refreshDevices();
      }, function (err) { reportError(err, $('entrance-msg')); }).then(function () { sel.disabled = false; });
    });
    td.appendChild(sel);
    return td;
  }

  function renderSections(list) {
    S.lastSections = list;
    var body = $('sections-body');
    var order = list.map(function (x) { return x.id; }).join('\u0000');
    if (order !== S.sectionOrder) {
      clear(body);
      list.forEach(function (sec) {
        var id = String(sec.id);
        var info = S.sections.get(id) || { label: sec.label || id };
        var tr = h('tr');
        var th = h('th', { scope: 'row' });
        var b = h('button', { type: 'button', 'class': 'linkish', title: 'Show on the map' }, sec.label || id);
        b.addEventListener('click', function () {
          var i = S.sections.get(id);
          if (i && i.bounds) fitBounds(i.bounds, SEAT_SIZE * 1.5);
        });
        th.appendChild(b);
        var tdS = h('td', { 'class': 'num' });
        var tdI = h('td', { 'class': 'num' });
        var tdB = h('td', { 'class': 'barcol' });
        var bar = h('div', { 'class': 'bar small', 'aria-hidden': 'true' });
        var f1 = h('span', { 'class': 'fill taken' });
        var f2 = h('span', { 'class': 'fill checked-in overlay' });
        bar.appendChild(f1);
        bar.appendChild(f2);
        tdB.appendChild(bar);
        tr.appendChild(th); tr.appendChild(tdS); tr.appendChild(tdI); tr.appendChild(tdB);
        body.appendChild(tr);
        info.row = { seated: tdS, inn: tdI, f1: f1, f2: f2 };
        if (!S.sections.has(id)) S.sections.set(id, info);
      });
      S.sectionOrder = order;
    }
    list.forEach(function (sec) {
      var info = S.sections.get(String(sec.id));
      if (!info || !info.row) return;
      var seats = num(sec.seats), seated = num(sec.seated), inn = num(sec.checked_in);
      var key = seated + '/' + seats + '/' + inn;
      if (info.key === key) return;
      info.key = key;
      info.row.seated.textContent = seated + '/' + seats;
      info.row.inn.textContent = String(inn);
      info.row.f1.style.width = pct(seated, seats) + '%';
      info.row.f2.style.width = pct(inn, seats) + '%';
      if (info.mapCount) info.mapCount.textContent = seated + '/' + seats + (inn ? ' · ' + inn + ' in' : '');
    });
  }

  /* ---- alerts ----------------------------------------------------------------- */

  var refreshAlerts = refresher(function () {
    var epoch = S.epoch;
    return api('/v1/alerts').then(function (data) {
      var list = data && Array.isArray(data.alerts) ? data.alerts : [];
      if (list.length < 500) return list;
      /* the full list is capped: make sure every open alert is there */
      return api('/v1/alerts?open=1').then(function (open) {
        var seen = new Set(list.map(function (a) { return a.id; }));
        (open && open.alerts || []).forEach(function (a) { if (!seen.has(a.id)) list.push(a); });
        return list;
      });
    }).then(function (list) {
      if (epoch === S.epoch) renderAlerts(list);
    });
  }, 400, 1000);

  function alertLine(a) {
    var seat = a.seat || '', other = a.other_seat || '';
    switch (a.kind) {
      case 'reseat':
        return 'Asked for ' + (seat || 'a seat') + ', which was already taken; seated at ' + (other || '?') + ' instead.';
      case 'duplicate_checkin':
        return 'Checked in twice' + (seat ? ' (seat ' + seat + ')' : '') + ': at ' + (a.device || '?') + ' ' + clock(parseTime(a.at)) +
          ', and earlier at ' + (a.other_device || '?') + ' ' + clock(parseTime(a.other_at)) + '.';
      case 'late_upload':
        return 'Done offline at ' + clock(parseTime(a.at)) + ' and uploaded late' + (seat ? ' (seat ' + seat + ')' : '') + '.';
      case 'revoked_scan':
        return 'A revoked ticket was presented at ' + (a.device || 'a device') + '.';
      case 'clock_skew': {
        var off = Math.round((parseTime(a.at) - parseTime(a.other_at)) / 60000);
        return (a.device || 'A device') + '\u2019s clock is ' + Math.abs(off) + ' min ' +
          (off >= 0 ? 'behind' : 'ahead') + '; Usher keeps time by the coordinator, but set the device\u2019s clock (NTP).';
      }
      case 'scan_refused':
        return 'A forged, altered or other event\'s QR code was scanned at ' + (a.device || 'a device') + ' ' +
          clock(parseTime(a.at)) + ': ' + (a.note || '') + '…';
      case 'layout_changed':
        return layoutChangedLine(a);
      case 'ticket_edited':
      case 'ticket_unrevoked':
        return 'By ' + (a.device || '?') + ' at ' + clock(parseTime(a.at)) + ': ' + (a.before || '') + ' \u2192 ' + (a.after || '') + '.';
      default:
        return [seat, other].filter(Boolean).join(' → ');
    }
  }

  /* "seats +4 -0, sections +1 -0" (the alert's note) and the layouts before
   * and after ("250 seats in 25 sections (version 1)") as a sentence. */
  function layoutChangedLine(a) {
    var m = /seats \+(\d+) -(\d+), sections \+(\d+) -(\d+)/.exec(a.note || '');
    var parts = [];
    function count(n, sign, one, many) { if (+n) parts.push(sign + n + ' ' + (+n === 1 ? one : many)); }
    if (m) {
      count(m[1], '+', 'seat', 'seats');
      count(m[2], '\u2212', 'seat', 'seats');
      count(m[3], '+', 'section', 'sections');
      count(m[4], '\u2212', 'section', 'sections');
    }
    var what = parts.length ? parts.join(', ') : 'seats moved or re-classed, none added or dropped';
    var text = what + ', by ' + (a.device || '?') + ' at ' + clock(parseTime(a.at)) + '.';
    if (a.before && a.after) text += ' Before: ' + a.before + '; now: ' + a.after + '.';
    return text + ' Every kiosk and door shows the new map; every guest keeps their seat.';
  }

  function renderAlerts(list) {
    var showAcked = $('alerts-show-acked').checked;
    var sig = showAcked + '|' + list.map(function (a) { return a.id + ':' + (a.acked_at ? 1 : 0); }).join(',');
    var open = list.filter(function (a) { return !a.acked_at; }).length;
    var badge = $('alerts-open');
    badge.textContent = open ? open + ' open' : '';
    badge.hidden = !open;
    var link = $('alerts-link');
    link.textContent = open + ' open alert' + (open === 1 ? '' : 's');
    link.hidden = !open;
    if (sig === S.alertsSig) return;
    S.alertsSig = sig;
    list = list.slice().sort(function (a, b) {
      var oa = a.acked_at ? 1 : 0, ob = b.acked_at ? 1 : 0;
      if (oa !== ob) return oa - ob;
      return num(b.id) - num(a.id);
    });
    if (!showAcked) list = list.filter(function (a) { return !a.acked_at; });
    var ul = $('alerts-list');
    /* keep focus on the list if an Acknowledge button had it */
    var hadFocus = ul.contains(document.activeElement);
    clear(ul);
    list.forEach(function (a) {
      var li = h('li', { 'class': 'alert' + (a.acked_at ? ' acked' : ''), 'data-kind': a.kind || '' });
      var head = h('div', { 'class': 'alert-head' });
      head.appendChild(h('span', { 'class': 'alert-kind' }, ALERT_TEXT[a.kind] || a.kind || 'Alert'));
      if (a.ticket) head.appendChild(h('span', { 'class': 'mono' }, a.ticket));
      var when = parseTime(a.created_at) || parseTime(a.at);
      head.appendChild(h('time', { 'class': 'muted small', datetime: a.created_at || a.at || '' }, clock(when)));
      li.appendChild(head);
      li.appendChild(h('p', { 'class': 'alert-text' }, alertLine(a)));
      var foot = h('div', { 'class': 'alert-foot' });
      [a.seat, a.other_seat].forEach(function (sid) {
        if (sid && S.seatEls.has(sid)) {
          var b = h('button', { type: 'button', 'class': 'linkish small' }, 'Show ' + sid);
          b.addEventListener('click', function () { selectSeat(sid, true); scrollToMap(); });
          foot.appendChild(b);
        }
      });
      if (a.acked_at) {
        foot.appendChild(h('span', { 'class': 'muted small' }, 'Acknowledged ' + clock(parseTime(a.acked_at))));
      } else {
        var ack = h('button', { type: 'button', 'class': 'btn small' }, 'Acknowledge');
        ack.setAttribute('aria-label', 'Acknowledge alert: ' + (ALERT_TEXT[a.kind] || a.kind) + (a.ticket ? ' ' + a.ticket : ''));
        ack.addEventListener('click', function () { ackAlert(a.id, ack); });
        foot.appendChild(ack);
      }
      li.appendChild(foot);
      ul.appendChild(li);
    });
    S.alertsShown = list.length;
    $('alerts-empty').hidden = list.length > 0 || S.printerAlerts > 0;
    $('alerts-empty').textContent = showAcked ? 'No alerts.' : 'No open alerts.';
    if (hadFocus) ul.focus();
  }

  function ackAlert(id, btn) {
    busy(btn, true);
    api('/v1/alerts/' + encodeURIComponent(id) + '/ack', { method: 'POST' }).then(function () {
      toast('Alert acknowledged.', 'ok');
      refreshAlerts(true);
    }, function (err) {
      busy(btn, false);
      reportError(err);
    });
  }

  function scrollToMap() {
    var card = document.querySelector('.map-card');
    if (card && card.scrollIntoView) card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  /* ---- devices -------------------------------------------------------------- */

  var refreshDevices = refresher(function () {
    var epoch = S.epoch;
    return api('/v1/devices').then(function (data) {
      if (epoch === S.epoch) renderDevices(data && Array.isArray(data.devices) ? data.devices : []);
    });
  }, 100, 1000);

  function renderDevices(list) {
    S.lastDevices = list;
    var sig = JSON.stringify(list);
    if (sig === S.devicesSig) return;
    S.devicesSig = sig;
    var body = $('devices-body');
    clear(body);
    S.relCells = [];
    list.forEach(function (d) {
      var tr = h('tr', d.disabled ? { 'class': 'disabled' } : null);
      var ms = parseTime(d.last_seen);
      var pending = num(d.pending);
      var tdName = h('td', { 'class': 'dev-name' });
      tdName.appendChild(h('div', { 'class': 'mono' }, d.id));
      tdName.appendChild(h('div', { 'class': 'muted small' }, ROLE_TEXT[d.role] || d.role || ''));
      tr.appendChild(tdName);
      /* A device that never synced (an organiser's token, a kiosk not set up
       * yet) is not "offline": nothing is wrong with it. */
      var status = d.disabled ? 'disabled' : d.online ? 'online' : ms ? 'offline' : 'never';
      var td = h('td', { 'class': 'dev-status' });
      var line = h('div');
      line.appendChild(h('span', { 'class': 'dot ' + status, 'aria-hidden': 'true' }));
      line.appendChild(document.createTextNode(DEVICE_STATUS_TEXT[status]));
      td.appendChild(line);
      if (ms) {
        var seen = h('div', { 'class': 'muted small', title: new Date(ms).toLocaleString() }, 'seen ' + ago(ms));
        S.relCells.push({ el: seen, ms: ms, prefix: 'seen ' });
        td.appendChild(seen);
      } else if (status === 'never') {
        td.appendChild(h('div', { 'class': 'muted small' }, d.role === 'admin' ? 'organiser token' : 'not set up yet'));
      }
      if (d.printer) td.appendChild(printerLine(d.printer));
      tr.appendChild(td);
      /* operations stuck on a device that went offline are what matters here */
      var tdP = h('td', { 'class': 'num' + (pending && status === 'offline' ? ' warn' : '') }, pending.toLocaleString());
      if (pending) tdP.title = pending + ' operation' + (pending === 1 ? '' : 's') + ' waiting to upload when it last synced';
      tr.appendChild(tdP);
      tr.appendChild(entranceCell(d));
      body.appendChild(tr);
    });
    $('devices-empty').hidden = list.length > 0;
    renderPrinterAlerts(list);
  }

  function cardsText(n) {
    return n + ' card' + (n === 1 ? '' : 's') + ' waiting';
  }

  /* "Printer offline · 3 cards waiting" under a device's status. */
  function printerLine(p) {
    var waiting = num(p.waiting);
    var text = 'Printer ' + (PRINTER_TEXT[p.state] || p.state || '?') + (waiting ? ' · ' + cardsText(waiting) : '');
    var div = h('div', { 'class': 'small printer-line' + (p.failing ? ' warn' : ''), 'data-printer': p.state || '' }, text);
    div.title = (p.name ? 'CUPS queue ' + p.name + '. ' : '') + (p.problem ? p.problem + '. ' : '') +
      num(p.printed) + ' printed since the kiosk started';
    return div;
  }

  /* Printers failing for a while (the coordinator says when: alert): shown
   * above the stored alerts until they print again; nothing to acknowledge. */
  function renderPrinterAlerts(list) {
    var ul = $('printer-alerts');
    clear(ul);
    list.forEach(function (d) {
      var p = d.printer;
      if (!p || !p.alert) return;
      var li = h('li', { 'class': 'alert', 'data-kind': 'printer' });
      var head = h('div', { 'class': 'alert-head' });
      head.appendChild(h('span', { 'class': 'alert-kind' }, 'Printer failing'));
      head.appendChild(h('span', { 'class': 'mono' }, d.id));
      li.appendChild(head);
      var since = parseTime(p.failing_since);
      var waiting = num(p.waiting);
      li.appendChild(h('p', { 'class': 'alert-text' }, 'The seat-card printer ' + (p.name || '') + ' at ' + d.id + ' has been ' +
        (PRINTER_TEXT[p.state] || p.state) + (since ? ' since ' + clock(since) : '') +
        (waiting ? ': ' + cardsText(waiting) : '') + (p.problem ? ' (' + p.problem + ')' : '') +
        '. Check the printer (paper, cable, power); the cards print when it is back.'));
      ul.appendChild(li);
    });
    ul.hidden = !ul.firstChild;
    S.printerAlerts = ul.childNodes.length;
    $('alerts-empty').hidden = S.alertsShown > 0 || S.printerAlerts > 0;
  }

  /* ---- tickets -------------------------------------------------------------- */

  var refreshTickets = refresher(function () {
    var epoch = S.epoch, q = S.search, inside = S.insideOnly;
    var args = [];
    if (q) args.push('q=' + encodeURIComponent(q));
    if (inside) args.push('inside=1');
    return api('/v1/tickets' + (args.length ? '?' + args.join('&') : '')).then(function (data) {
      if (epoch === S.epoch && q === S.search && inside === S.insideOnly) renderTickets(data || {}, q, inside);
    }).catch(function (err) {
      if (err.code !== 'stale') showMsg($('tickets-msg'), err.message, 'error');
    });
  }, 100, 500);

  function onSearchInput() {
    clearTimeout(S.searchTimer);
    S.searchTimer = setTimeout(function () {
      var q = $('search').value.trim();
      if (q === S.search) return;
      S.search = q;
      refreshTickets(true);
    }, 300);
  }

  function onSearchSubmit(ev) {
    ev.preventDefault();
    clearTimeout(S.searchTimer);
    S.search = $('search').value.trim();
    refreshTickets(true);
  }

  function renderTickets(data, q, inside) {
    var list = Array.isArray(data.tickets) ? data.tickets : [];
    var total = num(data.total);
    var body = $('tickets-body');
    var focusCode = document.activeElement && body.contains(document.activeElement)
      ? document.activeElement.getAttribute('data-code') : null;
    clear(body);
    list.forEach(function (t) {
      var tr = h('tr', t.revoked ? { 'class': 'revoked' } : null);
      tr.appendChild(h('td', { 'class': 'mono' }, t.code));
      var tdName = h('td', t.name ? null : { 'class': 'muted' }, t.name || '—');
      /* what the door shows staff: the attention flag (a word, not only a
       * colour) and the note */
      if (t.attention) tdName.appendChild(h('span', { 'class': 'pill', 'data-state': 'attention', title: 'Requires special attention at the door' }, 'Attention'));
      if (t.note) tdName.appendChild(h('div', { 'class': 'small ticket-note' }, 'Note: ' + t.note));
      tr.appendChild(tdName);
      tr.appendChild(h('td', null, t['class'] || ''));
      var tdSeat = h('td');
      if (t.seat && S.seatEls.has(t.seat)) {
        var b = h('button', { type: 'button', 'class': 'linkish mono', title: 'Show on the map' }, t.seat);
        b.addEventListener('click', function () { selectSeat(t.seat, true); scrollToMap(); });
        tdSeat.appendChild(b);
      } else {
        tdSeat.textContent = t.seat || '—';
        if (!t.seat) tdSeat.className = 'muted';
      }
      tr.appendChild(tdSeat);
      var inAt = parseTime(t.checked_in_at);
      var tdIn = h('td', inAt ? null : { 'class': 'muted' }, inAt ? clock(inAt) : '—');
      if (inAt && t.checkin_device) tdIn.appendChild(h('div', { 'class': 'muted small' }, 'at ' + t.checkin_device));
      tr.appendChild(tdIn);
      /* the door state, live: inside / left at 21:04 / not arrived */
      var ds = t.revoked ? { key: 'revoked', text: 'Revoked' } : doorState(t);
      var tdSt = h('td');
      tdSt.appendChild(h('span', { 'class': 'pill door-state', 'data-state': ds.key }, ds.text));
      if (ds.key === 'left' && t.checkout_device) tdSt.appendChild(h('div', { 'class': 'muted small' }, 'by ' + t.checkout_device));
      tr.appendChild(tdSt);
      var tdAct = h('td', { 'class': 'actions-cell' });
      if (!t.revoked) {
        var rb = h('button', { type: 'button', 'class': 'btn small danger', 'data-code': t.code }, 'Revoke');
        rb.setAttribute('aria-label', 'Revoke ticket ' + t.code);
        rb.addEventListener('click', function () { revokeTicket(t, rb); });
        tdAct.appendChild(rb);
      } else {
        var ub = h('button', { type: 'button', 'class': 'btn small', 'data-code': t.code }, 'Undo revoke');
        ub.setAttribute('aria-label', 'Undo the revoke of ticket ' + t.code);
        ub.addEventListener('click', function () { correctTicket(t, '/unrevoke', undefined, ub, 'Ticket ' + t.code + ' admits again.'); });
        tdAct.appendChild(ub);
      }
      var eb = h('button', { type: 'button', 'class': 'btn small', 'data-edit': t.code }, 'Edit');
      eb.setAttribute('aria-label', 'Edit the name, class, note and attention flag of ticket ' + t.code);
      eb.addEventListener('click', function () { editTicket(t, eb); });
      tdAct.appendChild(eb);
      tr.appendChild(tdAct);
      body.appendChild(tr);
    });
    var summary;
    if (!total && inside) summary = q ? 'Nobody inside matches "' + q + '".' : 'Nobody is inside now.';
    else if (!total) summary = q ? 'No ticket matches "' + q + '".'
      : 'No tickets yet. Import the guest list with usher-coord tickets import (a CSV of ticket_number,full_name[,class]).';
    else if (inside) summary = total.toLocaleString() + (total === 1 ? ' guest' : ' guests') + ' inside now' + (q ? ' matching "' + q + '"' : '') +
      (total > list.length ? '; showing the first ' + list.length + '.' : '.');
    else if (total > list.length) summary = 'Showing the first ' + list.length + ' of ' + total.toLocaleString() + (q ? ' matching tickets.' : ' tickets; search to narrow down.');
    else summary = total.toLocaleString() + (q ? ' matching ticket' : ' ticket') + (total === 1 ? '.' : 's.');
    $('tickets-summary').textContent = summary;
    $('tickets-wrap').hidden = !list.length;
    if (focusCode) {
      var again = body.querySelector('button[data-code="' + cssEscape(focusCode) + '"]');
      if (again) again.focus();
    }
  }

  function cssEscape(v) {
    return window.CSS && CSS.escape ? CSS.escape(v) : String(v).replace(/[^A-Za-z0-9_-]/g, '\\$&');
  }

  function revokeTicket(t, btn) {
    var who = t.code + (t.name ? ' (' + t.name + ')' : '');
    var msg = 'Revoke ticket ' + who + '?\n\nIt will be refused at every door and kiosk' +
      (t.seat ? ', and seat ' + t.seat + ' becomes free' : '') + '. This cannot be undone here.';
    if (!window.confirm(msg)) return;
    act(ticketPath(t.code) + '/revoke', undefined, btn, $('tickets-msg'), 'Ticket ' + t.code + ' revoked.');
  }

  /* Corrections (name, class, undoing a revoke): each a change every device
   * receives and an alert saying who, when, before and after. */
  function correctTicket(t, verb, body, btn, okText) {
    var where = $('tickets-msg');
    busy(btn, true);
    showMsg(where, 'Working\u2026', '');
    return api(ticketPath(t.code) + verb, { method: 'POST', json: body === undefined ? {} : body }).then(function (r) {
      showMsg(where, r.changed ? okText + ' (before: ' + r.trail.before + ')' : 'Nothing to change.', 'ok');
      refreshSeats(true);
      refreshStats(true);
      refreshTickets(true);
    }, function (err) { reportError(err, where); }).then(function () { busy(btn, false); });
  }

  function editTicket(t, btn) {
    var name = window.prompt('Name on ticket ' + t.code + ':', t.name || '');
    if (name === null) return;
    var klass = window.prompt('Class of ticket ' + t.code + ' (empty for none):', t['class'] || '');
    if (klass === null) return;
    var body = { name: name, 'class': klass };
    var note = window.prompt('Note for door staff on ticket ' + t.code + ' (at most 200 bytes, empty for none):', t.note || '');
    if (note === null) return;
    if (typeof note === 'string') body.note = note;
    var att = window.prompt('Requires special attention at the door? (yes or no)', t.attention ? 'yes' : 'no');
    if (att === null) return;
    if (typeof att === 'string' && att.trim() !== '') {
      var a = att.trim().toLowerCase();
      if (a !== 'yes' && a !== 'no') {
        showMsg($('tickets-msg'), 'Answer yes or no to "special attention"; nothing was changed.', 'error');
        return;
      }
      body.attention = a === 'yes';
    }
    correctTicket(t, '/edit', body, btn, 'Ticket ' + t.code + ' now reads ' + name.trim().replace(/\s+/g, ' ') + '.');
  }

  /* ---- wiring -------------------------------------------------------------- */

  function init() {
    readFragmentToken();
    $('token-form').addEventListener('submit', onTokenSubmit);
    $('sign-out').addEventListener('click', function (ev) { ev.preventDefault(); signOut(''); });
    $('entrance-form').addEventListener('submit', onEntranceSubmit);
    $('zoom-in').addEventListener('click', function () { zoomButton(0.7); });
    $('zoom-out').addEventListener('click', function () { zoomButton(1 / 0.7); });
    $('zoom-fit').addEventListener('click', fitView);
    $('goto-form').addEventListener('submit', onGoto);
    $('act-block').addEventListener('click', onBlock);
    $('act-unblock').addEventListener('click', onUnblock);
    $('act-unseat').addEventListener('click', onUnseat);
    $('act-move').addEventListener('click', onMoveStart);
    $('move-cancel').addEventListener('click', cancelMove);
    $('move-form').addEventListener('submit', onMoveSubmit);
    $('move-target').addEventListener('input', function () {
      var id = findSeatId($('move-target').value);
      var keep = $('move-target').value;
      setMoveTarget(id);
      $('move-target').value = keep;
    });
    $('search').addEventListener('input', onSearchInput);
    $('search-form').addEventListener('submit', onSearchSubmit);
    $('inside-only').addEventListener('change', function () {
      S.insideOnly = $('inside-only').checked;
      refreshTickets(true);
    });
    wireImport();
    $('alerts-link').addEventListener('click', function (ev) {
      ev.preventDefault();
      var card = document.querySelector('.alerts-card');
      if (card.scrollIntoView) card.scrollIntoView({ block: 'start', behavior: 'smooth' });
      $('alerts-list').focus({ preventScroll: true });
    });
    $('alerts-show-acked').addEventListener('change', function () { S.alertsSig = ''; refreshAlerts(true); });
    document.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && S.moving) cancelMove();
    });
    if (window.ResizeObserver) new ResizeObserver(onResize).observe($('map-wrap'));
    else window.addEventListener('resize', onResize);
    window.addEventListener('hashchange', function () {
      if (/token=/.test(location.hash)) { readFragmentToken(); start(); }
    });
    start();
  }

  /* Ticket files while the event runs (late sales, a newer export): the
   * file's bytes go to the coordinator as they are, read exactly as by
   * `usher-coord tickets import` (encoding, separator, format, mapping).
   * First a dry run shows what would change; nothing is written until Import. */
  var pendingImport = null; /* {name, bytes} */

  function importPath(dry) {
    var q = [];
    if (dry) q.push('dry_run=1');
    var map = $('import-map').value.trim();
    if (map) q.push('map=' + encodeURIComponent(map));
    if ($('import-revoke-missing').checked) q.push('missing=revoke');
    return '/v1/tickets/import' + (q.length ? '?' + q.join('&') : '');
  }

  function postImport(dry) {
    return api(importPath(dry), { method: 'POST', text: pendingImport.bytes, type: 'application/octet-stream' });
  }

  function mapText(cols) { return cols && cols.length ? cols.map(function (c) { return '"' + c + '"'; }).join(' + ') : '-'; }

  function importSummary(b) {
    var lines = ['format: ' + b.format,
      'encoding: ' + b.encoding + (b.converted ? ' (converted to UTF-8)' : '') + '; separator: ' + b.separator];
    ['code', 'name', 'class', 'status', 'seat', 'note'].forEach(function (f) {
      lines.push('  ' + f + ' \u2190 ' + mapText(b.mapping[f]));
    });
    lines.push(b.rows + ' tickets in the file, ' + b.void_rows + ' void or cancelled rows skipped');
    (b.warnings || []).forEach(function (w) { lines.push('warning: ' + w.message); });
    lines.push('first rows:');
    (b.first_rows || []).forEach(function (r) {
      lines.push('  ' + r.code + '  ' + r.name + (r['class'] ? ' / ' + r['class'] : '') + (r.seat ? ', seat ' + r.seat : ''));
    });
    (b.updates || []).forEach(function (u) { lines.push('update ' + u.code + ': ' + u.before.name + ' \u2192 ' + u.after.name); });
    (b.revokes || []).forEach(function (r) { lines.push('revoke ' + r.code + ' (' + r.name + '): ' + (r.why === 'void' ? 'void in the file' : 'no longer in the file')); });
    (b.seats || []).forEach(function (x) {
      lines.push(x.before ? 'move ' + x.code + ' (' + x.name + '): seat ' + x.before + ' \u2192 ' + x.seat
        : 'seat ' + x.code + ' (' + x.name + '): ' + x.seat);
    });
    lines.push(b['new'] + ' new, ' + b.updated + ' updated, ' + b.revoked + ' revoked, ' + b.unchanged + ' unchanged' +
      (b.seated ? ', ' + b.seated + ' seated' + (b.moved ? ' (' + b.moved + ' moved)' : '') : '') +
      (b.seats_kept ? '; ' + b.seats_kept + ' moved or unseated since the last import stay where they are' : '') +
      (b.missing_kept ? '; ' + b.missing_kept + ' not in the file kept' : ''));
    if (b.codes === 'weak') lines.push(b.weak + ' weak codes (' + (b.example || '') + '): guests need the QR code or their last name');
    return lines.join('\n');
  }

  function importFailed(err) {
    if (!err || err.code === 'stale') return;
    var text = (pendingImport ? pendingImport.name + ': ' : '') + err.message;
    var problems = err.body && err.body.problems;
    if (problems && problems.length > 1) {
      text += ' More: ' + problems.slice(1, 5).map(function (p) { return p.message; }).join('; ') +
        (err.body.total > 5 ? '; \u2026' : '');
    }
    showMsg($('tickets-msg'), text, 'error');
  }

  function previewImport() {
    var msg = $('tickets-msg');
    showMsg(msg, 'Reading ' + pendingImport.name + '\u2026', '');
    return postImport(true).then(function (b) {
      $('import-title').textContent = 'Preview of ' + pendingImport.name + ': nothing is imported until you press Import';
      $('import-summary').textContent = importSummary(b);
      $('import-preview').hidden = false;
      msg.hidden = true;
    }, function (err) { $('import-preview').hidden = true; importFailed(err); });
  }

  function onImportFile() {
    var input = $('import-file'), file = input.files && input.files[0];
    var msg = $('tickets-msg');
    if (!file) return;
    input.value = '';
    if (file.size > 4 * 1024 * 1024) {
      showMsg(msg, file.name + ' is over 4 MiB: split it into several files.', 'error');
      return;
    }
    file.arrayBuffer().then(function (buf) {
      pendingImport = { name: file.name, bytes: new Uint8Array(buf) };
      $('import-map').value = '';
      $('import-revoke-missing').checked = false;
      return previewImport();
    });
  }

  function confirmImport(ev) {
    if (ev) ev.preventDefault();
    if (!pendingImport) return;
    var name = pendingImport.name;
    postImport(false).then(function (b) {
      $('import-preview').hidden = true;
      pendingImport = null;
      showMsg($('tickets-msg'), 'Imported ' + name + ': ' + b['new'] + ' new, ' + b.updated + ' updated, ' +
        b.revoked + ' revoked, ' + b.unchanged + ' unchanged' + (b.seated ? ', ' + b.seated + ' seated' : '') +
        '. Every kiosk and door receives them now.', 'ok');
      refreshStats(true);
      refreshTickets(true);
    }, importFailed);
  }

  function wireImport() {
    $('import-file').addEventListener('change', onImportFile);
    $('import-form').addEventListener('submit', confirmImport);
    $('import-remap').addEventListener('click', function () { if (pendingImport) previewImport(); });
    $('import-revoke-missing').addEventListener('change', function () { if (pendingImport) previewImport(); });
    $('import-cancel').addEventListener('click', function () {
      pendingImport = null;
      $('import-preview').hidden = true;
      showMsg($('tickets-msg'), 'Nothing imported.', '');
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
