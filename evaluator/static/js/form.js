/* The questionnaire runtime: live skip logic, constraints and calculations from the survey's
 * JSON AST (the same rules the server checks, evaluator/fieldwork/logic.py), repeats, photos
 * and location. It knows nothing of storage: record.js owns the record (drafts in IndexedDB,
 * the queue, what the server answered) and drives this through window.Questionnaire. */
(function () {
  'use strict';
  var form = document.getElementById('questionnaire');
  if (!form || !window.Expr || !window.FormColumns) { return; }
  var model = JSON.parse(document.getElementById('form-model').textContent);
  var context = JSON.parse(document.getElementById('form-context').textContent);
  var text = JSON.parse(document.getElementById('form-text').textContent);
  var lang = document.documentElement.lang === 'en' ? 'en' : 'zh';
  var META = { start: 1, end: 1, today: 1, deviceid: 1, username: 1 };
  var QUESTION = { text: 1, integer: 1, decimal: 1, select_one: 1, select_multiple: 1, date: 1, geopoint: 1, image: 1 };
  // The XLSForm widgets of widgets.js: asked like the others, checked by Widgets.problem().
  ['time', 'datetime', 'range', 'rank', 'barcode', 'audio', 'video', 'file', 'acknowledge',
    'geotrace', 'geoshape', 'phonenumber', 'email'].forEach(function (t) { QUESTION[t] = 1; });
  // revealed: inputs whose problems show before the form is completed (a page's Next, pages.js)
  var state = { photos: {}, gps: null, touched: {}, revealed: {}, submitted: false, locked: false, seen: {}, startGeo: '', pendingGeo: '' };
  var listeners = { change: [], submit: [], invalid: [], reset: [] };
  // XLSForm's default, read_only, repeat_count, trigger, calculated questions, start-geopoint
  // and appearances (columns.js), given what they need of this runtime
  var cols = window.FormColumns({ form: form, model: model, state: state, collect: collect,
    settle: settle, ctxOf: ctxOf, run: run, calcValue: calcValue, readValue: readValue,
    writeValue: writeValue, addInstance: addInstance });

  function msg(m) { return (m && (m[lang] || m.zh)) || ''; }
  function fields() { return model.fields; }
  function isQuestion(name) { return !!QUESTION[fields()[name].type]; }
  function emit(kind, value) { listeners[kind].forEach(function (fn) { fn(value); }); }

  /* -- reading and writing the page ------------------------------------------------------ */

  function inputsNamed(name) { return form.querySelectorAll('[name="' + name + '"]'); }

  /* How each question type reads and writes its inputs. A new widget type registers its own
   * pair with Questionnaire.widget(type, {read, write}); the rules never look at the inputs. */
  var WIDGETS = {
    select_one: {
      read: function (els) {
        for (var i = 0; i < els.length; i++) { if (els[i].checked) { return els[i].value; } }
        return '';
      },
      write: function (els, value) { els.forEach(function (e) { e.checked = e.value === value; }); }
    },
    select_multiple: {
      read: function (els) {
        var out = [];
        els.forEach(function (e) { if (e.checked) { out.push(e.value); } });
        return out.join(' ');
      },
      write: function (els, value) {
        var chosen = value.split(/\s+/);
        els.forEach(function (e) { e.checked = chosen.indexOf(e.value) >= 0; });
      }
    },
    '*': {
      read: function (els) { return els.length ? String(els[0].value).trim() : ''; },
      write: function (els, value) { els.forEach(function (e) { e.value = value; }); }
    }
  };

  function widget(type) { return WIDGETS[type] || WIDGETS['*']; }

  function readValue(inputName, type) { return widget(type).read(inputsNamed(inputName)); }

  function writeValue(inputName, type, value) {
    widget(type).write(inputsNamed(inputName), value === undefined || value === null ? '' : String(value));
  }

  function instances(repeat) {
    return form.querySelectorAll('[data-repeat="' + repeat + '"] > .instances > .instance');
  }

  function collect() {
    var top = {}, reps = {};
    model.top.forEach(function (name) {
      var f = fields()[name];
      if (META[f.type] || (f.type === 'calculate' && !f.trigger)) { return; }
      top[name] = f.type === 'start-geopoint' ? state.startGeo : readValue(name, f.type);
    });
    Object.keys(model.repeats).forEach(function (repeat) {
      reps[repeat] = [];
      instances(repeat).forEach(function (el, i) {
        var entry = {};
        model.repeats[repeat].fields.forEach(function (name) {
          if (fields()[name].type !== 'calculate' || fields()[name].trigger) { entry[name] = readValue(repeat + '-' + i + '-' + name, fields()[name].type); }
        });
        reps[repeat].push(entry);
      });
    });
    return { top: top, reps: reps };
  }

  /* -- the rules (a port of FormModel.check) ---------------------------------------------- */

  function ctxOf(top, reps, instance) {
    var ctx = Object.assign({}, context, top);
    Object.keys(model.repeats).forEach(function (repeat) {
      model.repeats[repeat].fields.forEach(function (name) {
        ctx[name] = (reps[repeat] || []).map(function (e) { return e[name] === undefined ? '' : e[name]; });
      });
    });
    if (instance) { Object.assign(ctx, instance); }
    return ctx;
  }

  function run(ast, ctx, current) { return Expr.evaluate(ast, ctx, { current: current, instances: model.instances }); }

  function holds(asts, ctx) {
    for (var i = 0; i < asts.length; i++) {
      try { if (!Expr.toBoolean(run(asts[i], ctx))) { return false; } } catch (e) { return true; }
    }
    return true;
  }

  function calcValue(f, ctx) {
    try {
      var v = run(f.calculation, ctx);
      // a repeat's list is no value; a lookup's node-set (v.nodeset) reads as its first value
      if ((Array.isArray(v) && !v.nodeset) || (typeof v === 'number' && !isFinite(v))) { return ''; }
      return Expr.toString(v);
    } catch (e) { return ''; }
  }

  function settle(top, reps) {
    var relevance = {}, repeatOn = {};
    for (var round = 0; round < 6; round++) {
      var before = JSON.stringify([top, reps]);
      model.calculations.forEach(function (name) {
        var f = fields()[name];
        if (!f.repeat) { top[name] = calcValue(f, ctxOf(top, reps)); } else {
          (reps[f.repeat] || []).forEach(function (entry) { entry[name] = calcValue(f, ctxOf(top, reps, entry)); });
        }
      });
      Object.keys(model.repeats).forEach(function (repeat) {
        repeatOn[repeat] = holds(model.repeats[repeat].relevant, ctxOf(top, reps));
        if (!repeatOn[repeat]) { reps[repeat] = []; }
      });
      model.top.forEach(function (name) {
        var on = holds(fields()[name].relevant, ctxOf(top, reps));
        relevance[name] = on;
        if (!on) { top[name] = ''; }
      });
      Object.keys(model.repeats).forEach(function (repeat) {
        model.repeats[repeat].fields.forEach(function (name) { relevance[name] = []; });
        (reps[repeat] || []).forEach(function (entry) {
          model.repeats[repeat].fields.forEach(function (name) {
            var on = holds(fields()[name].relevant, ctxOf(top, reps, entry));
            relevance[name].push(on);
            if (!on) { entry[name] = ''; }
          });
        });
      });
      if (JSON.stringify([top, reps]) === before) { break; }
    }
    return { relevance: relevance, repeatOn: repeatOn };
  }

  var NUM = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  function typeProblem(f, value) {
    var t = f.type;
    if (t === 'integer' && !/^-?[0-9]+$/.test(value)) {
      return lang === 'en' ? "'" + value + "' is not a whole number" : '“' + value + '”不是整数';
    }
    if (t === 'decimal' && !NUM.test(value)) {
      return lang === 'en' ? "'" + value + "' is not a number (digits and '.')" : '“' + value + '”不是数字（只用数字和小数点）';
    }
    if (t === 'date' && isNaN(Expr.toNumber(value))) {
      return lang === 'en' ? 'not a date YYYY-MM-DD' : '不是有效日期（年-月-日）';
    }
    if ((t === 'select_one' || t === 'select_multiple') && value.split(/\s+/).some(function (v) { return f.choices.indexOf(v) < 0; })) {
      return lang === 'en' ? 'not one of the choices' : '不是可选项';
    }
    return window.Widgets ? Widgets.problem(f, value, lang) : '';
  }

  function answerProblem(name, value, ctx) {
    var f = fields()[name];
    if (value === '') {
      var required = f.required;
      if (!required && f.required_if) { try { required = Expr.toBoolean(run(f.required_if, ctx)); } catch (e) { required = false; } }
      return required ? { code: 'required', message: msg(f.required_message) } : null;
    }
    var bad = typeProblem(f, value);
    if (bad) { return { code: 'type', message: bad }; }
    if (f.constraint) {
      try {
        if (!Expr.toBoolean(run(f.constraint, ctx, value))) { return { code: 'constraint', message: msg(f.constraint_message) }; }
      } catch (e) { return { code: 'rule', message: e.message }; }
    }
    return null;
  }

  function check() {
    var raw = collect();
    var top = raw.top, reps = raw.reps;
    var settled = settle(top, reps);
    var problems = {};
    model.top.forEach(function (name) {
      if (isQuestion(name) && settled.relevance[name]) {
        var p = answerProblem(name, top[name], ctxOf(top, reps));
        if (p) { problems[name] = p; }
      }
    });
    Object.keys(model.repeats).forEach(function (repeat) {
      (reps[repeat] || []).forEach(function (entry, i) {
        model.repeats[repeat].fields.forEach(function (name) {
          if (isQuestion(name) && settled.relevance[name][i]) {
            var p = answerProblem(name, entry[name], ctxOf(top, reps, entry));
            if (p) { problems[repeat + '-' + i + '-' + name] = p; }
          }
        });
      });
    });
    var answers = Object.assign({}, top, reps);
    return { answers: answers, problems: problems, relevance: settled.relevance, repeatOn: settled.repeatOn, raw: collect(), top: top, reps: reps };
  }

  /* -- showing the outcome ----------------------------------------------------------------- */

  function display(value) {
    if (value === '' || value === undefined) { return '…'; }
    var n = Number(value);
    if (NUM.test(String(value)) && isFinite(n) && Math.abs(n - Math.round(n)) > 1e-9) { return (Math.round(n * 100) / 100).toString(); }
    return String(value);
  }

  function render(result) {
    var answers = result.answers;
    form.querySelectorAll('.q[data-name]').forEach(function (el) {
      var name = el.getAttribute('data-name');
      var input = el.getAttribute('data-input');
      var f = fields()[name];
      if (!f) { return; }
      var on = true;
      if (f.repeat) {
        var m = /-(\d+)-/.exec(input);
        var i = m ? parseInt(m[1], 10) : -1;
        on = i >= 0 && result.relevance[name] ? result.relevance[name][i] !== false : true;
        if (f.type === 'calculate' && m && answers[f.repeat] && answers[f.repeat][i]) {
          setCalc(input, answers[f.repeat][i][name]);
        }
      } else {
        on = result.relevance[name] !== false;
        if (f.type === 'calculate') { setCalc(input, answers[name]); }
      }
      el.hidden = !on;
      var err = el.querySelector('[data-err]');
      var problem = result.problems[input];
      var shown = problem && (state.submitted || state.revealed[input] ||
        (state.touched[input] && problem.code !== 'required'));
      if (err) { err.textContent = shown ? problem.message : ''; }
      el.classList.toggle('bad', !!shown);
    });
    form.querySelectorAll('section.repeat[data-repeat]').forEach(function (section) {
      section.hidden = result.repeatOn[section.getAttribute('data-repeat')] === false;
    });
    form.querySelectorAll('section.group[data-group]').forEach(function (section) {
      section.hidden = !section.querySelector('.q:not([hidden])') &&
        !section.querySelector('section.repeat:not([hidden])');
    });
    form.querySelectorAll('output[data-ref]').forEach(function (out) {
      var v = answers[out.getAttribute('data-ref')];
      out.textContent = display(Array.isArray(v) ? v.length : v);
    });
    cols.applyReadOnly(result);
    cols.showCalculated(result);
    if (window.Widgets) { Widgets.render(form); }
  }

  function setCalc(input, value) {
    form.querySelectorAll('[data-calc="' + input + '"]').forEach(function (o) { o.textContent = display(value); });
    inputsNamed(input).forEach(function (e) { e.value = value || ''; });
  }

  /* -- repeats ------------------------------------------------------------------------------ */

  var ATTRS = ['name', 'id', 'for', 'data-input', 'data-err', 'data-calc', 'data-photo', 'data-preview', 'data-geo',
    'data-range-for', 'data-rank', 'data-rank-accept', 'data-ack', 'data-media', 'data-media-name', 'data-scan',
    'data-minimal'];

  function reindex(section) {
    var repeat = section.getAttribute('data-repeat');
    var pattern = new RegExp('(^|f-)' + repeat + '-\\d+-');
    section.querySelectorAll(':scope > .instances > .instance').forEach(function (inst, i) {
      inst.setAttribute('data-index', String(i));
      var number = inst.querySelector('[data-number]');
      if (number) { number.textContent = String(i + 1); }
      inst.querySelectorAll('*').forEach(function (el) {
        ATTRS.forEach(function (a) {
          var v = el.getAttribute(a);
          if (v) { el.setAttribute(a, v.replace(pattern, '$1' + repeat + '-' + i + '-')); }
        });
      });
    });
  }

  function addInstance(section) {
    var template = section.querySelector(':scope > template');
    var count = section.querySelectorAll(':scope > .instances > .instance').length;
    var holder = document.createElement('div');
    holder.innerHTML = template.innerHTML.replace(/__i__/g, String(count));
    var inst = holder.firstElementChild;
    section.querySelector(':scope > .instances').appendChild(inst);
    reindex(section);
    return inst;
  }

  /* -- photos and location -------------------------------------------------------------------- */

  function showPhoto(field, photo) {
    var img = form.querySelector('[data-preview="' + field + '"]');
    if (!img) { return; }
    if (photo && photo.data) { img.src = 'data:' + photo.content_type + ';base64,' + photo.data; img.hidden = false; } else {
      img.removeAttribute('src');
      img.hidden = true;
    }
  }

  function fieldError(field, message) {
    var err = form.querySelector('[data-err="' + field + '"]');
    if (err) { err.textContent = message; }
  }

  /* Free space is checked before a photo is kept: a photo that cannot be saved is refused at
   * once, with the reason, instead of failing later with the whole draft. */
  function roomFor(bytes) {
    var s = navigator.storage;
    if (!s || !s.estimate) { return Promise.resolve(true); }
    return s.estimate().then(function (e) {
      if (e.quota === undefined) { return true; }
      return e.quota - (e.usage || 0) > bytes * 3 + 5e6;
    }, function () { return true; });
  }

  function takePhoto(input) {
    var field = input.getAttribute('data-photo');
    var file = input.files && input.files[0];
    if (!file) { return; }
    input.value = '';  // the same photo can be chosen again (after a refusal, say)
    if (['image/jpeg', 'image/png', 'image/webp'].indexOf(file.type) < 0) { fieldError(field, text.photo_bad); return; }
    var url = URL.createObjectURL(file);
    var img = new Image();
    img.onload = function () {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
      var data = canvas.toDataURL('image/jpeg', 0.8).split(',')[1];
      URL.revokeObjectURL(url);
      roomFor(data.length).then(function (room) {
        if (!room) {
          fieldError(field, text.photo_no_room);
          emit('change', { notice: 'photo_no_room' });
          return;
        }
        var name = field.replace(/[^A-Za-z0-9_-]/g, '_') + '-' + Date.now() + '.jpg';
        state.photos[field] = { field: field, filename: name, content_type: 'image/jpeg', data: data };
        writeValue(field, 'text', name);
        showPhoto(field, state.photos[field]);
        changed();
      });
    };
    img.src = url;
  }

  /* widgets.js hands over its recordings and documents here; they are kept as photos are,
   * once there is room for them. */
  function attach(field, file) {
    roomFor(file.data.length).then(function (room) {
      if (!room) {
        fieldError(field, text.photo_no_room);
        emit('change', { notice: 'photo_no_room' });
        return;
      }
      state.photos[field] = file;
      writeValue(field, 'text', file.filename);
      changed();
    });
  }

  function locate(button) {
    var input = button.getAttribute('data-geo');
    if (!navigator.geolocation) { return; }
    button.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var c = pos.coords;
      writeValue(input, 'geopoint', [c.latitude.toFixed(6), c.longitude.toFixed(6), (c.altitude || 0).toFixed(1), (c.accuracy || 0).toFixed(1)].join(' '));
      state.gps = { lat: c.latitude, lon: c.longitude, accuracy: c.accuracy };
      button.textContent = '✓';
      changed();
    }, function () { button.textContent = text.no_gps; }, { enableHighAccuracy: true, timeout: 20000 });
  }

  /* -- restoring, clearing, locking ------------------------------------------------------------- */

  function restore(raw, photos, gps) {
    Object.keys(model.repeats).forEach(function (repeat) {
      var section = form.querySelector('[data-repeat="' + repeat + '"]');
      if (!section) { return; }
      section.querySelectorAll(':scope > .instances > .instance').forEach(function (i) { i.remove(); });
      ((raw && raw.reps && raw.reps[repeat]) || []).forEach(function (entry, i) {
        addInstance(section);
        Object.keys(entry).forEach(function (name) { writeValue(repeat + '-' + i + '-' + name, fields()[name].type, entry[name]); });
      });
    });
    Object.keys((raw && raw.top) || {}).forEach(function (name) {
      if (fields()[name]) { writeValue(name, fields()[name].type, raw.top[name]); }
    });
    state.photos = photos || {};
    state.gps = gps || null;
    state.revealed = {};
    state.startGeo = model.top.filter(function (n) { return fields()[n].type === 'start-geopoint'; })
      .map(function (n) { return (raw && raw.top && raw.top[n]) || ''; })[0] || '';
    form.querySelectorAll('[data-preview]').forEach(function (img) {
      showPhoto(img.getAttribute('data-preview'), state.photos[img.getAttribute('data-preview')]);
    });
    cols.applyAppearances(form);
    cols.fireTriggers(true);
    render(check());
    emit('reset', {});
  }

  function clear() {
    form.reset();
    Object.keys(model.repeats).forEach(function (repeat) {
      form.querySelectorAll('[data-repeat="' + repeat + '"] > .instances > .instance').forEach(function (i) { i.remove(); });
    });
    state.photos = {};
    state.gps = null;
    state.touched = {};
    state.revealed = {};
    state.submitted = false;
    state.startGeo = state.pendingGeo = '';
    form.querySelectorAll('[data-preview]').forEach(function (img) { showPhoto(img.getAttribute('data-preview'), null); });
    startRecord();
    emit('reset', { fresh: true });
  }

  /* A new record: defaults, counted repeats, triggers noted, the start location asked for.
   * A page the server filled with a stored record (an edit) takes no defaults. */
  function startRecord() {
    if (!form.elements.deprecated_id || !form.elements.deprecated_id.value) { cols.applyDefaults(null); }
    cols.fitRepeatCounts();
    cols.fireTriggers(true);
    render(check());
    cols.startLocation();
  }

  /* A locked form cannot change: every input and button is disabled, not just hidden (the
   * pages' Back and Next, data-nav, still turn the pages of a sent record). */
  function setLocked(locked) {
    state.locked = !!locked;
    if (!state.locked && state.pendingGeo && !state.startGeo) { state.startGeo = state.pendingGeo; }
    state.pendingGeo = '';
    form.classList.toggle('locked', state.locked);
    form.querySelectorAll('input, textarea, button, select').forEach(function (e) {
      if (e.type !== 'hidden' && !e.hasAttribute('data-nav')) { e.disabled = state.locked; }
    });
    cols.applyReadOnly(check());
  }

  /* -- wiring ------------------------------------------------------------------------------------- */

  function changed(event) {
    if (state.locked) { return; }
    if (event && event.target && event.target.name) { state.touched[event.target.name] = true; }
    cols.fitRepeatCounts();
    cols.fireTriggers(false);
    render(check());
    emit('change', {});
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', function (event) {
    if (event.target.hasAttribute('data-photo')) { takePhoto(event.target); return; }
    changed(event);
  });
  form.addEventListener('focusout', function (event) {
    if (event.target.name) { state.touched[event.target.name] = true; render(check()); }
  });
  form.addEventListener('click', function (event) {
    var t = event.target;
    if (state.locked) { return; }
    if (t.hasAttribute('data-add')) {
      var section = t.closest('section.repeat');
      cols.applyAppearances(addInstance(section));
      cols.applyDefaults(section.getAttribute('data-repeat'), section.querySelectorAll(':scope > .instances > .instance').length - 1);
      changed();
    } else if (t.hasAttribute('data-remove')) {
      var holder = t.closest('section.repeat');
      t.closest('.instance').remove();
      reindex(holder);
      cols.fireTriggers(true);  // the entries after it moved up: their triggers did not change
      changed();
    } else if (t.hasAttribute('data-geo')) {
      locate(t);
    }
  });

  /* Completing: every rule checked and shown; listeners get the answers only when none fail. */
  function complete() {
    state.submitted = true;
    var result = check();
    render(result);
    var bad = Object.keys(result.problems);
    var summary = form.querySelector('[data-summary]');
    if (bad.length) {
      summary.textContent = text.fix + ' (' + bad.length + ')';
      emit('invalid', bad[0]);  // a paged form turns to the page of the first (pages.js)
      var first = form.querySelector('.q.bad');
      if (first) { first.scrollIntoView({ block: 'center' }); }
      return null;
    }
    summary.textContent = '';
    return result;
  }

  cols.applyAppearances(form);
  startRecord();

  window.Questionnaire = {
    form: form, text: text, lang: lang,
    check: check, render: function () { render(check()); }, restore: restore, clear: clear,
    complete: complete, setLocked: setLocked, locked: function () { return state.locked; },
    photos: function () { return state.photos; }, gps: function () { return state.gps; },
    showAllProblems: function () { state.submitted = true; render(check()); },
    /* Show the problems of these inputs now (a page's Next), before the form is completed. */
    reveal: function (inputs) { inputs.forEach(function (i) { state.revealed[i] = true; }); render(check()); },
    onChange: function (fn) { listeners.change.push(fn); },
    onInvalid: function (fn) { listeners.invalid.push(fn); },
    onReset: function (fn) { listeners.reset.push(fn); },
    widget: function (type, impl) { WIDGETS[type] = impl; },
    attach: attach
  };
  if (window.Widgets) { Widgets.wire(form, text); }
})();
