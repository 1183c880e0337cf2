/* Usher — the venue designer's page: draws the design of designer-model.js
 * as SVG, turns mouse, finger and key input into changes of it (each one
 * undoable), and talks to the coordinator: GET /v1/layout and /v1/seats on
 * opening, PUT /v1/layout to save, then the seat block API for the seats
 * marked blocked (README.md in this folder).
 *
 * Text from files and from the coordinator goes into the page with
 * textContent or setAttribute, never parsed as HTML.
 */
(function () {
  'use strict';

  var M = window.UsherLayout;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var TOKEN_KEY = 'usher.admin_token'; /* the dashboard's key: one sign-in serves both pages */
  var SEAT_R = 22;
  var STEP = 10, STEP_BIG = 50, TURN = 15;
  var KNOWN = { VIP: 'VIP', Wheelchair: 'Wheelchair', Companion: 'Companion' };
  var DETAIL_MAX = 3000; /* seat numbers and hover titles only for venues up to this size */

  function $(id) { return document.getElementById(id); }

  var S = {
    token: null,
    design: M.newDesign(''),
    history: new M.History(300),
    sel: null,               /* {uid} an item, or {uid, keys: [seat keys]} seats of one item */
    view: null,              /* {x, y, w, h} of the SVG's viewBox */
    states: new Map(),       /* seat id -> state on the coordinator when loaded */
    savedText: null,         /* the layout JSON last loaded or saved, to tell changes */
    savedBySave: false,      /* savedText came from a Save (not from loading) */
    drawn: new Map(),        /* item uid -> {sig, el}: what render() drew */
    statesVersion: 0,        /* bumped when `states` is replaced (items redrawn) */
    es: null,                /* the event stream: seats taken meanwhile get their ring */
    statesTimer: null,
    lastCheck: null
  };

  /* ---- small helpers ------------------------------------------------------------ */

  function h(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  function s(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  function showMsg(el, text, kind) {
    el.textContent = text || '';
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
    toastTimer = setTimeout(function () { t.hidden = true; }, kind === 'error' ? 8000 : 3500);
  }

  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  /* ---- the coordinator ---------------------------------------------------------- */

  /* fetch + JSON: resolves {status, body} for every answer; rejects only
   * when the coordinator cannot be reached. */
  function call(method, path, json) {
    var headers = { Authorization: 'Bearer ' + S.token, Accept: 'application/json' };
    var init = { method: method, headers: headers, cache: 'no-store' };
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = typeof json === 'string' ? json : JSON.stringify(json);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        if (text) { try { body = JSON.parse(text); } catch (e) { body = null; } }
        if (res.status === 503 && body && body.error === 'standby') standbyNotice(body.active);
        return { status: res.status, body: body };
      });
    }, function (err) {
      var e = new Error('Cannot reach the coordinator (' + (err && err.message || 'network error') + ').');
      e.network = true;
      throw e;
    });
  }

  /* This coordinator is a standby (another serve of the event is active):
   * say where the active one is, with a link to its designer. No move by
   * itself, unlike the dashboard: the edits on this page would be lost;
   * export them first. */
  function standbyNotice(active) {
    var b = $('standby-banner');
    if (!b || !b.hidden) return;
    clear(b);
    b.appendChild(document.createTextNode('This coordinator is a standby: it cannot load or save the layout. '));
    if (typeof active === 'string' && /^https?:\/\/[A-Za-z0-9.\-\[\]:]+$/.test(active)) {
      b.appendChild(document.createTextNode('The active coordinator is at '));
      b.appendChild(h('a', { href: active + '/designer.html#token=' + encodeURIComponent(S.token || '') }, active));
      b.appendChild(document.createTextNode(' (export your edits first: they stay on this page).'));
    }
    b.hidden = false;
  }

  /* The error code and message of an answer: {"error": {"code", "message"}}
   * or {"error": "code", "message": "..."}. */
  function errorOf(r) {
    var b = r.body || {}, e = b.error;
    if (e && typeof e === 'object') return { code: String(e.code || ''), message: String(e.message || '') };
    return { code: typeof e === 'string' ? e : '', message: typeof b.message === 'string' ? b.message : '' };
  }

  function authProblem(r) {
    if (r.status === 401) return 'The coordinator does not accept this token. Check that it was pasted whole, or create a new one.';
    if (r.status === 403) return 'This token belongs to a kiosk or a door, not to an organiser. The designer needs an admin token.';
    return '';
  }

  /* ---- sign in ------------------------------------------------------------------- */

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
    $('login').hidden = false;
    $('sign-out').hidden = true;
    var err = $('login-error');
    clear(err);
    if (message) {
      err.appendChild(document.createTextNode(message));
      if (detail) err.appendChild(h('span', { 'class': 'detail' }, detail));
    }
    err.hidden = !message;
    $('token').value = '';
    $('token').focus();
  }

  function showDesigner() {
    $('login').hidden = true;
    $('main').hidden = false;
    $('sign-out').hidden = !S.token;
    $('save').disabled = false;
    $('reload').hidden = !S.token;
    fitView();
    render();
  }

  function start() {
    S.token = sessionStorage.getItem(TOKEN_KEY);
    if (!S.token) { showLogin(''); return; }
    /* signed in after designing without a token: the design stays */
    loadFromEvent(true, S.design.items.length > 0 && S.savedText === null);
  }

  /* GET /v1/layout and /v1/seats: the event's layout becomes the design
   * (unless keep), its blocked seats marked blocked, its seats holding
   * tickets shown. */
  function loadFromEvent(first, keep) {
    $('event-name').textContent = 'Loading the event\u2019s layout…';
    return Promise.all([call('GET', '/v1/layout'), call('GET', '/v1/seats'), call('GET', '/v1/pubkey')]).then(function (r) {
      var lay = r[0], seats = r[1];
      var auth = authProblem(lay);
      if (auth) {
        sessionStorage.removeItem(TOKEN_KEY);
        stopWatching();
        S.token = null;
        showLogin(auth, 'Coordinator: ' + (errorOf(lay).message || 'HTTP ' + lay.status));
        return;
      }
      if (lay.status !== 200 || !lay.body) throw new Error('The coordinator answered HTTP ' + lay.status + ' for the layout. ' + errorOf(lay).message);
      var design;
      try { design = M.fromLayout(lay.body); } catch (e) {
        throw new Error('The event\u2019s layout cannot be edited here: ' + e.message);
      }
      S.states = new Map();
      S.statesVersion++;
      var blocked = new Set();
      if (seats.status === 200 && seats.body && Array.isArray(seats.body.seats)) {
        seats.body.seats.forEach(function (x) {
          S.states.set(x.id, x.state);
          if (x.state === 'blocked') blocked.add(x.id);
        });
      }
      markSeats(design, function (seat) { return blocked.has(seat.id) ? { blocked: true } : null; });
      var ev = r[2].status === 200 && r[2].body ? r[2].body.name : '';
      $('event-name').textContent = (ev ? ev + ' · ' : '') + 'the event\u2019s layout';
      if (!keep) setDesign(design, true);
      S.savedText = JSON.stringify(M.toLayout(design));
      S.savedBySave = false;
      updateDirty();
      showDesigner();
      watchSeats();
      if (!first) toast('Loaded the event\u2019s layout.', 'ok');
    }).catch(function (e) {
      $('event-name').textContent = 'Usher';
      if (first) {
        showDesigner();
        showMsg($('save-msg'), e.message + ' You can still design and export.', 'error');
      } else toast(e.message, 'error');
    });
  }

  function holdsTicket(st) { return !!st && st !== 'free' && st !== 'blocked'; }

  /* Follows GET /v1/events: after a change (at most once a second) the
   * seats are read again and the rings of seats that hold a ticket follow,
   * so the organiser sees what a save would be refused for. */
  function watchSeats() {
    if (!S.token || S.es || typeof EventSource === 'undefined') return;
    var es = new EventSource('/v1/events?access_token=' + encodeURIComponent(S.token));
    S.es = es;
    function later() {
      if (es !== S.es || S.statesTimer) return;
      S.statesTimer = setTimeout(function () { S.statesTimer = null; if (es === S.es) refreshStates(); }, 1000);
    }
    es.addEventListener('change', later);
    es.addEventListener('reset', later);
    es.addEventListener('open', later); /* a reconnection may have missed changes */
  }

  function stopWatching() {
    if (S.es) S.es.close();
    S.es = null;
    clearTimeout(S.statesTimer);
    S.statesTimer = null;
  }

  function refreshStates() {
    return call('GET', '/v1/seats').then(function (r) {
      if (r.status !== 200 || !r.body || !Array.isArray(r.body.seats) || !S.es) return;
      var now = new Map();
      r.body.seats.forEach(function (x) { now.set(x.id, x.state); });
      var changed = [];
      now.forEach(function (st, id) { if (holdsTicket(st) !== holdsTicket(S.states.get(id))) changed.push(id); });
      S.states.forEach(function (st, id) { if (!now.has(id) && holdsTicket(st)) changed.push(id); });
      S.states = now;
      /* patch the drawn seats in place: no redraw of a big venue */
      changed.forEach(function (id) {
        var e = document.getElementById('dseat-' + id);
        if (!e) return;
        if (holdsTicket(now.get(id))) e.setAttribute('data-taken', '1'); else e.removeAttribute('data-taken');
      });
      if (changed.length) {
        $('legend-taken').hidden = !Array.from(now.values()).some(holdsTicket);
        renderSide();
      }
    }, function () { /* offline: the stream reconnects and asks again */ });
  }

  /* Sets marks on the seats for which fn(seat) gives one (merged). */
  function markSeats(design, fn) {
    design.items.forEach(function (it) {
      M.itemSections(it).forEach(function (sec) {
        sec.seats.forEach(function (seat) {
          var m = fn(seat);
          if (!m) return;
          var cur = it.marks[seat.key] || {};
          for (var k in m) cur[k] = m[k];
          it.marks[seat.key] = cur;
        });
      });
    });
  }

  /* ---- changes, undo, redo ------------------------------------------------------- */

  function setDesign(design, resetHistory) {
    S.design = design;
    if (resetHistory) S.history.reset(design);
    if (S.sel && !M.findItem(design, S.sel.uid)) S.sel = null;
    $('venue-name').value = design.name || '';
  }

  /* Records the design as it is now (one undo step) and redraws. */
  function commit() {
    S.history.push(S.design);
    render();
  }

  function undo() {
    var d = S.history.undo();
    if (!d) return;
    setDesign(d);
    render();
  }

  function redo() {
    var d = S.history.redo();
    if (!d) return;
    setDesign(d);
    render();
  }

  function selectedItem() { return S.sel ? M.findItem(S.design, S.sel.uid) : null; }

  function select(sel) {
    S.sel = sel;
    render();
  }

  /* A free place near the middle of the view for a new item of about `size` units. */
  function freeSpot(size) {
    var v = S.view || { x: 0, y: 0, w: 2000, h: 1200 };
    var x = Math.round(v.x + v.w / 2), y = Math.round(v.y + v.h / 2);
    var boxes = S.design.items.map(itemBox);
    for (var tries = 0; tries < 60; tries++) {
      var hit = boxes.some(function (b) {
        return x + size / 2 > b.x0 - 20 && x - size / 2 < b.x1 + 20 && y + size / 2 > b.y0 - 20 && y - size / 2 < b.y1 + 20;
      });
      if (!hit) break;
      x += Math.round(size * 0.6);
      if (tries % 6 === 5) { x = Math.round(v.x + v.w / 2); y += Math.round(size * 0.6); }
    }
    return [x, y];
  }

  function readInt(id, min, max, what) {
    var v = $(id).value.trim();
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      toast(what + ': type a whole number from ' + min + ' to ' + max + '.', 'error');
      $(id).focus();
      return null;
    }
    return Number(v);
  }

  function addTable() {
    var n = readInt('table-seats', 1, M.MAX_SECTION_SEATS, 'Seats at the table');
    if (n === null) return;
    var r = M.defaultRadius(n) + 30;
    var p = freeSpot(2 * r);
    var it = M.addTable(S.design, p[0], p[1], n);
    S.sel = { uid: it.uid };
    commit();
    ensureVisible(it);
  }

  function addRows() {
    var rows = readInt('rows-count', 1, 200, 'Rows'), per = readInt('rows-seats', 1, M.MAX_SECTION_SEATS, 'Seats per row');
    if (rows === null || per === null) return;
    var p = freeSpot(Math.max(per * 55, rows * 90));
    var it = M.addRows(S.design, p[0], p[1], rows, per);
    S.sel = { uid: it.uid };
    commit();
    ensureVisible(it);
  }

  function turn(deg) {
    var it = selectedItem();
    if (!it) return;
    it.angle = M.normAngle(it.angle + deg);
    commit();
  }

  function removeSelected() {
    var it = selectedItem();
    if (!it) return;
    S.design.items = S.design.items.filter(function (x) { return x !== it; });
    S.sel = null;
    commit();
  }

  function duplicate() {
    var it = selectedItem();
    if (!it) return;
    if (it.type === 'fixed') {
      /* its seats have ids of their own, which a copy would repeat */
      toast('A section whose seats are listed one by one cannot be copied here: copy it in the file, with new seat ids.', 'error');
      return;
    }
    var copy = M.clone(it);
    copy.uid = S.design.next++;
    var b = itemBox(it);
    copy.x = Math.round(it.x + (b.x1 - b.x0) + 40);
    if (copy.type === 'table') { copy.id = M.freeTableId(S.design); copy.label = M.tableLabel(copy.id); }
    else if (copy.type === 'rows') copy.first = M.freeRowId(S.design, copy.rows);
    S.design.items.push(copy);
    S.sel = { uid: copy.uid };
    commit();
    ensureVisible(copy);
  }

  function renumber() {
    var n = M.renumberTables(S.design);
    if (!n) { toast('There are no tables to number.'); return; }
    commit();
    toast('Tables numbered T01 to T' + (n < 10 ? '0' : '') + n + ', front to back, left to right.', 'ok');
  }

  /* ---- the item form ------------------------------------------------------------- */

  function tokensOf(it) {
    if (it.type !== 'fixed') return [it.type];
    return it.sections.length === 1 ? ['fixed', 'fixed1'] : ['fixed'];
  }

  function fillForm(it) {
    var form = $('item-form'), toks = tokensOf(it);
    Array.prototype.forEach.call(form.querySelectorAll('.field'), function (f) {
      var want = f.getAttribute('data-for').split(' ');
      f.hidden = !want.some(function (w) { return toks.indexOf(w) >= 0; });
    });
    $('fixed-note').hidden = it.type !== 'fixed';
    $('item-title').textContent = M.itemTitle(it) + ' · ' + plural(M.itemSeatCount(it), 'seat', 'seats');
    var v = {
      'f-label': it.type === 'table' ? it.label : it.type === 'fixed' ? it.sections[0].label : '',
      'f-name': it.name || '', 'f-id': it.id || '', 'f-first': it.first || '',
      'f-seats': it.seats, 'f-rows': it.rows, 'f-perrow': it.perRow,
      'f-radius': it.type === 'table' && it.radius ? it.radius : '',
      'f-spacing': it.spacing, 'f-gap': it.gap, 'f-curve': it.curve,
      'f-aisles': (it.aisles || []).join(', '), 'f-aislew': it.aisleWidth,
      'f-fromright': it.fromRight ? 'right' : 'left', 'f-angle': it.angle, 'f-start': it.start == null ? 1 : it.start,
      'f-class': it.type === 'fixed' ? it.sections[0].cls : it.cls
    };
    if (it.type === 'table') $('f-radius').placeholder = 'auto: ' + M.defaultRadius(it.seats);
    for (var id in v) {
      var el = $(id);
      if (document.activeElement !== el || el.getAttribute('data-stale') === '1') el.value = v[id] == null ? '' : v[id];
      el.removeAttribute('data-stale');
    }
  }

  /* Reads one field into the selected item; a bad value says why and
   * changes nothing. Returns true when the item changed. */
  function applyField(id) {
    var it = selectedItem(), el = $(id);
    if (!it) return false;
    var raw = el.value, t = raw.trim(), msg = '';
    function int(min, max, what) {
      if (!/^-?\d+$/.test(t) || Number(t) < min || Number(t) > max) { msg = what + ': a whole number from ' + min + ' to ' + max + '.'; return null; }
      return Number(t);
    }
    function text(max, what, allowEmpty) {
      if (!t && !allowEmpty) { msg = what + ' must not be empty.'; return null; }
      if (M.bytes(t) > max) { msg = what + ' is too long: at most ' + max + ' bytes.'; return null; }
      if (!M.printable(t)) { msg = what + ' contains control characters.'; return null; }
      return t;
    }
    function ident(what) {
      if (!t || t.length > M.ID_MAX || !M.ID_RE.test(t)) { msg = what + ': 1 to ' + M.ID_MAX + ' characters from A-Z a-z 0-9 _ . - (no spaces).'; return null; }
      return t;
    }
    var v;
    switch (id) {
      case 'f-label':
        if ((v = text(M.LABEL_MAX, 'The name')) === null) break;
        if (it.type === 'fixed') it.sections[0].label = v; else it.label = v;
        break;
      case 'f-name':
        if ((v = text(M.LABEL_MAX - 12, 'The section name', true)) === null) break;
        it.name = v;
        break;
      case 'f-id':
        if ((v = ident('The table id')) === null) break;
        var wasDefault = it.label === M.tableLabel(it.id);
        it.id = v;
        if (wasDefault) it.label = M.tableLabel(v);
        break;
      case 'f-first':
        if ((v = ident('The first row')) === null) break;
        it.first = v;
        break;
      case 'f-seats': if ((v = int(1, M.MAX_SECTION_SEATS, 'Seats')) !== null) it.seats = v; break;
      case 'f-rows': if ((v = int(1, 200, 'Rows')) !== null) it.rows = v; break;
      case 'f-perrow':
        if ((v = int(1, M.MAX_SECTION_SEATS, 'Seats per row')) === null) break;
        it.perRow = v;
        it.aisles = it.aisles.filter(function (a) { return a < v; });
        break;
      case 'f-radius':
        if (!t) { it.radius = null; break; }
        if ((v = int(1, 100000, 'Radius')) === null) break;
        if (v < M.minRadius(it.seats)) { msg = 'Radius: at least ' + Math.ceil(M.minRadius(it.seats)) + ' for ' + it.seats + ' seats, or they overlap.'; break; }
        it.radius = v;
        break;
      case 'f-spacing': if ((v = int(M.SEAT_SIZE, 10000, 'Seat spacing')) !== null) it.spacing = v; break;
      case 'f-gap': if ((v = int(M.SEAT_SIZE, 10000, 'Row spacing')) !== null) it.gap = v; break;
      case 'f-curve': if ((v = int(-100000, 100000, 'Curve')) !== null) it.curve = v; break;
      case 'f-aislew': if ((v = int(1, 10000, 'Aisle width')) !== null) it.aisleWidth = v; break;
      case 'f-aisles':
        var parts = t ? t.split(/[\s,;]+/).filter(Boolean) : [], out = [];
        for (var i = 0; i < parts.length; i++) {
          var n = Number(parts[i]);
          if (!/^\d+$/.test(parts[i]) || n < 1 || n >= it.perRow) {
            msg = 'Aisles after seats: seat numbers from 1 to ' + (it.perRow - 1) + ', separated by commas ("' + parts[i] + '" is not one).';
            break;
          }
          if (out.indexOf(n) < 0) out.push(n);
        }
        if (!msg) it.aisles = out.sort(function (a, b) { return a - b; });
        break;
      case 'f-fromright': it.fromRight = raw === 'right'; break;
      case 'f-start': if ((v = int(0, 99999, 'First seat number')) !== null) it.start = v; break;
      case 'f-angle': if ((v = int(-360, 360, 'Turn')) !== null) it.angle = M.normAngle(v); break;
      case 'f-class':
        if ((v = text(M.CLASS_MAX, 'The class', true)) === null) break;
        if (it.type === 'fixed') it.sections[0].cls = v; else it.cls = v;
        break;
      default: return false;
    }
    showMsg($('item-msg'), msg, 'error');
    if (msg) return false;
    el.setAttribute('data-stale', '1');
    commit();
    return true;
  }

  /* ---- seats ------------------------------------------------------------------------- */

  function seatList(it) {
    var out = [];
    M.itemSections(it).forEach(function (sec) { sec.seats.forEach(function (x) { out.push(x); }); });
    return out;
  }

  function selectedSeats() {
    var it = selectedItem();
    if (!it || !S.sel.keys) return [];
    var keys = new Set(S.sel.keys);
    return seatList(it).filter(function (x) { return keys.has(x.key); });
  }

  function setMark(field, value) {
    var it = selectedItem(), seats = selectedSeats();
    if (!seats.length) return;
    seats.forEach(function (seat) {
      var m = it.marks[seat.key] || {};
      if (field === 'cls') {
        var base = it.type === 'fixed' ? null : it.cls;
        if (base !== null && value === base) delete m.cls; else m.cls = value;
      } else if (value) m.blocked = true;
      else delete m.blocked;
      if (m.cls == null && !m.blocked) delete it.marks[seat.key]; else it.marks[seat.key] = m;
    });
    commit();
  }

  function setSeatClass(value) {
    var t = value.trim();
    if (M.bytes(t) > M.CLASS_MAX) { showMsg($('seat-msg'), 'A class has at most ' + M.CLASS_MAX + ' bytes (what a kiosk\u2019s legend fits).', 'error'); return; }
    if (!M.printable(t)) { showMsg($('seat-msg'), 'A class cannot contain control characters.', 'error'); return; }
    showMsg($('seat-msg'), '');
    setMark('cls', t);
  }

  function findSeat(id) {
    var want = id.trim().toLowerCase();
    for (var i = 0; i < S.design.items.length; i++) {
      var it = S.design.items[i], list = seatList(it);
      for (var j = 0; j < list.length; j++) if (list[j].id.toLowerCase() === want) return { it: it, seat: list[j] };
    }
    return null;
  }

  function fillSeatPanel(it) {
    var seats = selectedSeats();
    var title = seats.length === 1 ? 'Seat ' + seats[0].id + ' (' + (seats[0].cls || 'no class') + (seats[0].blocked ? ', blocked' : '') + ')'
      : plural(seats.length, 'seat', 'seats') + ': ' + seats.slice(0, 6).map(function (x) { return x.id; }).join(', ') + (seats.length > 6 ? ', …' : '');
    var st = seats.length === 1 ? S.states.get(seats[0].id) : null;
    if (st && st !== 'free' && st !== 'blocked') title += ' · holds a ticket now';
    $('seat-title').textContent = title + ' · ' + M.itemTitle(it);
    $('seat-bar-title').textContent = title;
    var allBlocked = seats.length && seats.every(function (x) { return x.blocked; });
    var b = $('seat-block');
    b.textContent = allBlocked ? 'Unblock seat' + (seats.length > 1 ? 's' : '') : 'Block seat' + (seats.length > 1 ? 's' : '');
    b.setAttribute('aria-pressed', allBlocked ? 'true' : 'false');
    $('bar-block').textContent = allBlocked ? 'Unblock' : 'Block';
    $('bar-block').setAttribute('aria-pressed', allBlocked ? 'true' : 'false');
    Array.prototype.forEach.call(document.querySelectorAll('.mark'), function (m) {
      var on = seats.length && seats.every(function (x) { return x.cls === m.getAttribute('data-cls'); });
      m.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  /* ---- drawing ------------------------------------------------------------------------ */

  function markOf(seat) {
    if (seat.blocked) return 'blocked';
    if (!seat.cls) return 'none';
    return KNOWN[seat.cls] ? seat.cls : 'other';
  }

  /* The bounds of an item's seats, with a seat's margin. */
  function itemBox(it) {
    var b = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    seatList(it).forEach(function (p) {
      b.x0 = Math.min(b.x0, p.x - 30); b.y0 = Math.min(b.y0, p.y - 30);
      b.x1 = Math.max(b.x1, p.x + 30); b.y1 = Math.max(b.y1, p.y + 30);
    });
    if (b.x0 === Infinity) b = { x0: it.x - 50, y0: it.y - 50, x1: it.x + 50, y1: it.y + 50 };
    return b;
  }

  function drawItem(it, selKeys, detail) {
    var g = s('g', { 'class': 'item item-' + it.type, 'data-uid': it.uid, tabindex: '0', role: 'button',
      'aria-label': M.itemTitle(it) + ', ' + plural(M.itemSeatCount(it), 'seat', 'seats') });
    if (S.sel && S.sel.uid === it.uid && !S.sel.keys) g.classList.add('selected');
    var secs = M.itemSections(it);
    /* the body: what a drag grabs between the seats */
    if (it.type === 'table') {
      var sec = secs[0], r = Math.max(18, sec.radius - SEAT_R - 8);
      g.appendChild(s('circle', { 'class': 'body', cx: it.x, cy: it.y, r: r }));
      g.appendChild(s('text', { 'class': 'item-label', x: it.x, y: it.y - 4 }, it.id));
      if (r > 40) g.appendChild(s('text', { 'class': 'item-sub', x: it.x, y: it.y + 16 }, String(it.seats)));
    } else {
      /* a rectangle round the seats in the item's own frame, turned with it */
      var lb = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity }, a = -it.angle * Math.PI / 180;
      var c = Math.cos(a), sn = Math.sin(a);
      secs.forEach(function (sc) {
        sc.seats.forEach(function (p) {
          var dx = p.x - it.x, dy = p.y - it.y, lx = dx * c - dy * sn, ly = dx * sn + dy * c;
          lb.x0 = Math.min(lb.x0, lx); lb.x1 = Math.max(lb.x1, lx); lb.y0 = Math.min(lb.y0, ly); lb.y1 = Math.max(lb.y1, ly);
        });
      });
      var pad = SEAT_R + 10, left = it.type === 'rows' ? 46 : 0;
      g.appendChild(s('rect', { 'class': 'body', x: it.x + lb.x0 - pad - left, y: it.y + lb.y0 - pad,
        width: lb.x1 - lb.x0 + 2 * pad + left, height: lb.y1 - lb.y0 + 2 * pad, rx: 14,
        transform: 'rotate(' + it.angle + ' ' + it.x + ' ' + it.y + ')' }));
      if (it.type === 'rows') {
        var ca = Math.cos(-a), sa = Math.sin(-a);
        secs.forEach(function (sc) {
          /* the row's id left of its leftmost seat, in the block's frame */
          var first = sc.seats[it.fromRight ? sc.seats.length - 1 : 0];
          var dx = first.x - it.x, dy = first.y - it.y;
          var lx = dx * c - dy * sn - 40, ly = dx * sn + dy * c;
          g.appendChild(s('text', { 'class': 'row-label', x: it.x + lx * ca - ly * sa, y: it.y + lx * sa + ly * ca + 5 }, sc.id));
        });
        if (it.name) {
          /* the section's name above the block, turned with it */
          var ty = lb.y0 - pad - 8, nx = it.x - ty * sa, ny = it.y + ty * ca;
          g.appendChild(s('text', { 'class': 'item-label', x: nx, y: ny, transform: 'rotate(' + it.angle + ' ' + nx + ' ' + ny + ')' }, it.name));
        }
      }
    }
    secs.forEach(function (sc) {
      sc.seats.forEach(function (p) {
        var st = S.states.get(p.id);
        var e = s('g', { 'class': 'seat', id: 'dseat-' + p.id, 'data-key': p.key, 'data-mark': markOf(p),
          'data-cls': p.cls, 'data-taken': holdsTicket(st) ? '1' : null });
        if (selKeys && selKeys.has(p.key)) e.classList.add('selected');
        if (sc.kind === 'row') e.appendChild(s('rect', { x: p.x - SEAT_R, y: p.y - SEAT_R, width: 2 * SEAT_R, height: 2 * SEAT_R, rx: 8,
          transform: 'rotate(' + it.angle + ' ' + p.x + ' ' + p.y + ')' }));
        else e.appendChild(s('circle', { cx: p.x, cy: p.y, r: SEAT_R }));
        if (p.blocked) e.appendChild(s('path', { 'class': 'cross', d: 'M' + (p.x - 11) + ' ' + (p.y - 11) + 'l22 22m0 -22l-22 22' }));
        else if (detail) e.appendChild(s('text', { x: p.x, y: p.y + 6 }, p.label.length > 3 ? p.label.slice(0, 3) : p.label));
        if (detail) e.appendChild(s('title', null, p.id + (p.cls ? ' · ' + p.cls : '') + (p.blocked ? ' · blocked' : '') + (e.getAttribute('data-taken') ? ' · holds a ticket' : '')));
        g.appendChild(e);
      });
    });
    if (S.sel && S.sel.uid === it.uid && !S.sel.keys) drawTurnHandle(g, it, secs);
    return g;
  }

  /* The handle above a selected item: dragged round its centre, it turns
   * the item (in steps of 5 degrees). */
  function drawTurnHandle(g, it, secs) {
    var a = -it.angle * Math.PI / 180, c = Math.cos(a), sn = Math.sin(a), top = 0;
    secs.forEach(function (sc) {
      sc.seats.forEach(function (p) { top = Math.min(top, (p.x - it.x) * sn + (p.y - it.y) * c); });
    });
    var d = -top + SEAT_R + 60;
    var hx = it.x + d * Math.sin(it.angle * Math.PI / 180), hy = it.y - d * Math.cos(it.angle * Math.PI / 180);
    var e = -top + SEAT_R + 6; /* the line from just above the item to the handle */
    var ex = it.x + e * Math.sin(it.angle * Math.PI / 180), ey = it.y - e * Math.cos(it.angle * Math.PI / 180);
    hx = it.x + d * Math.sin(it.angle * Math.PI / 180);
    g.appendChild(s('line', { 'class': 'turn-line', x1: ex, y1: ey, x2: hx, y2: hy }));
    var hnd = s('g', { 'class': 'turn-handle' });
    hnd.appendChild(s('circle', { cx: hx, cy: hy, r: 24 }));
    hnd.appendChild(s('text', { x: hx, y: hy + 8 }, '\u21bb'));
    hnd.appendChild(s('title', null, 'Drag to turn'));
    g.appendChild(hnd);
  }

  function mapToClient(x, y) {
    var r = $('plan').getBoundingClientRect(), v = S.view;
    return [r.left + (x - v.x) / v.w * r.width, r.top + (y - v.y) / v.h * r.height];
  }

  /* Degrees of the pointer round a centre on screen: 0 straight up, clockwise. */
  function bearing(cx, cy, x, y) { return Math.atan2(x - cx, -(y - cy)) * 180 / Math.PI; }

  function render() {
    var svg = $('plan');
    clear(svg);
    var defs = s('defs');
    var pat = s('pattern', { id: 'grid', width: 100, height: 100, patternUnits: 'userSpaceOnUse' });
    pat.appendChild(s('path', { d: 'M100 0H0V100', 'class': 'grid-line' }));
    defs.appendChild(pat);
    svg.appendChild(defs);
    var v = S.view || { x: 0, y: 0, w: 2000, h: 1200 };
    svg.appendChild(s('rect', { 'class': 'grid', x: v.x - v.w * 5, y: v.y - v.h * 5, width: v.w * 11, height: v.h * 11, fill: 'url(#grid)' }));
    var stageY = stageLine();
    svg.appendChild(s('rect', { 'class': 'stage', x: v.x - v.w * 5, y: stageY - 70, width: v.w * 11, height: 50 }));
    svg.appendChild(s('text', { 'class': 'stage-label', x: v.x + v.w / 2, y: stageY - 38 }, 'STAGE'));
    $('legend-taken').hidden = !Array.from(S.states.values()).some(holdsTicket);
    var selKeys = S.sel && S.sel.keys ? new Set(S.sel.keys) : null;
    var total = S.design.items.reduce(function (n, it) { return n + M.itemSeatCount(it); }, 0);
    var frag = document.createDocumentFragment(), drawn = new Map();
    /* an item whose drawing would not change keeps its elements: a change
     * to one table of a big venue redraws that table only */
    S.design.items.forEach(function (it) {
      var mine = S.sel && S.sel.uid === it.uid;
      var sig = JSON.stringify(it) + '|' + (mine ? (S.sel.keys ? S.sel.keys.join(',') : '*') : '') + '|' +
        (total <= DETAIL_MAX) + '|' + S.statesVersion;
      var old = S.drawn.get(it.uid), el;
      if (old && old.sig === sig) el = old.el;
      else el = drawItem(it, mine ? selKeys : null, total <= DETAIL_MAX);
      el.removeAttribute('transform');
      el.classList.remove('dragging');
      drawn.set(it.uid, { sig: sig, el: el });
      frag.appendChild(el);
    });
    S.drawn = drawn;
    svg.appendChild(frag);
    applyView();
    renderSide();
  }

  /* The stage line: above the frontmost seat. */
  function stageLine() {
    var y = Infinity;
    S.design.items.forEach(function (it) { y = Math.min(y, itemBox(it).y0); });
    return y === Infinity ? 0 : y - 20;
  }

  function renderSide() {
    var it = selectedItem();
    $('inspect-empty').hidden = !!it;
    $('item-form').hidden = !it || !!S.sel.keys;
    $('seat-panel').hidden = !it || !S.sel.keys;
    $('seat-bar').hidden = !it || !S.sel.keys;
    if (it && !S.sel.keys) fillForm(it);
    if (it && S.sel.keys) fillSeatPanel(it);
    if (!it || S.sel.keys) showMsg($('item-msg'), '');
    ['rot-left', 'rot-right', 'duplicate', 'delete'].forEach(function (id) { $(id).disabled = !it; });
    if (it && it.type === 'fixed') $('duplicate').disabled = true;
    $('undo').disabled = !S.history.canUndo();
    $('redo').disabled = !S.history.canRedo();
    var layout = M.toLayout(S.design);
    var res = M.check(layout);
    S.lastCheck = res;
    var sum = $('summary');
    clear(sum);
    if (res.ok) {
      sum.appendChild(h('strong', null, plural(res.seats, 'seat', 'seats')));
      sum.appendChild(document.createTextNode(' in ' + plural(res.sections, 'section', 'sections') + ' (tables and rows)'));
      var extra = Object.keys(res.classes).sort().map(function (k) { return res.classes[k] + ' ' + k; });
      if (res.blocked) extra.push(res.blocked + ' blocked');
      if (extra.length) sum.appendChild(h('span', { 'class': 'muted' }, ' · ' + extra.join(' · ')));
      sum.setAttribute('data-seats', res.seats);
    } else sum.removeAttribute('data-seats');
    var probs = problems(layout, res);
    var ul = $('problems');
    clear(ul);
    probs.forEach(function (p) { ul.appendChild(h('li', { 'class': p.kind }, p.text)); });
    ul.hidden = !probs.length;
    $('save').disabled = !res.ok;
    if (!$('json-card').hidden) showJson(layout);
    updateDirty(layout);
  }

  /* What is wrong (errors) or worth a look (warnings), in words. */
  function problems(layout, res) {
    var out = [];
    if (!S.design.items.length) {
      out.push({ kind: 'error', text: 'The venue has no seats yet: add a table or a block of rows.' });
      return out;
    }
    if (!res.ok) out.push({ kind: 'error', text: explain(layout, res.error) });
    res.warnings.forEach(function (w) { out.push({ kind: 'warn', text: w }); });
    if (res.ok && S.states.size) {
      var ids = new Set();
      res.list.forEach(function (sec) { sec.seats.forEach(function (x) { ids.add(x.id); }); });
      var gone = [];
      S.states.forEach(function (st, id) { if (st !== 'free' && st !== 'blocked' && !ids.has(id)) gone.push(id); });
      if (gone.length) out.push({ kind: 'warn', text: plural(gone.length, 'seat that holds a ticket is', 'seats that hold a ticket are') +
        ' not in this layout (' + gone.slice(0, 5).join(', ') + (gone.length > 5 ? ', …' : '') + '): the coordinator will refuse to save it.' });
    }
    return out;
  }

  /* A checker's message ("sections[3].seats[7].id: ...") with the name of
   * the table or row it is about. */
  function explain(layout, msg) {
    var m = /^sections\[(\d+)\]/.exec(msg);
    var sec = m && layout.sections[Number(m[1])];
    return sec ? (sec.kind === 'table' ? '' : 'Row ') + (sec.label || sec.id) + ' (' + sec.id + '): ' + msg : msg;
  }

  function showJson(layout) {
    var text = M.layoutText(layout || M.toLayout(S.design));
    $('json-out').textContent = text;
    var a = $('download');
    if (a.getAttribute('data-url')) URL.revokeObjectURL(a.getAttribute('data-url'));
    var url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    a.href = url;
    a.setAttribute('data-url', url);
    var base = (S.design.name || 'venue').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'venue';
    a.setAttribute('download', base + '.json');
  }

  function updateDirty(layout) {
    var text = JSON.stringify(layout || M.toLayout(S.design));
    var dirty = S.savedText === null ? S.design.items.length > 0 : text !== S.savedText;
    var d = $('dirty');
    d.textContent = dirty ? (S.token ? 'Unsaved changes' : 'Not saved: Export to keep it') : S.savedBySave ? 'Saved' : 'No changes';
    d.setAttribute('data-dirty', dirty ? '1' : '0');
  }

  /* ---- view: pan and zoom -------------------------------------------------------------- */

  function aspect() {
    var r = $('plan').getBoundingClientRect();
    return r.width > 0 && r.height > 0 ? r.height / r.width : 0.6;
  }

  /* Shows S.view, its height made to match the plan's shape on screen (the
   * plan can change size: a phone turned, the side column wrapping), so that
   * a pixel is as many units across as down and clientToMap holds. */
  function applyView() {
    var v = S.view;
    if (!v) return;
    var hh = v.w * aspect();
    if (Math.abs(hh - v.h) > 1e-6 * v.w) { v.y += (v.h - hh) / 2; v.h = hh; }
    $('plan').setAttribute('viewBox', v.x + ' ' + v.y + ' ' + v.w + ' ' + v.h);
  }

  function setView(cx, cy, w) {
    w = Math.max(150, Math.min(w, 2e6));
    var hh = w * aspect();
    S.view = { x: cx - w / 2, y: cy - hh / 2, w: w, h: hh };
    applyView();
  }

  function fitView() {
    var b = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    S.design.items.forEach(function (it) {
      var ib = itemBox(it);
      b.x0 = Math.min(b.x0, ib.x0); b.y0 = Math.min(b.y0, ib.y0); b.x1 = Math.max(b.x1, ib.x1); b.y1 = Math.max(b.y1, ib.y1);
    });
    if (b.x0 === Infinity) { setView(1000, 600, 2000); return; }
    b.y0 -= 80; /* the stage */
    var w = Math.max(Math.max(b.x1 - b.x0, (b.y1 - b.y0) / aspect()) * 1.12 + 100, 800);
    /* the stage near the top of the plan, the room below it */
    var hh = w * aspect(), top = b.y0 - Math.min(40, Math.max(0, (hh - (b.y1 - b.y0)) / 2));
    setView((b.x0 + b.x1) / 2, top + hh / 2, w);
  }

  function ensureVisible(it) {
    var b = itemBox(it), v = S.view;
    if (!v || (b.x0 >= v.x && b.x1 <= v.x + v.w && b.y0 >= v.y && b.y1 <= v.y + v.h)) return;
    fitView();
    render();
  }

  function zoomAt(factor, mx, my) {
    var v = S.view;
    var nw = Math.max(150, Math.min(v.w * factor, 2e6)), f = nw / v.w;
    var nh = v.h * f;
    S.view = { x: mx - (mx - v.x) * f, y: my - (my - v.y) * f, w: nw, h: nh };
    applyView();
  }

  function clientToMap(cx, cy) {
    var r = $('plan').getBoundingClientRect(), v = S.view;
    return [v.x + (cx - r.left) / r.width * v.w, v.y + (cy - r.top) / r.height * v.h];
  }

  function unitsPerPixel() {
    var r = $('plan').getBoundingClientRect();
    return S.view.w / Math.max(1, r.width);
  }

  /* ---- pointer input: drag items, tap seats, pan, pinch -------------------------------- */

  var P = { pointers: new Map(), drag: null, pinch: null };

  function bindPlan() {
    var svg = $('plan');
    svg.addEventListener('pointerdown', function (ev) {
      if (ev.button !== undefined && ev.button !== 0 && ev.pointerType === 'mouse') return;
      P.pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
      try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* a synthetic pointer */ }
      if (P.pointers.size === 2) { startPinch(); return; }
      var g = ev.target.closest ? ev.target.closest('.item') : null;
      var seatEl = ev.target.closest ? ev.target.closest('.seat') : null;
      var it = g ? M.findItem(S.design, Number(g.getAttribute('data-uid'))) : null;
      if (it && ev.target.closest('.turn-handle')) {
        var c = mapToClient(it.x, it.y);
        P.drag = { id: ev.pointerId, turn: true, it: it, g: g, cx: c[0], cy: c[1], a0: bearing(c[0], c[1], ev.clientX, ev.clientY),
          start: it.angle, angle: it.angle, moved: false };
        ev.preventDefault();
        return;
      }
      P.drag = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, moved: false, it: it, g: g,
        seatKey: seatEl ? seatEl.getAttribute('data-key') : null, shift: ev.shiftKey || ev.ctrlKey || ev.metaKey,
        view: { x: S.view.x, y: S.view.y }, slop: ev.pointerType === 'mouse' ? 4 : 10 };
      ev.preventDefault();
    });
    svg.addEventListener('pointermove', function (ev) {
      if (!P.pointers.has(ev.pointerId)) return;
      P.pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
      if (P.pinch) { movePinch(); return; }
      var d = P.drag;
      if (!d || d.id !== ev.pointerId) return;
      if (d.turn) {
        var delta = bearing(d.cx, d.cy, ev.clientX, ev.clientY) - d.a0;
        d.angle = M.normAngle(Math.round((d.start + delta) / 5) * 5);
        d.moved = true;
        d.g.setAttribute('transform', 'rotate(' + (d.angle - d.start) + ' ' + d.it.x + ' ' + d.it.y + ')');
        return;
      }
      var dx = ev.clientX - d.x, dy = ev.clientY - d.y;
      if (!d.moved && Math.hypot(dx, dy) < d.slop) return;
      d.moved = true;
      var k = unitsPerPixel();
      if (d.it) {
        if (!S.sel || S.sel.uid !== d.it.uid || S.sel.keys) {
          S.sel = { uid: d.it.uid };
          render();
          d.g = svg.querySelector('.item[data-uid="' + d.it.uid + '"]');
        }
        d.g.setAttribute('transform', 'translate(' + dx * k + ' ' + dy * k + ')');
        d.g.classList.add('dragging');
      } else {
        S.view.x = d.view.x - dx * k;
        S.view.y = d.view.y - dy * k;
        applyView();
      }
    });
    function up(ev) {
      if (!P.pointers.has(ev.pointerId)) return;
      P.pointers.delete(ev.pointerId);
      if (P.pinch) { if (P.pointers.size < 2) P.pinch = null; P.drag = null; return; }
      var d = P.drag;
      P.drag = null;
      if (!d || d.id !== ev.pointerId) return;
      if (ev.type === 'pointercancel') { render(); return; }
      if (d.turn) {
        if (d.moved && d.angle !== d.start) { d.it.angle = d.angle; commit(); } else render();
        return;
      }
      var k = unitsPerPixel();
      if (d.moved && d.it) {
        d.it.x = Math.round(d.it.x + (ev.clientX - d.x) * k);
        d.it.y = Math.round(d.it.y + (ev.clientY - d.y) * k);
        commit();
      } else if (!d.moved && d.it && d.seatKey !== null) {
        var keys = d.shift && S.sel && S.sel.uid === d.it.uid && S.sel.keys ? S.sel.keys.slice() : [];
        var i = keys.indexOf(d.seatKey);
        if (i >= 0 && d.shift) keys.splice(i, 1); else keys.push(d.seatKey);
        select(keys.length ? { uid: d.it.uid, keys: keys } : { uid: d.it.uid });
      } else if (!d.moved && d.it) select({ uid: d.it.uid });
      else if (!d.moved) select(null);
    }
    svg.addEventListener('pointerup', up);
    svg.addEventListener('pointercancel', up);
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var p = clientToMap(ev.clientX, ev.clientY);
      zoomAt(ev.deltaY > 0 ? 1.15 : 1 / 1.15, p[0], p[1]);
    }, { passive: false });
    svg.addEventListener('focusin', function (ev) {
      var g = ev.target.closest && ev.target.closest('.item');
      if (g && (!S.sel || S.sel.uid !== Number(g.getAttribute('data-uid')))) {
        S.sel = { uid: Number(g.getAttribute('data-uid')) };
        renderSide();
        Array.prototype.forEach.call(svg.querySelectorAll('.item.selected'), function (x) { x.classList.remove('selected'); });
        g.classList.add('selected');
      }
    });
  }

  function startPinch() {
    var pts = Array.from(P.pointers.values());
    if (P.drag && P.drag.g) P.drag.g.removeAttribute('transform');
    P.drag = null;
    var mid = clientToMap((pts[0].x + pts[1].x) / 2, (pts[0].y + pts[1].y) / 2);
    P.pinch = { dist: Math.max(1, Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y)), w: S.view.w, mid: mid };
  }

  function movePinch() {
    var pts = Array.from(P.pointers.values());
    if (pts.length < 2) return;
    var d = Math.max(1, Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y));
    var f = P.pinch.dist / d * P.pinch.w / S.view.w;
    zoomAt(f, P.pinch.mid[0], P.pinch.mid[1]);
  }

  /* ---- keys ------------------------------------------------------------------------------ */

  function onKey(ev) {
    var tag = ev.target && ev.target.tagName;
    var typing = tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA';
    var mod = ev.ctrlKey || ev.metaKey;
    if (mod && !typing && (ev.key === 'z' || ev.key === 'Z')) { ev.preventDefault(); if (ev.shiftKey) redo(); else undo(); return; }
    if (mod && !typing && (ev.key === 'y' || ev.key === 'Y')) { ev.preventDefault(); redo(); return; }
    if (typing || mod || ev.altKey || $('main').hidden) return;
    var it = selectedItem();
    var step = ev.shiftKey ? STEP_BIG : STEP, moved = null;
    switch (ev.key) {
      case 'ArrowLeft': moved = [-step, 0]; break;
      case 'ArrowRight': moved = [step, 0]; break;
      case 'ArrowUp': moved = [0, -step]; break;
      case 'ArrowDown': moved = [0, step]; break;
      case 'r': case 'R': if (it) { ev.preventDefault(); turn(ev.shiftKey ? -TURN : TURN); } return;
      case 'd': case 'D': if (it) { ev.preventDefault(); duplicate(); } return;
      case 'Delete': case 'Backspace': if (it && !S.sel.keys) { ev.preventDefault(); removeSelected(); } return;
      case 'Escape': if (S.sel) { select(null); } return;
      default: return;
    }
    if (!it || !moved) return;
    ev.preventDefault();
    it.x = Math.round(it.x + moved[0]);
    it.y = Math.round(it.y + moved[1]);
    commit();
    var g = $('plan').querySelector('.item[data-uid="' + it.uid + '"]');
    if (g) g.focus();
  }

  /* ---- import, export, save ---------------------------------------------------------------- */

  function importFile(file) {
    var reader = new FileReader();
    reader.onload = function () {
      var text = String(reader.result || ''), data;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      try { data = JSON.parse(text); } catch (e) {
        showMsg($('save-msg'), file.name + ': this is not JSON (' + e.message + '). Nothing was changed.', 'error');
        return;
      }
      var design;
      try { design = M.fromLayout(data); } catch (e) {
        showMsg($('save-msg'), file.name + ': ' + e.message + '. Nothing was changed.', 'error');
        return;
      }
      design.next = Math.max(design.next, S.design.next);
      S.design = design;
      S.sel = null;
      $('venue-name').value = design.name || '';
      S.history.push(S.design);
      fitView();
      render();
      var n = M.check(M.toLayout(design));
      showMsg($('save-msg'), 'Imported ' + file.name + ': ' + plural(n.seats, 'seat', 'seats') + ' in ' + plural(n.sections, 'section', 'sections') + '. Undo goes back.', 'ok');
    };
    reader.onerror = function () { showMsg($('save-msg'), file.name + ': cannot read the file.', 'error'); };
    reader.readAsText(file);
  }

  function exportJson() {
    var layout = M.toLayout(S.design), res = M.check(layout);
    $('json-card').hidden = false;
    showJson(layout);
    if (!res.ok) showMsg($('save-msg'), 'Exported, but the coordinator will refuse this layout: ' + explain(layout, res.error), 'error');
    else showMsg($('save-msg'), 'Exported: ' + plural(res.seats, 'seat', 'seats') + '. Download the file, or give it to usher-coord init --layout.', 'ok');
    $('json-card').scrollIntoView({ block: 'nearest' });
  }

  /* PUT /v1/layout, then the blocks: each seat marked blocked is blocked on
   * the coordinator, each no longer marked is unblocked. */
  function save() {
    var layout = M.toLayout(S.design), res = M.check(layout), msg = $('save-msg');
    if (!S.token) { showLogin('Sign in with an admin token to save to the event (your design stays in this page).'); return; }
    msg.removeAttribute('data-result');
    if (!res.ok) { showMsg(msg, 'Not saved: ' + explain(layout, res.error), 'error'); msg.setAttribute('data-result', 'invalid'); return; }
    var btn = $('save');
    btn.disabled = true;
    showMsg(msg, 'Saving…', '');
    var body = JSON.stringify(layout);
    call('PUT', '/v1/layout', body).then(function (r) {
      var err = errorOf(r);
      if (authProblem(r)) { showMsg(msg, 'Not saved: ' + authProblem(r), 'error'); return; }
      if (r.status === 404 || r.status === 405) {
        showMsg(msg, 'This coordinator cannot change the layout yet (it answered HTTP ' + r.status + '). Export the layout and give it to usher-coord init --layout for a new event.', 'error');
        msg.setAttribute('data-result', 'unsupported');
        return;
      }
      if (r.status === 409) {
        showMsg(msg, 'Not saved: ' + (err.message || 'the layout would drop or renumber a seat that holds a ticket') + ' Your changes are kept here.', 'error');
        msg.setAttribute('data-result', 'conflict');
        return;
      }
      if (r.status !== 200 || !r.body || r.body.ok !== true) {
        showMsg(msg, 'Not saved: ' + (err.message || 'the coordinator answered HTTP ' + r.status + '.') + (err.code ? ' (' + err.code + ')' : ''), 'error');
        msg.setAttribute('data-result', err.code || 'error');
        return;
      }
      var b = r.body;
      S.savedText = JSON.stringify(layout);
      S.savedBySave = true;
      return syncBlocks(layout).then(function (blocks) {
        showMsg(msg, 'Saved to the event: ' + plural(Number(b.seats) || 0, 'seat', 'seats') + ' in ' + plural(Number(b.sections) || 0, 'section', 'sections') +
          (b.version != null ? ' (layout version ' + b.version + ')' : '') + '. Every kiosk\u2019s map changes now.' + blocks, 'ok');
        msg.setAttribute('data-result', 'saved');
        updateDirty(layout);
      });
    }).catch(function (e) {
      showMsg(msg, 'Not saved: ' + e.message + ' Your changes are kept here.', 'error');
      msg.setAttribute('data-result', 'network');
    }).then(function () { btn.disabled = !S.lastCheck || !S.lastCheck.ok; });
  }

  function syncBlocks(layout) {
    return call('GET', '/v1/seats').then(function (r) {
      if (r.status !== 200 || !r.body || !Array.isArray(r.body.seats)) return ' The seats\u2019 blocks were not checked (HTTP ' + r.status + ').';
      var now = new Map();
      r.body.seats.forEach(function (x) { now.set(x.id, x.state); });
      S.states = now;
      S.statesVersion++;
      var todo = [];
      layout.sections.forEach(function (sec) {
        sec.seats.forEach(function (x) {
          var st = now.get(x.id);
          if (x.blocked && st === 'free') todo.push([x.id, 'block']);
          else if (!x.blocked && st === 'blocked') todo.push([x.id, 'unblock']);
          else if (x.blocked && st && st !== 'blocked') todo.push([x.id, 'busy']);
        });
      });
      var blockedN = 0, unblockedN = 0, failed = [];
      return todo.reduce(function (p, t) {
        return p.then(function () {
          if (t[1] === 'busy') { failed.push(t[0] + ' (it holds a ticket)'); return; }
          return call('POST', '/v1/seats/' + encodeURIComponent(t[0]) + '/' + t[1]).then(function (a) {
            var v = a.body && a.body.verdict;
            var ok = a.status === 200 && (!v || v === 'accepted' || v.status === 'accepted');
            if (!ok) { failed.push(t[0]); return; }
            if (t[1] === 'block') blockedN++; else unblockedN++;
            now.set(t[0], t[1] === 'block' ? 'blocked' : 'free');
            S.statesVersion++;
          });
        });
      }, Promise.resolve()).then(function () {
        render();
        var out = (blockedN ? ' Blocked ' + plural(blockedN, 'seat', 'seats') + '.' : '') +
          (unblockedN ? ' Unblocked ' + plural(unblockedN, 'seat', 'seats') + '.' : '');
        if (failed.length) out += ' Not blocked: ' + failed.join(', ') + '.';
        return out;
      });
    }, function () { return ' The seats\u2019 blocks were not changed (the coordinator is unreachable).'; });
  }

  /* ---- wiring ------------------------------------------------------------------------------ */

  function bind() {
    $('token-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var t = $('token').value.trim();
      if (!t) return;
      sessionStorage.setItem(TOKEN_KEY, t);
      start();
    });
    $('no-token').addEventListener('click', function () { S.token = null; showDesigner(); });
    $('sign-out').addEventListener('click', function (ev) {
      ev.preventDefault();
      sessionStorage.removeItem(TOKEN_KEY);
      stopWatching();
      S.token = null;
      S.states = new Map();
      S.statesVersion++;
      showLogin('');
    });
    $('add-table').addEventListener('click', addTable);
    $('add-rows').addEventListener('click', addRows);
    $('undo').addEventListener('click', undo);
    $('redo').addEventListener('click', redo);
    $('rot-left').addEventListener('click', function () { turn(-TURN); });
    $('rot-right').addEventListener('click', function () { turn(TURN); });
    $('duplicate').addEventListener('click', duplicate);
    $('delete').addEventListener('click', removeSelected);
    $('renumber').addEventListener('click', renumber);
    $('zoom-in').addEventListener('click', function () { zoomAt(1 / 1.3, S.view.x + S.view.w / 2, S.view.y + S.view.h / 2); });
    $('zoom-out').addEventListener('click', function () { zoomAt(1.3, S.view.x + S.view.w / 2, S.view.y + S.view.h / 2); });
    $('zoom-fit').addEventListener('click', function () { fitView(); render(); });
    $('item-form').addEventListener('change', function (ev) { if (ev.target.id) applyField(ev.target.id); });
    $('item-form').addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('item-form').addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && ev.target.tagName === 'INPUT') { ev.preventDefault(); applyField(ev.target.id); }
    });
    Array.prototype.forEach.call(document.querySelectorAll('.mark'), function (b) {
      b.addEventListener('click', function () { setSeatClass(b.getAttribute('data-cls')); });
    });
    $('seat-class-form').addEventListener('submit', function (ev) { ev.preventDefault(); setSeatClass($('seat-class').value); });
    $('seat-block').addEventListener('click', function () {
      var seats = selectedSeats();
      setMark('blocked', !(seats.length && seats.every(function (x) { return x.blocked; })));
    });
    $('seat-back').addEventListener('click', function () { if (S.sel) select({ uid: S.sel.uid }); });
    $('bar-block').addEventListener('click', function () { $('seat-block').click(); });
    $('bar-close').addEventListener('click', function () { select(null); });
    $('seat-find').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var f = findSeat($('seat-find-id').value);
      if (!f) { toast('There is no seat "' + $('seat-find-id').value.trim() + '" in this design.', 'error'); return; }
      select({ uid: f.it.uid, keys: [f.seat.key] });
    });
    $('venue-name').addEventListener('change', function () {
      var t = $('venue-name').value.trim();
      if (M.bytes(t) > M.NAME_MAX || !M.printable(t)) { toast('The layout name: at most ' + M.NAME_MAX + ' bytes, no control characters.', 'error'); $('venue-name').value = S.design.name; return; }
      S.design.name = t;
      commit();
    });
    $('export').addEventListener('click', exportJson);
    $('import-file').addEventListener('change', function () {
      var f = $('import-file').files[0];
      if (f) importFile(f);
      $('import-file').value = '';
    });
    $('save').addEventListener('click', save);
    $('reload').addEventListener('click', function () {
      if ($('dirty').getAttribute('data-dirty') === '1' && !window.confirm('Drop your changes and load the event\u2019s layout again?')) return;
      loadFromEvent(false).then(function () { fitView(); render(); });
    });
    document.addEventListener('keydown', onKey);
    window.addEventListener('resize', function () { if (S.view) { setView(S.view.x + S.view.w / 2, S.view.y + S.view.h / 2, S.view.w); } });
    window.addEventListener('beforeunload', function (ev) {
      if ($('dirty').getAttribute('data-dirty') === '1') { ev.preventDefault(); ev.returnValue = ''; }
    });
    bindPlan();
  }

  /* For tests and the curious: the design and the layout it makes. */
  window.usherDesigner = {
    design: function () { return S.design; },
    layout: function () { return M.toLayout(S.design); },
    selection: function () { return S.sel; },
    view: function () { return S.view; }
  };

  readFragmentToken();
  bind();
  start();
})();
