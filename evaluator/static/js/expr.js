/* The expression evaluator of the browser (离线跳题): it walks the JSON AST that the server's
 * parser made (evaluator/definitions/expr_json.py) with the value rules of
 * evaluator/definitions/expr_values.py. Every case of tests/vectors/expressions.json holds here
 * as in Python; docs/expressions.md lists the places where JavaScript needs care. No eval(). */
(function (root) {
  'use strict';

  var TOL = 1e-12;
  var NUMBER_RE = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  var DATE_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
  var DATE_LIKE_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T|$)/;
  var TIME_LIKE_RE = /^[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$/;
  var SPACES_RE = /[ \t\n\r]+/;
  var DAY = 86400000;

  function ExprError(message, kind) {
    this.name = 'ExprError';
    this.message = message;
    this.kind = kind || 'eval';
  }
  ExprError.prototype = Object.create(Error.prototype);

  function isList(v) { return Array.isArray(v); }

  function refuse(v) {
    if (isList(v)) {
      throw new ExprError('a repeat field (a list of ' + v.length + ' values) was used where a ' +
        'single value is needed; use count(), sum(), min(), max() or concat()', 'eval');
    }
    throw new ExprError('unsupported answer type ' + typeof v, 'eval');
  }

  /* The values an instance() lookup selects: read as the first one where one value is
   * needed (a repeat's list is refused there), as expr_values.NodeSet. */
  function nodeSet(values) { values.nodeset = true; return values; }
  function isNodeSet(v) { return isList(v) && v.nodeset === true; }

  function single(v) {
    if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' ||
        typeof v === 'boolean') { return v; }
    if (isNodeSet(v)) { return v.length ? v[0] : ''; }
    return refuse(v);
  }

  function strip(s) { return s.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, ''); }

  function parseDay(text) {
    // days since 1970-01-01 of a real calendar date 'YYYY-MM-DD', else NaN
    var y = +text.slice(0, 4), m = +text.slice(5, 7), d = +text.slice(8, 10);
    if (y < 1 || m < 1 || m > 12 || d < 1) { return NaN; }
    var t = new Date(0);
    t.setUTCFullYear(y, m - 1, d);
    t.setUTCHours(0, 0, 0, 0);
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) { return NaN; }
    return Math.round(t.getTime() / DAY);
  }

  function pad(n, w) { var s = String(n); while (s.length < w) { s = '0' + s; } return s; }

  function daysToDate(n) {
    var t = new Date(Math.trunc(n) * DAY);
    var y = t.getUTCFullYear();
    if (!isFinite(t.getTime()) || y < 1 || y > 9999) {
      throw new ExprError(formatNumber(n) + ' days is outside the dates this tool handles', 'eval');
    }
    return pad(y, 4) + '-' + pad(t.getUTCMonth() + 1, 2) + '-' + pad(t.getUTCDate(), 2);
  }

  function toNumber(v) {
    if (typeof v === 'string') {
      var t = strip(v);
      if (NUMBER_RE.test(t)) { return parseFloat(t); }
      if (DATE_RE.test(t)) { return parseDay(t); }
      return NaN;
    }
    if (typeof v === 'boolean') { return v ? 1 : 0; }
    if (typeof v === 'number') { return v; }
    if (v === null || v === undefined) { return NaN; }
    if (isNodeSet(v)) { return toNumber(single(v)); }
    return refuse(v);
  }

  /* Shortest round-trip digits, never in exponent form (String(1e21) is '1e+21'). */
  function plainDecimal(n) {
    var text = String(n);
    var m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
    if (!m) { return text; }
    var sign = m[1], digits = m[2] + (m[3] || ''), point = m[2].length + parseInt(m[4], 10);
    if (point <= 0) { return sign + '0.' + '0'.repeat(-point) + digits; }
    if (point >= digits.length) { return sign + digits + '0'.repeat(point - digits.length); }
    return sign + digits.slice(0, point) + '.' + digits.slice(point);
  }

  function formatNumber(n) {
    if (isNaN(n)) { return 'NaN'; }
    if (!isFinite(n)) { return n > 0 ? 'Infinity' : '-Infinity'; }
    if (Math.abs(n) < TOL) { return '0'; }
    var whole = Math.trunc(n);
    if (Math.abs(n - whole) < TOL) { return BigInt(whole).toString(); }
    return plainDecimal(n);
  }

  function toString(v) {
    if (typeof v === 'string') { return v; }
    if (typeof v === 'boolean') { return v ? 'true' : 'false'; }
    if (typeof v === 'number') { return formatNumber(v); }
    if (v === null || v === undefined) { return ''; }
    if (isNodeSet(v)) { return toString(single(v)); }
    return refuse(v);
  }

  function toBoolean(v) {
    if (typeof v === 'string') { return v !== ''; }
    if (typeof v === 'boolean') { return v; }
    if (typeof v === 'number') { return v !== 0 && !isNaN(v); }
    if (v === null || v === undefined) { return false; }
    if (isNodeSet(v)) { return v.length > 0; }
    return refuse(v);
  }

  function equals(l, r) {
    l = single(l); r = single(r);
    if (typeof l === 'boolean' || typeof r === 'boolean') { return toBoolean(l) === toBoolean(r); }
    if (typeof l === 'number' || typeof r === 'number') {
      var a = toNumber(l), b = toNumber(r);
      return a === b || Math.abs(a - b) < TOL;
    }
    return toString(l) === toString(r);
  }

  function compare(op, l, r) {
    l = single(l); r = single(r);
    var a, b;
    if (typeof l === 'string' && typeof r === 'string' &&
        ((DATE_LIKE_RE.test(l) && DATE_LIKE_RE.test(r)) || (TIME_LIKE_RE.test(l) && TIME_LIKE_RE.test(r)))) {
      a = l; b = r;
    } else {
      a = toNumber(l); b = toNumber(r);
    }
    if (op === '<') { return a < b; }
    if (op === '<=') { return a <= b; }
    if (op === '>') { return a > b; }
    return a >= b;
  }

  function arithmetic(op, l, r) {
    var a = toNumber(l), b = toNumber(r);
    if (op === '+') { return a + b; }
    if (op === '-') { return a - b; }
    if (op === '*') { return a * b; }
    if (op === 'div') { return a / b; }
    return a % b;  // keeps the sign of the dividend, NaN for x mod 0, as XPath
  }

  function truncate(n) { return isFinite(n) ? Math.trunc(n) : n; }

  function toIndex(v) {
    var n = toNumber(v);
    if (isNaN(n)) { return 0; }
    if (!isFinite(n)) { return n > 0 ? 2147483647 : -2147483648; }
    return Math.max(-2147483648, Math.min(2147483647, Math.trunc(n)));
  }

  function selection(v) {
    return toString(v).split(SPACES_RE).filter(function (t) { return t !== ''; });
  }

  function items(v) { return isList(v) ? v.slice() : [v]; }

  function isNull(v) {
    v = single(v);
    if (v === null || v === undefined || v === '') { return true; }
    return typeof v === 'number' && isNaN(v);
  }

  /* Rounds the printed decimal digits: halves away from zero for positives, toward +Infinity
   * for negatives (JavaRosa), so round(1.005, 2) is 1.01 (Math.round(100.49999) is not). */
  function roundDigits(n, places) {
    var negative = n < 0;
    var text = plainDecimal(Math.abs(n));
    var parts = text.split('.');
    var intPart = parts[0], frac = parts[1] || '';
    var all = intPart + frac;           // digits, with the point after intPart.length
    var keep = intPart.length + places; // digits kept
    if (keep < 0) { return negative ? -0 : 0; }
    if (keep >= all.length) { return n; }
    var kept = all.slice(0, keep) || '0';
    var rest = all.slice(keep);
    var first = rest.charCodeAt(0) - 48;
    var beyond = /[1-9]/.test(rest.slice(1));
    var up = first > 5 || (first === 5 && (beyond || !negative));
    var value = BigInt(kept) + (up ? 1n : 0n);
    var scaled = value.toString();
    var result;
    if (places >= 0) {
      while (scaled.length <= places) { scaled = '0' + scaled; }
      result = places === 0 ? scaled : scaled.slice(0, scaled.length - places) + '.' + scaled.slice(scaled.length - places);
    } else {
      result = scaled + '0'.repeat(-places);
    }
    var out = parseFloat(result);
    return negative ? -out : out;
  }

  var patterns = {};
  function compilePattern(p) {
    if (!(p in patterns)) {
      try {
        // \d, \w are ASCII in JavaScript as in Python's re.ASCII; \s is narrowed to ASCII.
        var source = p.replace(/\\\\|\\s|\\S/g, function (m) {
          return m === '\\s' ? '[ \\t\\n\\r\\f\\v]' : (m === '\\S' ? '[^ \\t\\n\\r\\f\\v]' : m);
        });
        patterns[p] = new RegExp('^(?:' + source + ')$');
      } catch (e) {
        throw new ExprError("bad regular expression '" + p + "': " + e.message, 'eval');
      }
    }
    return patterns[p];
  }

  function datePart(text) {
    if (!DATE_LIKE_RE.test(text)) { return null; }
    var day = text.slice(0, 10);
    return isNaN(parseDay(day)) ? null : day;
  }

  function strings(test) {
    return function (a, b) { return test(toString(single(a)), toString(single(b))); };
  }

  function extreme(pick) {
    return function () {
      var nums = [];
      for (var i = 0; i < arguments.length; i++) {
        items(arguments[i]).forEach(function (item) {
          var n = toNumber(single(item));
          if (!isNaN(n)) { nums.push(n); }
        });
      }
      return nums.length ? pick.apply(null, nums) : NaN;
    };
  }

  var FUNCTIONS = {
    'selected': function (field, choice) {
      return selection(single(field)).indexOf(strip(toString(single(choice)))) >= 0;
    },
    'count-selected': function (field) { return selection(single(field)).length; },
    'not': function (v) { return !toBoolean(single(v)); },
    'true': function () { return true; },
    'false': function () { return false; },
    'boolean': function (v) { return toBoolean(single(v)); },
    'number': function (v) { return toNumber(single(v)); },
    'string': function (v) { return toString(single(v)); },
    'int': function (v) { return truncate(toNumber(single(v))); },
    'round': function (v, places) {
      var n = toNumber(single(v));
      var digits = places === undefined ? 0 : toIndex(single(places));
      if (!isFinite(n)) { return n; }
      if (Math.abs(digits) > 30) { return NaN; }
      return roundDigits(n, digits);
    },
    'floor': function (v) { var n = toNumber(single(v)); return isFinite(n) ? Math.floor(n) : n; },
    'ceiling': function (v) { var n = toNumber(single(v)); return isFinite(n) ? Math.ceil(n) : n; },
    'abs': function (v) { return Math.abs(toNumber(single(v))); },
    'string-length': function (v) { return Array.from(toString(single(v))).length; },
    'normalize-space': function (v) { return selection(single(v)).join(' '); },
    'contains': strings(function (a, b) { return a.indexOf(b) >= 0; }),
    'starts-with': strings(function (a, b) { return a.slice(0, b.length) === b; }),
    'ends-with': strings(function (a, b) { return b.length === 0 || a.slice(-b.length) === b; }),
    'substr': function (v, start, end) {
      var chars = Array.from(toString(single(v)));
      var length = chars.length;
      var first = toIndex(single(start));
      var last = end === undefined ? length : toIndex(single(end));
      if (first < 0) { first += length; }
      if (last < 0) { last += length; }
      first = Math.min(Math.max(0, first), length);
      last = Math.min(Math.max(0, last), length);
      return first <= last ? chars.slice(first, last).join('') : '';
    },
    'concat': function () {
      var out = '';
      for (var i = 0; i < arguments.length; i++) {
        items(arguments[i]).forEach(function (item) { out += toString(single(item)); });
      }
      return out;
    },
    'regex': function (v, p) {
      var re = compilePattern(toString(single(p)));
      return re.test(toString(single(v)));
    },
    'date': function (v) {
      v = single(v);
      if (v === null || v === undefined || v === '') { return ''; }
      if (typeof v === 'string') {
        var day = datePart(v);
        if (day === null) { throw new ExprError("cannot read '" + v + "' as a date (expected YYYY-MM-DD)", 'eval'); }
        return day;
      }
      if (typeof v === 'boolean') { throw new ExprError('cannot turn true/false into a date', 'eval'); }
      var n = truncate(toNumber(v));
      return isNaN(n) ? n : daysToDate(n);
    },
    'count': function (field) { return items(field).length; },
    'count-non-empty': function (field) {
      return items(field).filter(function (i) { return toString(single(i)) !== ''; }).length;
    },
    'sum': function (field) {
      var total = 0;
      items(field).forEach(function (i) { var n = toNumber(single(i)); if (!isNaN(n)) { total += n; } });
      return total;
    },
    'min': extreme(Math.min),
    'max': extreme(Math.max)
  };

  /* The XLSForm functions beyond XPath 1.0 (evaluator/definitions/expr_xlsform.py). */
  function numeric(fn) {
    return function () {
      var nums = Array.prototype.map.call(arguments, function (v) { return toNumber(single(v)); });
      if (nums.some(isNaN)) { return NaN; }
      return fn.apply(null, nums);
    };
  }
  function flat(values) {
    var out = [];
    values.forEach(function (v) { items(v).forEach(function (i) { out.push(i); }); });
    return out;
  }
  function within(value, low, high) {
    var lo = toNumber(single(low)), hi = toNumber(single(high));
    return (lo === -1 || value >= lo) && (hi === -1 || value <= hi);
  }
  var MOMENT_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/;
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  /* {y, mo, d, h, mi, s, ms, offset (minutes)} as written, or null: one pattern, as Python. */
  function moment(v) {
    v = single(v);
    if (typeof v === 'string') {
      var text = strip(v), m = MOMENT_RE.exec(text);
      if (!m || datePart(text) === null) { return null; }
      var h = +(m[4] || 0), mi = +(m[5] || 0), sec = +(m[6] || 0);
      if (h > 23 || mi > 59 || sec > 59) { return null; }
      var offset = 0;
      if (m[8] && m[8] !== 'Z') {
        var digits = m[8].slice(1).replace(':', '');
        offset = (+digits.slice(0, 2) * 60 + +digits.slice(2)) * (m[8][0] === '+' ? 1 : -1);
      }
      return { y: +m[1], mo: +m[2], d: +m[3], h: h, mi: mi, s: sec,
               ms: +((m[7] || '0').slice(0, 3) + '00').slice(0, 3), offset: offset };
    }
    var n = toNumber(v);
    if (isNaN(n) || !(n >= -719162 && n < 2932897)) { return null; }  // years 1 to 9999
    var t = new Date(Math.floor(n * DAY + 0.5));
    return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(),
             mi: t.getUTCMinutes(), s: t.getUTCSeconds(), ms: t.getUTCMilliseconds(), offset: 0 };
  }
  function formatDate(v, pattern) {
    var m = moment(v);
    if (m === null) { return ''; }
    var weekday = new Date(Date.UTC(m.y, m.mo - 1, m.d)).getUTCDay();
    var codes = { Y: pad(m.y, 4), y: pad(m.y % 100, 2), m: pad(m.mo, 2), n: String(m.mo),
      b: MONTHS[m.mo - 1], d: pad(m.d, 2), e: String(m.d), H: pad(m.h, 2), h: String(m.h),
      M: pad(m.mi, 2), S: pad(m.s, 2), '3': pad(m.ms, 3), a: WEEKDAYS[weekday] };
    var text = toString(single(pattern)), out = '', i = 0;
    while (i < text.length) {
      if (text[i] === '%' && i + 1 < text.length && codes.hasOwnProperty(text[i + 1])) {
        out += codes[text[i + 1]]; i += 2;
      } else { out += text[i]; i += 1; }
    }
    return out;
  }
  function randomUuid() {
    var bytes = new Uint8Array(16);
    (root.crypto || globalThis.crypto).getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return pad(b.toString(16), 2); }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' +
      hex.slice(16, 20) + '-' + hex.slice(20);
  }
  function localNow() {
    var d = new Date(), off = -d.getTimezoneOffset(), sign = off >= 0 ? '+' : '-';
    off = Math.abs(off);
    return pad(d.getFullYear(), 4) + '-' + pad(d.getMonth() + 1, 2) + '-' + pad(d.getDate(), 2) +
      'T' + pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) +
      '.' + pad(d.getMilliseconds(), 3) + sign + pad(Math.floor(off / 60), 2) + ':' + pad(off % 60, 2);
  }
  var XLSFORM = {
    'pow': numeric(Math.pow),
    'sqrt': numeric(Math.sqrt),
    'exp': numeric(Math.exp),
    'exp10': numeric(function (x) { return Math.pow(10, x); }),
    'log': numeric(Math.log),
    'log10': numeric(Math.log10),
    'sin': numeric(Math.sin),
    'cos': numeric(Math.cos),
    'tan': numeric(Math.tan),
    'asin': numeric(Math.asin),
    'acos': numeric(Math.acos),
    'atan': numeric(Math.atan),
    'atan2': numeric(Math.atan2),
    'pi': function () { return Math.PI; },
    'substring-before': strings(function (a, b) {
      var i = a.indexOf(b); return i >= 0 && b !== '' ? a.slice(0, i) : '';
    }),
    'substring-after': strings(function (a, b) {
      var i = a.indexOf(b); return i >= 0 ? a.slice(i + b.length) : '';
    }),
    'translate': function (v, from, to) {
      var table = {}, source = Array.from(toString(single(from))), target = Array.from(toString(single(to)));
      source.forEach(function (c, i) { if (!table.hasOwnProperty(c)) { table[c] = i < target.length ? target[i] : ''; } });
      return Array.from(toString(single(v))).map(function (c) {
        return table.hasOwnProperty(c) ? table[c] : c;
      }).join('');
    },
    'join': function (sep) {
      var values = flat(Array.prototype.slice.call(arguments, 1));
      return values.map(function (v) { return toString(single(v)); }).join(toString(single(sep)));
    },
    'selected-at': function (field, index) {
      var chosen = selection(single(field)), i = toIndex(single(index));
      return i >= 0 && i < chosen.length ? chosen[i] : '';
    },
    'boolean-from-string': function (v) { var t = toString(single(v)); return t === 'true' || t === '1'; },
    'checklist': function (low, high) {
      var count = flat(Array.prototype.slice.call(arguments, 2))
        .filter(function (v) { return toBoolean(single(v)); }).length;
      return within(count, low, high);
    },
    'weighted-checklist': function (low, high) {
      var pairs = Array.prototype.slice.call(arguments, 2), total = 0;
      if (pairs.length % 2) { throw new ExprError('weighted-checklist() takes values and weights in pairs', 'eval'); }
      for (var i = 0; i < pairs.length; i += 2) {
        if (toBoolean(single(pairs[i]))) { total += toNumber(single(pairs[i + 1])); }
      }
      return within(total, low, high);
    },
    'indexed-repeat': function (field, repeat, index) {
      var values = items(field), i = toIndex(single(index));
      return i >= 1 && i <= values.length ? values[i - 1] : '';
    },
    'once': function (v) { return v; },
    'format-date': formatDate,
    'format-date-time': formatDate,
    'decimal-date-time': function (v) {
      var m = moment(v);
      if (m === null) { return NaN; }
      return (Date.UTC(m.y, m.mo - 1, m.d, m.h, m.mi, m.s, m.ms) / 60000 - m.offset) / 1440;
    },
    'uuid': randomUuid,
    'random': function () { return Math.random(); },
    'now': localNow
  };
  Object.keys(XLSFORM).forEach(function (name) { FUNCTIONS[name] = XLSFORM[name]; });

  var COMPARISONS = { '<': 1, '<=': 1, '>': 1, '>=': 1 };

  function lookup(answers, name) {
    var v = Object.prototype.hasOwnProperty.call(answers, name) ? answers[name] : '';
    return v === null || v === undefined ? '' : v;
  }

  /* env: {today, instances: {name: [{column: text}]}, item (inside a lookup's filter)} */
  function walk(node, answers, current, env) {
    var op = node.op;
    if (op === 'num' || op === 'str') { return node.value; }
    if (op === 'ref') { return lookup(answers, node.name); }
    if (op === 'current') { return current; }
    if (op === 'col') {
      var item = env.item || {};
      return Object.prototype.hasOwnProperty.call(item, node.name) ? item[node.name] : '';
    }
    if (op === 'lookup') {
      var rows = (env.instances && env.instances[node.instance]) || [], column = node.column || 'name';
      return nodeSet(rows.filter(function (row) {
        return !node.filter || toBoolean(walk(node.filter, answers, current,
          { today: env.today, instances: env.instances, item: row }));
      }).map(function (row) { return Object.prototype.hasOwnProperty.call(row, column) ? row[column] : ''; }));
    }
    var args = node.args || [];
    if (op === 'neg') { return -toNumber(walk(args[0], answers, current, env)); }
    if (op === 'call') {
      var fn = node.fn;
      if (fn === 'if') {
        return toBoolean(walk(args[0], answers, current, env))
          ? walk(args[1], answers, current, env) : walk(args[2], answers, current, env);
      }
      if (fn === 'coalesce') {
        var first = walk(args[0], answers, current, env);
        return isNull(first) ? walk(args[1], answers, current, env) : first;
      }
      if (fn === 'today') { return env.today; }
      if (fn === 'pulldata') {
        var p = args.map(function (a) { return toString(single(walk(a, answers, current, env))); });
        var found = ((env.instances && env.instances[p[0]]) || []).filter(function (row) {
          return (Object.prototype.hasOwnProperty.call(row, p[2]) ? row[p[2]] : '') === p[3];
        })[0];
        return found && Object.prototype.hasOwnProperty.call(found, p[1]) ? found[p[1]] : '';
      }
      var impl = FUNCTIONS[fn];
      if (!impl) { throw new ExprError('unknown function ' + fn, 'parse'); }
      var values = args.map(function (a) { return walk(a, answers, current, env); });
      return impl.apply(null, values);
    }
    var left = walk(args[0], answers, current, env);
    if (op === 'and') { return toBoolean(left) && toBoolean(walk(args[1], answers, current, env)); }
    if (op === 'or') { return toBoolean(left) || toBoolean(walk(args[1], answers, current, env)); }
    var right = walk(args[1], answers, current, env);
    if (op === '=') { return equals(left, right); }
    if (op === '!=') { return !equals(left, right); }
    if (op in COMPARISONS) { return compare(op, left, right); }
    if (op === '+' || op === '-' || op === '*' || op === 'div' || op === 'mod') {
      return arithmetic(op, left, right);
    }
    throw new ExprError('unknown operator ' + op, 'parse');
  }

  function localToday() {
    var d = new Date();
    return pad(d.getFullYear(), 4) + '-' + pad(d.getMonth() + 1, 2) + '-' + pad(d.getDate(), 2);
  }

  /* evaluate(ast, answers, {current, today}) -> string | number | boolean | list */
  function evaluate(node, answers, options) {
    options = options || {};
    var current = options.current === undefined || options.current === null ? '' : options.current;
    return walk(node, answers || {}, current,
      { today: options.today || localToday(), instances: options.instances || {} });
  }

  root.Expr = {
    evaluate: evaluate, ExprError: ExprError, toBoolean: toBoolean, toNumber: toNumber,
    toString: toString, formatNumber: formatNumber
  };
  if (typeof module !== 'undefined' && module.exports) { module.exports = root.Expr; }
})(typeof window !== 'undefined' ? window : globalThis);
