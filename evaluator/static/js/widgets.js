/* The XLSForm question widgets beyond text, numbers, dates, selects and photos (题型控件):
 * range (slider beside a number box), rank (ordered list), acknowledge, audio/video/file
 * attachments, barcode (typed, or scanned where the browser can read codes) and the answer
 * checks of time, datetime, range, rank, phone, email, geotrace and geoshape, the same shapes as
 * evaluator/fieldwork/answer_types.py checks on the server. form.js calls Widgets.problem() and
 * Widgets.render(); every value lives in the form's named inputs and a recording is handed to
 * Questionnaire.attach() as a photo is kept, so saving, restoring and syncing stay form.js's and
 * record.js's. No eval(), no network. */
(function (root) {
  'use strict';

  var TIME = '([01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,3})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?';
  var TIME_RE = new RegExp('^' + TIME + '$');
  var DATETIME_RE = new RegExp('^([0-9]{4})-([0-9]{2})-([0-9]{2})T' + TIME + '$');
  var PHONE_RE = /^\+?[0-9][0-9 ()-]*[0-9]$/;
  var EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s.]+$/;
  var NUM_RE = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  var MAX_MEDIA = 16 * 1024 * 1024;
  var MEDIA = { audio: /^audio\//, video: /^video\//, file: /^(audio\/|video\/|image\/|application\/pdf$)/ };

  function both(lang, zh, en) { return lang === 'en' ? en : zh; }

  function realDate(y, m, d) {
    var t = new Date(Date.UTC(+y, +m - 1, +d));
    return t.getUTCFullYear() === +y && t.getUTCMonth() === +m - 1 && t.getUTCDate() === +d;
  }

  function rangeOf(parameters) {
    var found = { start: 1, end: 10, step: 1 };
    String(parameters || '').split(/\s+/).forEach(function (part) {
      var kv = part.split('=');
      if (kv.length === 2 && found.hasOwnProperty(kv[0]) && NUM_RE.test(kv[1])) { found[kv[0]] = parseFloat(kv[1]); }
    });
    return found;
  }

  function sameSet(a, b) {
    return a.length === b.length && a.slice().sort().join(' ') === b.slice().sort().join(' ');
  }

  /* Why value is not an answer of field f (in the page's language), or ''. */
  function problem(f, value, lang) {
    var t = f.type;
    if (t === 'time' && !TIME_RE.test(value)) { return both(lang, '不是时间（时:分）', 'not a time HH:MM'); }
    if (t === 'datetime') {
      var m = DATETIME_RE.exec(value);
      if (!m || !realDate(m[1], m[2], m[3])) { return both(lang, '不是日期时间', 'not a date and time'); }
    }
    if (t === 'range') {
      var r = rangeOf(f.parameters), low = Math.min(r.start, r.end), high = Math.max(r.start, r.end);
      if (!NUM_RE.test(value)) { return both(lang, '不是数字', 'not a number'); }
      var n = parseFloat(value), steps = r.step ? (n - r.start) / r.step : 0;
      if (n < low || n > high) { return both(lang, '应在 ' + low + ' 至 ' + high + ' 之间', 'must be between ' + low + ' and ' + high); }
      if (r.step && Math.abs(steps - Math.round(steps)) > 1e-9) {
        return both(lang, '应为 ' + r.start + ' 起每 ' + r.step + ' 一档', 'must be ' + r.start + ' plus a multiple of ' + r.step);
      }
    }
    if (t === 'rank') {
      var chosen = value.split(/\s+/);
      if (!sameSet(chosen, f.choices) || new Set(chosen).size !== chosen.length) {
        return both(lang, '排序应包含每个选项各一次', 'a ranking lists every choice exactly once');
      }
    }
    if (t === 'phonenumber') {
      var digits = (value.match(/[0-9]/g) || []).length;
      if (!PHONE_RE.test(value) || digits < 5 || digits > 20) { return both(lang, '不是电话号码', 'not a phone number'); }
    }
    if (t === 'email' && !EMAIL_RE.test(value)) { return both(lang, '不是电子邮箱地址', 'not an email address'); }
    if (t === 'acknowledge' && value !== 'OK') { return both(lang, '确认题只能勾选确认', "an acknowledgement is 'OK'"); }
    if (t === 'barcode' && value.length > 500) { return both(lang, '条码太长', 'a barcode has at most 500 characters'); }
    if (t === 'geotrace' || t === 'geoshape') {
      var points = value.split(';').filter(function (p) { return p.trim() !== ''; }).map(function (p) { return p.trim().split(/\s+/); });
      var least = t === 'geotrace' ? 2 : 3;
      var good = points.every(function (p) {
        return p.length >= 2 && p.length <= 4 && p.every(function (x) { return NUM_RE.test(x); }) &&
          Math.abs(+p[0]) <= 90 && Math.abs(+p[1]) <= 180;
      });
      if (!good || points.length < least) {
        return both(lang, '应为至少 ' + least + ' 个点“纬度 经度”，用分号分隔', 'at least ' + least + " points 'latitude longitude' separated by ';'");
      }
    }
    return '';
  }

  function named(form, name) { return form.querySelector('input[name="' + name + '"]'); }

  function announce(input) { input.dispatchEvent(new Event('input', { bubbles: true })); }

  /* Show what the named inputs hold: after a restore, a recalculation or a new repeat entry. */
  function render(form) {
    syncMinimal(form);
    form.querySelectorAll('[data-range-for]').forEach(function (slider) {
      var box = named(form, slider.getAttribute('data-range-for'));
      if (box && NUM_RE.test(box.value)) { slider.value = box.value; slider.classList.remove('unset'); } else { slider.classList.add('unset'); }
    });
    form.querySelectorAll('[data-rank]').forEach(function (list) {
      var hidden = named(form, list.getAttribute('data-rank'));
      var order = hidden && hidden.value ? hidden.value.split(/\s+/) : [];
      order.forEach(function (name) {
        var item = list.querySelector('li[data-choice="' + name + '"]');
        if (item) { list.appendChild(item); }
      });
      list.classList.toggle('unset', !order.length);
    });
    form.querySelectorAll('[data-ack]').forEach(function (box) {
      var hidden = named(form, box.getAttribute('data-ack'));
      box.checked = !!hidden && hidden.value === 'OK';
    });
    form.querySelectorAll('[data-media-name]').forEach(function (out) {
      var hidden = named(form, out.getAttribute('data-media-name'));
      out.textContent = hidden ? hidden.value : '';
    });
    if ('BarcodeDetector' in root) {
      form.querySelectorAll('[data-scan-label]').forEach(function (label) { label.hidden = false; });
    }
  }

  function rankValue(list) {
    return Array.prototype.map.call(list.querySelectorAll('li[data-choice]'), function (li) {
      return li.getAttribute('data-choice');
    }).join(' ');
  }

  function setRank(form, list) {
    var hidden = named(form, list.getAttribute('data-rank'));
    hidden.value = rankValue(list);
    announce(hidden);
  }

  function attachMedia(form, input, text) {
    var field = input.getAttribute('data-media'), kind = input.getAttribute('data-kind');
    var file = input.files && input.files[0];
    if (!file) { return; }
    if (!MEDIA[kind].test(file.type || '') || file.size > MAX_MEDIA || file.size === 0) { alert(text.media_bad); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result).split(',')[1] || '';
      var extension = (file.name.match(/\.[A-Za-z0-9]{1,5}$/) || [''])[0];
      var name = field.replace(/[^A-Za-z0-9_-]/g, '_') + '-' + Date.now() + extension;
      root.Questionnaire.attach(field, { field: field, filename: name, content_type: file.type, data: data });
    };
    reader.readAsDataURL(file);
  }

  function scan(form, input) {
    var file = input.files && input.files[0];
    if (!file || !('BarcodeDetector' in root)) { return; }
    createImageBitmap(file).then(function (bitmap) {
      return new root.BarcodeDetector().detect(bitmap);
    }).then(function (codes) {
      if (codes.length) {
        var box = named(form, input.getAttribute('data-scan'));
        box.value = codes[0].rawValue;
        announce(box);
      }
    }).catch(function () { /* typing the code stays possible */ });
  }

  /* Capturing listeners: a widget writes its named input before form.js (listening as events
   * bubble) reads the form and re-renders it. */
  function wire(form, text) {
    form.addEventListener('input', function (event) {
      var t = event.target;
      if (t.hasAttribute('data-range-for')) {
        var box = named(form, t.getAttribute('data-range-for'));
        box.value = t.value;
        announce(box);
      } else if (t.hasAttribute('data-ack')) {
        var hidden = named(form, t.getAttribute('data-ack'));
        hidden.value = t.checked ? 'OK' : '';
        announce(hidden);
      } else if (t.hasAttribute('data-minimal')) {
        pickMinimal(form, t);  // before form.js re-renders (and re-syncs the drop-down)
      }
    }, true);
    form.addEventListener('change', function (event) {
      var t = event.target;
      if (t.hasAttribute('data-media')) {
        attachMedia(form, t, text);
      } else if (t.hasAttribute('data-scan')) {
        scan(form, t);
      } else if (t.hasAttribute('data-minimal')) {
        pickMinimal(form, t);
      } else if (t.type === 'radio' && t.closest('.q.ap-quick')) {
        var question = t.closest('.q');
        setTimeout(function () { moveOn(question); }, 0);  // after form.js has shown what follows
      }
    }, true);
    form.addEventListener('click', function (event) {
      var t = event.target;
      if (t.hasAttribute('data-rank-move')) {
        var item = t.closest('li'), list = item.parentNode;
        if (+t.getAttribute('data-rank-move') < 0 && item.previousElementSibling) {
          list.insertBefore(item, item.previousElementSibling);
        } else if (+t.getAttribute('data-rank-move') > 0 && item.nextElementSibling) {
          list.insertBefore(item.nextElementSibling, item);
        }
        setRank(form, list);
      } else if (t.hasAttribute('data-rank-accept')) {
        setRank(form, form.querySelector('[data-rank="' + t.getAttribute('data-rank-accept') + '"]'));
      }
    }, true);
  }

  /* Appearances (XLSForm's appearance column) on the one-page questionnaire: each word is a
   * class on the question (ap-likert, ap-columns-3, ... laid out by fieldwork.css); minimal
   * puts a select_one's choices in a drop-down that ticks the same radio buttons, quick moves
   * on to the next question once a choice is made, numbers brings up the number keyboard. */
  function appear(el, words) {
    if (el.hasAttribute('data-appeared')) { return; }
    el.setAttribute('data-appeared', '');
    words.forEach(function (w) { if (/^[a-z0-9-]+$/.test(w)) { el.classList.add('ap-' + w); } });
    var radios = el.querySelectorAll('.choices input[type=radio]');
    if (words.indexOf('numbers') >= 0) {
      el.querySelectorAll('input:not([type]), input[type=text]').forEach(function (i) { i.setAttribute('inputmode', 'numeric'); });
    }
    if (words.indexOf('minimal') >= 0 && radios.length) {
      var select = document.createElement('select');
      select.setAttribute('data-minimal', radios[0].name);
      select.appendChild(new Option('…', ''));
      radios.forEach(function (r) { select.appendChild(new Option(r.parentNode.textContent.trim(), r.value)); });
      var legend = el.querySelector('legend');
      if (legend) { select.setAttribute('aria-label', legend.textContent.trim()); }
      el.querySelector('.choices').insertAdjacentElement('beforebegin', select);
    }
  }

  function syncMinimal(form) {
    form.querySelectorAll('select[data-minimal]').forEach(function (select) {
      var checked = form.querySelector('input[type=radio][name="' + select.getAttribute('data-minimal') + '"]:checked');
      select.value = checked ? checked.value : '';
      select.disabled = Array.prototype.some.call(form.querySelectorAll('input[name="' + select.getAttribute('data-minimal') + '"]'), function (r) { return r.disabled; });
    });
  }

  function pickMinimal(form, select) {
    form.querySelectorAll('input[type=radio][name="' + select.getAttribute('data-minimal') + '"]').forEach(function (r) {
      r.checked = r.value === select.value;
    });
    var first = form.querySelector('input[type=radio][name="' + select.getAttribute('data-minimal') + '"]');
    if (first) { first.dispatchEvent(new Event('change', { bubbles: true })); }
  }

  function moveOn(question) {
    var all = Array.prototype.slice.call(question.closest('form').querySelectorAll('.q[data-name]'));
    var control = 'input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled])';
    var next = all.slice(all.indexOf(question) + 1).filter(function (q) {
      return !q.hidden && q.offsetParent !== null && q.querySelector(control);
    })[0];
    if (!next) { return; }
    next.scrollIntoView({ block: 'center' });
    next.querySelector(control).focus({ preventScroll: true });
  }

  root.Widgets = { problem: problem, render: render, wire: wire, rangeOf: rangeOf, appear: appear };
})(typeof window !== 'undefined' ? window : globalThis);
