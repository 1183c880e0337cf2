/* Usher — the venue designer's model: pure functions, no DOM, no network.
 *
 * A design is {name, items: [...], next}: each item is a round table or a
 * block of theatre rows, placed by its centre (x, y) and turned by `angle`
 * degrees (clockwise, y grows downward as on a screen). Its seats are
 * computed from its parameters; `marks` holds what the organiser set on
 * single seats (a class, blocked) by the seat's position in the item, so a
 * mark survives moving, turning and renumbering.
 *
 * toLayout() turns a design into the layout JSON of assets/layouts/README.md
 * with every seat listed; fromLayout() reads such JSON back (counted or
 * listed seats) and recognises tables and rows it can edit again; check()
 * applies the format's rules the way shared/layout.c does, with messages
 * that name the place. History is undo/redo over whole snapshots.
 *
 * Used by designer.js in the page; also loadable by any JavaScript engine
 * (module.exports) for checks without a browser.
 */
(function (root) {
  'use strict';

  var SEAT_SIZE = 50;            /* LAYOUT_SEAT_SIZE in shared/layout.h */
  var ROW_SPACING = 55;          /* default between seats along a row */
  var ROW_GAP = 90;              /* default between the rows of a block */
  var TABLE_MIN_RADIUS = 75;
  var TABLE_SEAT_PITCH = 60;
  var COORD_MAX = 1e6;
  var MAX_SECTIONS = 2000;
  var MAX_SECTION_SEATS = 1000;
  var MAX_SEATS = 100000;
  var ID_MAX = 16, LABEL_MAX = 32, CLASS_MAX = 16, NAME_MAX = 128;
  var ID_RE = /^[A-Za-z0-9_.-]+$/;
  /* The classes the designer offers with one tap; any other text works too. */
  var CLASSES = ['VIP', 'Wheelchair', 'Companion'];

  function bytes(s) {
    return typeof TextEncoder !== 'undefined' ? new TextEncoder().encode(s).length : unescape(encodeURIComponent(s)).length;
  }

  function printable(s) { return !/[\u0000-\u001f\u007f]/.test(s); }

  function r2(v) { return Math.round(v * 100) / 100; }

  function pad(n, width) { var s = String(n); while (s.length < width) s = '0' + s; return s; }

  function digits(n) { return String(Math.max(1, Math.floor(n))).length; }

  function defaultRadius(n) {
    var r = n >= 2 ? Math.ceil(TABLE_SEAT_PITCH / (2 * Math.sin(Math.PI / n))) : 0;
    return Math.max(r, TABLE_MIN_RADIUS);
  }

  function minRadius(n) { return n >= 2 ? SEAT_SIZE / (2 * Math.sin(Math.PI / n)) : 1; }

  function rotate(dx, dy, deg) {
    var a = deg * Math.PI / 180, c = Math.cos(a), s = Math.sin(a);
    return [dx * c - dy * s, dx * s + dy * c];
  }

  function normAngle(deg) {
    var a = ((Math.round(deg * 100) / 100) % 360 + 360) % 360;
    return a === 360 ? 0 : a;
  }

  /* The id after `id`: "A" -> "B", "Z" -> "AA", "R9" -> "R10", "T07" -> "T08". */
  function nextId(id) {
    var m = /^(.*?)(\d+)$/.exec(id);
    if (m) return m[1] + pad(Number(m[2]) + 1, m[2].length);
    m = /^(.*?)([A-Za-z]+)$/.exec(id);
    if (!m) return id + '2';
    var letters = m[2].split(''), i = letters.length - 1;
    for (; i >= 0; i--) {
      var c = letters[i];
      if (c === 'Z' || c === 'z') { letters[i] = c === 'Z' ? 'A' : 'a'; continue; }
      letters[i] = String.fromCharCode(c.charCodeAt(0) + 1);
      break;
    }
    if (i < 0) letters.unshift(m[2][0] === m[2][0].toLowerCase() ? 'a' : 'A');
    return m[1] + letters.join('');
  }

  function tableLabel(id) {
    var m = /^T(\d{1,9})$/.exec(id);
    return m ? 'Table ' + Number(m[1]) : 'Table ' + id;
  }

  function rowLabel(name, rowId) { return name ? name + ', row ' + rowId : 'Row ' + rowId; }

  /* ---- designs and items ------------------------------------------------- */

  function newDesign(name) { return { name: name || '', items: [], next: 1 }; }

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  function sectionIds(design, except) {
    var ids = new Set();
    design.items.forEach(function (it) {
      if (it === except) return;
      itemSections(it).forEach(function (s) { ids.add(s.id); });
    });
    return ids;
  }

  /* A table id not used yet: T01, T02, ... */
  function freeTableId(design) {
    var used = sectionIds(design), id = 'T01';
    while (used.has(id)) id = nextId(id);
    return id;
  }

  /* The first row letter after every row the design has, so blocks do not collide. */
  function freeRowId(design, rows) {
    var used = sectionIds(design), id = 'A';
    for (;;) {
      var ok = true, r = id;
      for (var i = 0; i < rows; i++, r = nextId(r)) if (used.has(r)) { ok = false; break; }
      if (ok) return id;
      id = nextId(id);
    }
  }

  function addTable(design, x, y, seats) {
    var id = freeTableId(design);
    var it = { uid: design.next++, type: 'table', id: id, label: tableLabel(id), x: r2(x), y: r2(y), angle: 0,
      cls: '', seats: seats, radius: null, marks: {} };
    design.items.push(it);
    return it;
  }

  function addRows(design, x, y, rows, perRow) {
    var it = { uid: design.next++, type: 'rows', name: '', first: freeRowId(design, rows), x: r2(x), y: r2(y),
      angle: 0, cls: '', rows: rows, perRow: perRow, spacing: ROW_SPACING, gap: ROW_GAP, curve: 0,
      aisles: [], aisleWidth: ROW_SPACING, fromRight: false, start: 1, marks: {} };
    design.items.push(it);
    return it;
  }

  function findItem(design, uid) {
    for (var i = 0; i < design.items.length; i++) if (design.items[i].uid === uid) return design.items[i];
    return null;
  }

  /* The ids of a row block's rows, front (stage side, smallest y) first. */
  function rowIds(it) {
    var out = [], id = it.first;
    for (var i = 0; i < it.rows; i++, id = nextId(id)) out.push(id);
    return out;
  }

  /* Local x of each seat of a row (centred), with the aisle gaps. */
  function rowXs(it) {
    var xs = [], x = 0, aisles = new Set(it.aisles || []);
    for (var k = 0; k < it.perRow; k++) {
      if (k > 0) x += it.spacing + (aisles.has(k) ? it.aisleWidth : 0);
      xs.push(x);
    }
    var mid = (xs[0] + xs[xs.length - 1]) / 2;
    return xs.map(function (v) { return v - mid; });
  }

  /* The sections of an item, each with its seats in layout coordinates:
   * [{kind, id, label, x, y, radius?, cls, seats: [{key, id, label, x, y, cls, blocked}]}]. */
  function itemSections(it) {
    var marks = it.marks || {};
    function seat(key, id, label, dx, dy, cls) {
      var p = rotate(dx, dy, it.angle), m = marks[key] || {};
      return { key: key, id: id, label: label, x: r2(it.x + p[0]), y: r2(it.y + p[1]),
        cls: m.cls != null ? m.cls : cls, blocked: !!m.blocked };
    }
    if (it.type === 'table') {
      var n = it.seats, rad = it.radius || defaultRadius(n), width = Math.max(2, digits(n)), seats = [];
      for (var k = 0; k < n; k++) {
        var a = 2 * Math.PI * k / n;
        seats.push(seat(String(k), it.id + '-' + pad(k + 1, width), String(k + 1), rad * Math.sin(a), -rad * Math.cos(a), it.cls));
      }
      return [{ kind: 'table', id: it.id, label: it.label || tableLabel(it.id), x: it.x, y: it.y, radius: rad, cls: it.cls, seats: seats }];
    }
    if (it.type === 'fixed') {
      return it.sections.map(function (sec, si) {
        var c = rotate(sec.dx, sec.dy, it.angle);
        return { kind: sec.kind, id: sec.id, label: sec.label, x: r2(it.x + c[0]), y: r2(it.y + c[1]), radius: sec.radius,
          cls: sec.cls, seats: sec.seats.map(function (s, k) { return seat(si + ':' + k, s.id, s.label, s.dx, s.dy, s.cls); }) };
      });
    }
    var xs = rowXs(it), half = Math.max(Math.abs(xs[0]), Math.abs(xs[xs.length - 1])), ids = rowIds(it), out = [];
    var depth = (it.rows - 1) * it.gap, start = it.start == null ? 1 : it.start;
    ids.forEach(function (rid, r) {
      var ry = r * it.gap - depth / 2, seats = [];
      for (var k = 0; k < it.perRow; k++) {
        var num = it.fromRight ? start + it.perRow - 1 - k : start + k, dx = xs[k];
        var dy = ry - (half > 0 ? it.curve * (dx / half) * (dx / half) : 0);
        seats.push(seat(r + ':' + k, rid + '-' + num, String(num), dx, dy, it.cls));
      }
      if (it.fromRight) seats.reverse(); /* listed in number order, as counted rows are */
      var c = rotate(0, ry, it.angle);
      out.push({ kind: 'row', id: rid, label: rowLabel(it.name, rid), x: r2(it.x + c[0]), y: r2(it.y + c[1]), cls: it.cls, seats: seats });
    });
    return out;
  }

  function itemSeatCount(it) {
    if (it.type === 'table') return it.seats;
    if (it.type === 'rows') return it.rows * it.perRow;
    return it.sections.reduce(function (n, s) { return n + s.seats.length; }, 0);
  }

  function itemTitle(it) {
    if (it.type === 'table') return (it.label || tableLabel(it.id)) + ' (' + it.id + ')';
    if (it.type === 'rows') {
      var ids = rowIds(it), rows = ids.length > 1 ? 'rows ' + ids[0] + '–' + ids[ids.length - 1] : 'row ' + ids[0];
      return (it.name ? it.name + ', ' : 'Rows: ') + rows;
    }
    return it.sections.length === 1 ? it.sections[0].label + ' (' + it.sections[0].id + ')' : it.sections.length + ' sections';
  }

  /* Renumbers the tables T01, T02, ... in reading order (front to back,
   * left to right, tables within 100 units of each other's y one line);
   * a table whose label was the default gets the new default. */
  function renumberTables(design) {
    var tables = design.items.filter(function (it) { return it.type === 'table'; });
    tables.sort(function (a, b) { return Math.abs(a.y - b.y) > 100 ? a.y - b.y : a.x - b.x; });
    var others = sectionIds(design);
    tables.forEach(function (t) { others.delete(t.id); });
    var id = 'T01';
    tables.forEach(function (t) {
      while (others.has(id)) id = nextId(id);
      var wasDefault = !t.label || t.label === tableLabel(t.id);
      t.id = id;
      if (wasDefault) t.label = tableLabel(id);
      id = nextId(id);
    });
    return tables.length;
  }

  /* ---- to and from the layout JSON ------------------------------------------ */

  function num(v) { return Math.abs(v) < 5e-3 ? 0 : r2(v); }

  /* The layout JSON object of a design: every seat listed (id, x, y; label
   * when it is not its position, class when it is not its section's;
   * "blocked": true for a seat the designer blocks on saving). */
  function toLayout(design) {
    var out = { name: design.name || '', sections: [] };
    design.items.forEach(function (it) {
      itemSections(it).forEach(function (sec) {
        var s = { kind: sec.kind, id: sec.id, label: sec.label, x: num(sec.x), y: num(sec.y) };
        if (sec.kind === 'table') s.radius = num(sec.radius);
        if (sec.cls) s['class'] = sec.cls;
        s.seats = sec.seats.map(function (seat, k) {
          var o = { id: seat.id, x: num(seat.x), y: num(seat.y) };
          if (seat.label !== String(k + 1)) o.label = seat.label;
          if (seat.cls !== sec.cls) o['class'] = seat.cls;
          if (seat.blocked) o.blocked = true;
          return o;
        });
        out.sections.push(s);
      });
    });
    return out;
  }

  /* JSON text, one seat a line: short enough to read, diff and mail. */
  function layoutText(layout) {
    var lines = ['{"name": ' + JSON.stringify(layout.name) + ',', ' "sections": ['];
    layout.sections.forEach(function (sec, i) {
      var head = {};
      Object.keys(sec).forEach(function (k) { if (k !== 'seats') head[k] = sec[k]; });
      var h = JSON.stringify(head);
      lines.push('  ' + h.slice(0, -1) + ', "seats": [');
      sec.seats.forEach(function (seat, k) {
        lines.push('    ' + JSON.stringify(seat) + (k + 1 < sec.seats.length ? ',' : ''));
      });
      lines.push('  ]}' + (i + 1 < layout.sections.length ? ',' : ''));
    });
    lines.push(' ]}');
    return lines.join('\n') + '\n';
  }

  function fail(msg) { var e = new Error(msg); e.layout = true; throw e; }

  function what(v) {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'an array';
    if (typeof v === 'object') return 'an object';
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number') return 'a number';
    return String(v);
  }

  /* Checks a layout JSON value as shared/layout.c does (the first problem
   * only, as the coordinator reports it) and adds the designer's own rule
   * checks. Returns {ok, error, warnings, seats, sections, classes, blocked}
   * and, when ok, {list}: the sections with every seat placed. */
  function check(layout) {
    var res = { ok: false, error: '', warnings: [], seats: 0, sections: 0, classes: {}, blocked: 0, list: null };
    try {
      res.list = parse(layout);
      res.ok = true;
    } catch (e) {
      if (!e.layout) throw e;
      res.error = e.message;
      return res;
    }
    var seen = [];
    res.list.forEach(function (sec) {
      res.sections++;
      sec.seats.forEach(function (s) {
        res.seats++;
        if (s.cls) res.classes[s.cls] = (res.classes[s.cls] || 0) + 1;
        if (s.blocked) res.blocked++;
        seen.push(s);
      });
    });
    /* Overlapping seats are allowed by the format but are surely a mistake. */
    var grid = new Map(), overlaps = [];
    seen.forEach(function (s) {
      var gx = Math.floor(s.x / SEAT_SIZE), gy = Math.floor(s.y / SEAT_SIZE);
      for (var ix = gx - 1; ix <= gx + 1; ix++) for (var iy = gy - 1; iy <= gy + 1; iy++) {
        (grid.get(ix + ',' + iy) || []).forEach(function (o) {
          if (Math.hypot(o.x - s.x, o.y - s.y) < SEAT_SIZE * 0.8 && overlaps.length < 5) overlaps.push(o.id + ' and ' + s.id);
        });
      }
      var k = gx + ',' + gy;
      if (!grid.has(k)) grid.set(k, []);
      grid.get(k).push(s);
    });
    if (overlaps.length) res.warnings.push('Seats drawn on top of each other: ' + overlaps.join(', ') + '. Move the tables or rows apart.');
    return res;
  }

  function getText(obj, path, key, def, allowEmpty, max) {
    var p = path ? path + '.' + key : key;
    var v = obj[key];
    if (v === undefined) {
      if (def === null) fail(path + ': missing key "' + key + '"');
      v = def;
    } else if (typeof v !== 'string') fail(p + ': must be a string, not ' + what(v));
    var n = bytes(v);
    if (!n && !allowEmpty) fail(p + ': must not be empty');
    if (n > max) fail(p + ': too long (' + n + ' bytes; at most ' + max + ')');
    if (!printable(v)) fail(p + ': contains control characters');
    return v;
  }

  function getId(obj, path) {
    var v = obj.id;
    if (v === undefined) fail(path + ': missing key "id"');
    if (typeof v !== 'string') fail(path + '.id: must be a string, not ' + what(v));
    if (!v) fail(path + '.id: must not be empty');
    if (!ID_RE.test(v) || v.length > ID_MAX) {
      if (!printable(v)) fail(path + '.id: contains control characters');
      fail(path + '.id: "' + v.slice(0, 40) + '" is not a valid id; use 1 to ' + ID_MAX + ' characters from A-Z a-z 0-9 _ . -');
    }
    return v;
  }

  function getNum(obj, path, key, def, min, max) {
    var v = obj[key];
    if (v === undefined) {
      if (def === null) fail(path + ': missing key "' + key + '"');
      return def;
    }
    if (typeof v !== 'number') fail(path + '.' + key + ': must be a number, not ' + what(v));
    if (!isFinite(v) || v < min || v > max) fail(path + '.' + key + ': ' + v + ' is out of range; use ' + min + ' to ' + max);
    return v;
  }

  /* The layout's sections with every seat placed (counted seats generated as
   * shared/layout_gen.c does); throws an Error whose message names the place. */
  function parse(layout) {
    if (!layout || typeof layout !== 'object' || Array.isArray(layout)) fail('the layout must be a JSON object, not ' + what(layout));
    getText(layout, '', 'name', '', true, NAME_MAX);
    var sections = layout.sections;
    if (sections === undefined) fail('missing key "sections" (the array of tables and rows)');
    if (!Array.isArray(sections)) fail('sections: must be an array, not ' + what(sections));
    if (!sections.length) fail('sections: the array is empty; a layout needs at least one table or row');
    if (sections.length > MAX_SECTIONS) fail('sections: ' + sections.length + ' sections; at most ' + MAX_SECTIONS);
    var secIds = new Map(), seatIds = new Map(), total = 0, out = [];
    sections.forEach(function (js, si) {
      var path = 'sections[' + si + ']';
      if (!js || typeof js !== 'object' || Array.isArray(js)) fail(path + ': must be an object, not ' + what(js));
      var kind = js.kind;
      if (kind === undefined) fail(path + ': missing key "kind" ("table" or "row")');
      if (typeof kind !== 'string') fail(path + '.kind: must be a string, not ' + what(kind));
      if (kind !== 'table' && kind !== 'row') fail(path + '.kind: unknown kind "' + kind.slice(0, 40) + '"; use "table" or "row"');
      var id = getId(js, path);
      var sec = { kind: kind, id: id, label: getText(js, path, 'label', kind === 'table' ? tableLabel(id) : 'Row ' + id, false, LABEL_MAX),
        cls: getText(js, path, 'class', '', true, CLASS_MAX),
        x: getNum(js, path, 'x', null, -COORD_MAX, COORD_MAX), y: getNum(js, path, 'y', null, -COORD_MAX, COORD_MAX), seats: [] };
      var seats = js.seats, count;
      if (seats === undefined) fail(path + ': missing key "seats" (a seat count or an array of seats)');
      var counted = typeof seats === 'number' && Math.floor(seats) === seats;
      if (counted) count = seats;
      else if (Array.isArray(seats)) count = seats.length;
      else fail(path + '.seats: must be a seat count or an array of seats, not ' + what(seats));
      if (count < 1 || count > MAX_SECTION_SEATS) fail(path + '.seats: ' + count + ' seats; a section holds 1 to ' + MAX_SECTION_SEATS);
      var spacing = ROW_SPACING, curve = 0;
      if (kind === 'row') {
        if (counted) {
          spacing = getNum(js, path, 'spacing', ROW_SPACING, SEAT_SIZE, 1e4);
          curve = getNum(js, path, 'curve', 0, -1e5, 1e5);
        }
      } else {
        sec.radius = getNum(js, path, 'radius', defaultRadius(count), 1, 1e5);
        if (counted && sec.radius < minRadius(count) - 1e-9)
          fail(path + '.radius: ' + sec.radius + ' is too small for ' + count + ' seats (they would overlap); use at least ' + Math.ceil(minRadius(count)));
      }
      if (total + count > MAX_SEATS) fail(path + '.seats: the layout would have ' + (total + count) + ' seats; the limit is ' + MAX_SEATS);
      total += count;
      if (secIds.has(id)) fail(path + '.id: duplicate section id "' + id + '" (first at sections[' + secIds.get(id) + '])');
      secIds.set(id, si);
      if (counted) {
        var width = kind === 'table' ? Math.max(2, digits(count)) : 1;
        if ((id + '-' + pad(count, width)).length > ID_MAX)
          fail(path + '.id: "' + id + '" is too long to number its ' + count + ' seats (seat ids have at most ' + ID_MAX + ' characters); use a shorter id or list the seats');
        for (var k = 0; k < count; k++) {
          var sx, sy;
          if (kind === 'table') {
            var a = 2 * Math.PI * k / count;
            sx = sec.x + sec.radius * Math.sin(a);
            sy = sec.y - sec.radius * Math.cos(a);
          } else {
            var half = (count - 1) / 2 * spacing, dx = (k - (count - 1) / 2) * spacing;
            sx = sec.x + dx;
            sy = half > 0 ? sec.y - curve * (dx / half) * (dx / half) : sec.y;
          }
          sx = Math.round(sx * 1024) / 1024;
          sy = Math.round(sy * 1024) / 1024;
          var gid = id + '-' + pad(k + 1, width);
          if (Math.abs(sx) > COORD_MAX || Math.abs(sy) > COORD_MAX)
            fail(path + ': seat ' + gid + ' would sit at (' + Math.round(sx) + ', ' + Math.round(sy) + '), outside the drawing area (|x| and |y| at most ' + COORD_MAX + '); move the section');
          if (seatIds.has(gid)) {
            var f = seatIds.get(gid);
            fail(path + ': generated seat id "' + gid + '" is already taken (first at sections[' + f[0] + '].seats[' + f[1] + ']); rename the section or list its seats');
          }
          seatIds.set(gid, [si, k]);
          sec.seats.push({ id: gid, label: String(k + 1), x: sx, y: sy, cls: sec.cls, blocked: false });
        }
        sec.counted = { spacing: spacing, curve: curve };
      } else {
        seats.forEach(function (sj, k) {
          var sp = path + '.seats[' + k + ']';
          if (!sj || typeof sj !== 'object' || Array.isArray(sj)) fail(sp + ': must be an object, not ' + what(sj));
          var seat = { id: getId(sj, sp), label: getText(sj, sp, 'label', String(k + 1), false, LABEL_MAX),
            cls: getText(sj, sp, 'class', sec.cls, true, CLASS_MAX),
            x: getNum(sj, sp, 'x', null, -COORD_MAX, COORD_MAX), y: getNum(sj, sp, 'y', null, -COORD_MAX, COORD_MAX),
            blocked: sj.blocked === true };
          if (sj.blocked !== undefined && typeof sj.blocked !== 'boolean') fail(sp + '.blocked: must be true or false, not ' + what(sj.blocked));
          if (seatIds.has(seat.id)) {
            var f = seatIds.get(seat.id);
            fail(sp + '.id: duplicate seat id "' + seat.id + '" (first at sections[' + f[0] + '].seats[' + f[1] + '])');
          }
          seatIds.set(seat.id, [si, k]);
          sec.seats.push(seat);
        });
      }
      out.push(sec);
    });
    return out;
  }

  /* Radians to degrees, to a tenth: seats are stored to 0.01 units, so an
   * angle read back from them is a little off the one the organiser set. */
  function roughAngle(rad) { return normAngle(Math.round(rad * 1800 / Math.PI) / 10); }

  /* A length read back from seats, to the whole unit the organiser typed
   * when it is that close to one. */
  function snap(v) { var i = Math.round(v); return Math.abs(v - i) < 0.06 ? i : r2(v); }

  function near(a, b, tol) { return Math.abs(a - b) <= (tol || 1); }

  /* Marks (class other than the section's, blocked) of a section's seats, keyed by prefix + index. */
  function marksOf(sec, prefix, order) {
    var marks = {};
    sec.seats.forEach(function (s, k) {
      var m = {};
      if (s.cls !== sec.cls) m.cls = s.cls;
      if (s.blocked) m.blocked = true;
      if (m.cls != null || m.blocked) marks[prefix + (order ? order[k] : k)] = m;
    });
    return marks;
  }

  /* A table section as an editable table item, when its seats are where a
   * table of that many seats puts them (maybe turned); else null. */
  function asTable(sec, uid) {
    var n = sec.seats.length, width = Math.max(2, digits(n));
    var s0 = sec.seats[0], rad = Math.hypot(s0.x - sec.x, s0.y - sec.y);
    if (rad < 1) return null;
    var angle = roughAngle(Math.atan2(s0.x - sec.x, -(s0.y - sec.y)));
    var it = { uid: uid, type: 'table', id: sec.id, label: sec.label, x: sec.x, y: sec.y, angle: angle, cls: sec.cls,
      seats: n, radius: near(rad, defaultRadius(n), 0.05) ? null : snap(rad), marks: {} };
    var want = itemSections(it)[0].seats;
    for (var k = 0; k < n; k++) {
      var s = sec.seats[k];
      if (s.id !== sec.id + '-' + pad(k + 1, width) || s.label !== String(k + 1) || !near(s.x, want[k].x) || !near(s.y, want[k].y))
        return null;
    }
    it.marks = marksOf(sec, '');
    return it;
  }

  /* A row section as a one-row block, when its seats are evenly spaced
   * (aisle gaps allowed) on a straight or curved line, maybe turned. */
  function asRow(sec, uid) {
    var n = sec.seats.length, fromRight = false, order = [];
    var k;
    for (k = 0; k < n; k++) order.push(k);
    /* seats numbered one by one from some first number, no leading zeros */
    var nums = sec.seats.map(function (s) {
      var m = /^(.*)-([1-9]\d*|0)$/.exec(s.id);
      return m && m[1] === sec.id && s.label === m[2] ? Number(m[2]) : -1;
    });
    for (k = 0; k < n; k++) if (nums[0] < 0 || nums[k] !== nums[0] + k) return null;
    var a = sec.seats[0], b = sec.seats[n - 1];
    var angle = n > 1 ? roughAngle(Math.atan2(b.y - a.y, b.x - a.x)) : 0;
    /* seat 1 at the right end: the row is numbered from the right */
    if (n > 2 && angle > 90 && angle < 270) { fromRight = true; angle = normAngle(angle - 180); }
    var local = sec.seats.map(function (s) { return rotate(s.x - sec.x, s.y - sec.y, -angle); });
    if (fromRight) local.reverse(); /* left to right */
    var xs = local.map(function (p) { return p[0]; });
    var base = Infinity, diffs = [];
    for (k = 1; k < n; k++) { diffs.push(xs[k] - xs[k - 1]); base = Math.min(base, xs[k] - xs[k - 1]); }
    if (n > 1 && !(base >= SEAT_SIZE - 0.5)) return null;
    var aisles = [], aisleWidth = null;
    for (k = 0; k < diffs.length; k++) {
      if (near(diffs[k], base, 0.6)) continue;
      var w = diffs[k] - base;
      if (aisleWidth === null) aisleWidth = w;
      else if (!near(w, aisleWidth, 0.6)) return null;
      aisles.push(k + 1);
    }
    var it = { uid: uid, type: 'rows', name: '', first: sec.id, x: 0, y: 0, angle: angle, cls: sec.cls, rows: 1,
      perRow: n, spacing: n > 1 ? snap(base) : ROW_SPACING, gap: ROW_GAP, curve: 0, aisles: aisles,
      aisleWidth: aisleWidth === null ? ROW_SPACING : snap(aisleWidth), fromRight: fromRight, start: nums[0], marks: {} };
    var m = /^(.*), row (.+)$/.exec(sec.label);
    if (m && m[2] === sec.id) it.name = m[1];
    else if (sec.label !== 'Row ' + sec.id) return null;
    /* the curve: the ends against the middle, in the row's own frame */
    var lx = rowXs(it), half = Math.max(Math.abs(lx[0]), Math.abs(lx[n - 1]));
    var ys = local.map(function (p) { return p[1]; });
    var mid = 0, j;
    for (j = 1; j < n; j++) if (Math.abs(lx[j]) < Math.abs(lx[mid])) mid = j;
    var yEnd = ys[0], ym = ys[mid], xm = lx[mid];
    var f = half > 0 ? 1 - (xm / half) * (xm / half) : 0;
    it.curve = f > 0 ? snap((ym - yEnd) / f) : 0;
    var y0 = ym + (half > 0 ? it.curve * (xm / half) * (xm / half) : 0); /* the row's line in its frame */
    var xoff = (xs[0] + xs[n - 1]) / 2;
    var c = rotate(xoff, y0, angle);
    it.x = snap(sec.x + c[0]);
    it.y = snap(sec.y + c[1]);
    var want = itemSections(it)[0];
    for (k = 0; k < n; k++) {
      var w = want.seats[k], got = sec.seats[k];
      if (w.id !== got.id || w.label !== got.label || !near(got.x, w.x) || !near(got.y, w.y)) return null;
    }
    /* marks are keyed by the seat's place from the left */
    it.marks = marksOf(sec, '0:', fromRight ? order.slice().reverse() : null);
    return it;
  }

  /* Joins one-row blocks that were one block: consecutive rows of the same
   * shape, name and class, one gap apart behind each other. */
  function joinRows(items) {
    var out = [];
    items.forEach(function (it) {
      var prev = out[out.length - 1];
      if (prev && prev.type === 'rows' && it.type === 'rows' && it.rows === 1 && prev.perRow === it.perRow &&
          prev.spacing === it.spacing && near(prev.curve, it.curve, 0.6) && prev.angle === it.angle && prev.name === it.name &&
          prev.cls === it.cls && prev.fromRight === it.fromRight && prev.start === it.start && String(prev.aisles) === String(it.aisles) &&
          near(prev.aisleWidth, it.aisleWidth, 0.6) && nextId(rowIds(prev)[prev.rows - 1]) === it.first) {
        /* where the next row sits in the block's own frame */
        var back = rotate(it.x - prev.x, it.y - prev.y, -prev.angle);
        var gap = prev.rows === 1 ? back[1] : prev.gap;
        var expect = (prev.rows - 1) * gap / 2 + gap;
        if (near(back[0], 0) && gap >= SEAT_SIZE - 0.5 && near(back[1], expect)) {
          var shift = rotate(0, gap / 2, prev.angle);
          var r = prev.rows;
          Object.keys(it.marks).forEach(function (key) { prev.marks[r + key.slice(1)] = it.marks[key]; });
          prev.rows++;
          prev.gap = snap(gap);
          prev.x = snap(prev.x + shift[0]);
          prev.y = snap(prev.y + shift[1]);
          return;
        }
      }
      out.push(it);
    });
    return out;
  }

  /* A design from layout JSON (an object): throws an Error naming the
   * problem when the layout breaks the format. Tables and rows that the
   * designer could have made come back editable; any other section keeps its
   * seats as they are (it can still be moved, turned and marked). */
  function fromLayout(layout) {
    var list = parse(layout), design = newDesign(layout.name || ''), items = [];
    list.forEach(function (sec) {
      var uid = design.next++;
      var it = sec.kind === 'table' ? asTable(sec, uid) : asRow(sec, uid);
      if (!it) {
        it = { uid: uid, type: 'fixed', x: r2(sec.x), y: r2(sec.y), angle: 0, marks: {},
          sections: [{ kind: sec.kind, id: sec.id, label: sec.label, dx: 0, dy: 0, radius: sec.radius, cls: sec.cls,
            seats: sec.seats.map(function (s) { return { id: s.id, label: s.label, dx: s.x - sec.x, dy: s.y - sec.y, cls: s.cls }; }) }] };
        it.marks = {};
        sec.seats.forEach(function (s, k) { if (s.blocked) it.marks['0:' + k] = { blocked: true }; });
      }
      items.push(it);
    });
    design.items = joinRows(items);
    return design;
  }

  /* ---- undo / redo --------------------------------------------------------- */

  /* Snapshots of the design: push() after each change, undo()/redo() give
   * the design to show (a copy), null when there is none. */
  function History(limit) {
    this.limit = limit || 200;
    this.past = [];
    this.future = [];
    this.current = null;
  }
  History.prototype.reset = function (design) { this.past = []; this.future = []; this.current = JSON.stringify(design); };
  History.prototype.push = function (design) {
    var s = JSON.stringify(design);
    if (s === this.current) return false;
    if (this.current !== null) this.past.push(this.current);
    if (this.past.length > this.limit) this.past.shift();
    this.current = s;
    this.future = [];
    return true;
  };
  History.prototype.canUndo = function () { return this.past.length > 0; };
  History.prototype.canRedo = function () { return this.future.length > 0; };
  History.prototype.undo = function () {
    if (!this.past.length) return null;
    this.future.push(this.current);
    this.current = this.past.pop();
    return JSON.parse(this.current);
  };
  History.prototype.redo = function () {
    if (!this.future.length) return null;
    this.past.push(this.current);
    this.current = this.future.pop();
    return JSON.parse(this.current);
  };

  var api = {
    SEAT_SIZE: SEAT_SIZE, CLASSES: CLASSES, CLASS_MAX: CLASS_MAX, LABEL_MAX: LABEL_MAX, ID_MAX: ID_MAX,
    NAME_MAX: NAME_MAX, MAX_SECTION_SEATS: MAX_SECTION_SEATS, ID_RE: ID_RE,
    bytes: bytes, printable: printable, nextId: nextId, tableLabel: tableLabel, rowIds: rowIds,
    defaultRadius: defaultRadius, minRadius: minRadius, normAngle: normAngle,
    newDesign: newDesign, clone: clone, addTable: addTable, addRows: addRows, findItem: findItem,
    freeTableId: freeTableId, freeRowId: freeRowId, itemSections: itemSections, itemSeatCount: itemSeatCount,
    itemTitle: itemTitle, renumberTables: renumberTables, toLayout: toLayout, layoutText: layoutText,
    check: check, fromLayout: fromLayout, History: History
  };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.UsherLayout = api;
})(this);
