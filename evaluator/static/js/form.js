/* The questionnaire runtime: live skip logic, constraints and calculations from the survey's
 * JSON AST (the same rules the server checks, evaluator/fieldwork/logic.py), drafts saved in
 * IndexedDB from the first keystroke, and completed records queued for upload (sync.js). */
(function () {
  'use strict';
  var form = document.getElementById('questionnaire');
  if (!form || !window.Expr || !window.Store) { return; }
  var model = JSON.parse(document.getElementById('form-model').textContent);
  var context = JSON.parse(document.getElementById('form-context').textContent);
  var text = JSON.parse(document.getElementById('form-text').textContent);
  var lang = document.documentElement.lang === 'en' ? 'en' : 'zh';
  var META = { start: 1, end: 1, today: 1, deviceid: 1, username: 1 };
  var QUESTION = { text: 1, integer: 1, decimal: 1, select_one: 1, select_multiple: 1, date: 1, geopoint: 1, image: 1 };
  var ds = form.dataset;
  var multi = ds.multi === 'true';
  var state = { id: null, started: null, deprecated: form.elements.deprecated_id.value || null,
    photos: {}, gps: null, touched: {}, submitted: false, saving: null, locked: false };

  function msg(m) { return (m && (m[lang] || m.zh)) || ''; }
  function fields() { return model.fields; }
  function isQuestion(name) { return !!QUESTION[fields()[name].type]; }

  function deviceId() {
    var id = localStorage.getItem('evaluator.device');
    if (!id) { id = 'tablet-' + Store.uuid(); localStorage.setItem('evaluator.device', id); }
    return id;
  }

  /* -- reading and writing the page ------------------------------------------------------ */

  function inputsNamed(name) { return form.querySelectorAll('[name="' + name + '"]'); }

  function readValue(inputName, type) {
    var els = inputsNamed(inputName);
    if (type === 'select_one') {
      for (var i = 0; i < els.length; i++) { if (els[i].checked) { return els[i].value; } }
      return '';
    }
    if (type === 'select_multiple') {
      var out = [];
      els.forEach(function (e) { if (e.checked) { out.push(e.value); } });
      return out.join(' ');
    }
    return els.length ? String(els[0].value).trim() : '';
  }

  function writeValue(inputName, type, value) {
    var els = inputsNamed(inputName);
    value = value === undefined || value === null ? '' : String(value);
    if (type === 'select_one' || type === 'select_multiple') {
      var chosen = value.split(/\s+/);
      els.forEach(function (e) { e.checked = chosen.indexOf(e.value) >= 0; });
    } else {
      els.forEach(function (e) { e.value = value; });
    }
  }

  function instances(repeat) {
    return form.querySelectorAll('[data-repeat="' + repeat + '"] > .instances > .instance');
  }

  function collect() {
    var top = {}, reps = {};
    model.top.forEach(function (name) {
      var f = fields()[name];
      if (META[f.type] || f.type === 'calculate') { return; }
      top[name] = readValue(name, f.type);
    });
    Object.keys(model.repeats).forEach(function (repeat) {
      reps[repeat] = [];
      instances(repeat).forEach(function (el, i) {
        var entry = {};
        model.repeats[repeat].fields.forEach(function (name) {
          if (fields()[name].type !== 'calculate') { entry[name] = readValue(repeat + '-' + i + '-' + name, fields()[name].type); }
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

  function run(ast, ctx, current) { return Expr.evaluate(ast, ctx, { current: current }); }

  function holds(asts, ctx) {
    for (var i = 0; i < asts.length; i++) {
      try { if (!Expr.toBoolean(run(asts[i], ctx))) { return false; } } catch (e) { return true; }
    }
    return true;
  }

  function calcValue(f, ctx) {
    try {
      var v = run(f.calculation, ctx);
      if (Array.isArray(v) || (typeof v === 'number' && !isFinite(v))) { return ''; }
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
    return '';
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
    return { answers: answers, problems: problems, relevance: settled.relevance, repeatOn: settled.repeatOn, raw: collect() };
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
      var shown = problem && (state.submitted || (state.touched[input] && problem.code !== 'required'));
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
  }

  function setCalc(input, value) {
    form.querySelectorAll('[data-calc="' + input + '"]').forEach(function (o) { o.textContent = display(value); });
    inputsNamed(input).forEach(function (e) { e.value = value || ''; });
  }

  /* -- repeats ------------------------------------------------------------------------------ */

  var ATTRS = ['name', 'id', 'for', 'data-input', 'data-err', 'data-calc', 'data-photo', 'data-preview', 'data-geo'];

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

  /* -- drafts and the queue ------------------------------------------------------------------ */

  function payload(result, complete) {
    var attachments = [];
    Object.keys(state.photos).forEach(function (field) {
      if (result.answers[field]) { attachments.push(state.photos[field]); }
    });
    return {
      instance_id: state.id, evaluation_id: parseInt(ds.evaluation, 10), source: ds.source,
      household_id: ds.household || null, deprecated_id: state.deprecated,
      started_at: state.started, ended_at: complete ? new Date().toISOString() : null,
      device_id: deviceId(), gps: state.gps, answers: result.answers, attachments: attachments
    };
  }

  function saveDraft() {
    if (state.locked) { return Promise.resolve(); }
    if (!state.started) { state.started = new Date().toISOString(); }
    var result = check();
    var record = { instance_id: state.id, key: ds.key, status: 'draft', payload: payload(result, false),
      draft: result.raw, photos: state.photos, created: state.created || Date.now() };
    state.created = record.created;
    return Store.put(record).then(function () {
      setSaveState(text.saved + ' ' + new Date().toLocaleTimeString());
    });
  }

  /* Every change is written at once; while a write is in flight the next one waits for it,
   * so the draft on the tablet is never more than one write behind the screen. */
  var writing = false, again = false;
  function scheduleSave() {
    setSaveState('…');
    if (writing) { again = true; return; }
    writing = true;
    var done = function () {
      writing = false;
      if (again) { again = false; scheduleSave(); }
    };
    saveDraft().then(done, done);
  }

  function setSaveState(s) {
    var el = document.querySelector('[data-save-state]');
    if (el) { el.textContent = s; }
  }

  function restore(raw) {
    Object.keys(model.repeats).forEach(function (repeat) {
      var section = form.querySelector('[data-repeat="' + repeat + '"]');
      if (!section) { return; }
      section.querySelectorAll(':scope > .instances > .instance').forEach(function (i) { i.remove(); });
      (raw.reps[repeat] || []).forEach(function (entry, i) {
        addInstance(section);
        Object.keys(entry).forEach(function (name) { writeValue(repeat + '-' + i + '-' + name, fields()[name].type, entry[name]); });
      });
    });
    Object.keys(raw.top).forEach(function (name) {
      if (fields()[name]) { writeValue(name, fields()[name].type, raw.top[name]); }
    });
    Object.keys(state.photos).forEach(function (field) { showPhoto(field, state.photos[field]); });
  }

  function complete(event) {
    event.preventDefault();
    if (state.locked) { return; }
    state.submitted = true;
    var result = check();
    render(result);
    var bad = Object.keys(result.problems);
    var summary = form.querySelector('[data-summary]');
    if (bad.length) {
      summary.textContent = text.fix + ' (' + bad.length + ')';
      var first = form.querySelector('.q.bad');
      if (first) { first.scrollIntoView({ block: 'center' }); }
      return;
    }
    summary.textContent = '';
    var record = { instance_id: state.id, key: ds.key, status: 'queued', payload: payload(result, true),
      draft: result.raw, created: state.created || Date.now(), completed: Date.now(), attempts: 0 };
    Store.put(record).then(function () {
      setSaveState(text.queued);
      return Sync.run(true);
    }).then(function () {
      if (multi) { startFresh(); } else { lockDone(record.instance_id); }
    });
  }

  function lockDone(instanceId) {
    return Store.get(instanceId).then(function (record) {
      state.locked = true;
      form.classList.add('locked');
      form.querySelectorAll('input, textarea, button').forEach(function (e) {
        if (e.type !== 'hidden') { e.disabled = true; }
      });
      var note = document.querySelector('[data-local-done]');
      if (note && record) {
        note.hidden = false;
        note.scrollIntoView({ block: 'center' });
        var line = record.status === 'sent' ? text.done_sent : (record.status === 'queued' ? text.done_queued : text.conflict + ': ' + (record.last_error || ''));
        note.querySelector('[data-local-done-text]').textContent = line;
        note.querySelector('[data-edit-local]').onclick = function () { editFrom(record); };
      }
    });
  }

  function editFrom(record) {
    // A refused record was never stored: fix it under its own id. A stored or queued one is
    // replaced by a new record that names it (deprecated_id), as ODK edits do.
    var stored = record.status === 'sent' || record.status === 'queued' || record.status === 'conflict';
    state.id = stored ? Store.uuid() : record.instance_id;
    state.deprecated = stored ? record.instance_id : (record.payload.deprecated_id || null);
    state.started = new Date().toISOString();
    state.locked = false;
    state.submitted = false;
    form.classList.remove('locked');
    form.querySelectorAll('input, textarea, button').forEach(function (e) { e.disabled = false; });
    document.querySelector('[data-local-done]').hidden = true;
    if (record.draft) { restore(record.draft); }
    if (!stored) { record.status = 'draft'; Store.put(record); }
    render(check());
    saveDraft();
  }

  function startFresh() {
    state.id = Store.uuid();
    state.started = null;
    state.deprecated = null;
    state.photos = {};
    state.touched = {};
    state.submitted = false;
    state.created = null;
    form.reset();
    Object.keys(model.repeats).forEach(function (repeat) {
      form.querySelectorAll('[data-repeat="' + repeat + '"] > .instances > .instance').forEach(function (i) { i.remove(); });
    });
    render(check());
    setSaveState(text.queued);
    window.scrollTo(0, 0);
  }

  /* -- photos and location -------------------------------------------------------------------- */

  function showPhoto(field, photo) {
    var img = form.querySelector('[data-preview="' + field + '"]');
    if (img && photo && photo.data) { img.src = 'data:' + photo.content_type + ';base64,' + photo.data; img.hidden = false; }
  }

  function takePhoto(input) {
    var field = input.getAttribute('data-photo');
    var file = input.files && input.files[0];
    if (!file) { return; }
    if (['image/jpeg', 'image/png', 'image/webp'].indexOf(file.type) < 0) { alert(text.photo_bad); return; }
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
      var name = field.replace(/[^A-Za-z0-9_-]/g, '_') + '-' + Date.now() + '.jpg';
      state.photos[field] = { field: field, filename: name, content_type: 'image/jpeg', data: data };
      writeValue(field, 'text', name);
      showPhoto(field, state.photos[field]);
      changed();
    };
    img.src = url;
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

  /* -- wiring ------------------------------------------------------------------------------------- */

  function changed(event) {
    if (event && event.target && event.target.name) { state.touched[event.target.name] = true; }
    render(check());
    scheduleSave();
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
    if (t.hasAttribute('data-add')) {
      addInstance(t.closest('section.repeat'));
      changed();
    } else if (t.hasAttribute('data-remove')) {
      var section = t.closest('section.repeat');
      t.closest('.instance').remove();
      reindex(section);
      changed();
    } else if (t.hasAttribute('data-geo')) {
      locate(t);
    }
  });
  form.addEventListener('submit', complete);

  function start() {
    return Store.byKey(ds.key).then(function (records) {
      records.sort(function (a, b) { return (b.updated || 0) - (a.updated || 0); });
      var draft = records.filter(function (r) {
        return r.status === 'draft' && (r.payload.deprecated_id || null) === state.deprecated;
      })[0];
      if (draft) {
        state.id = draft.instance_id;
        state.started = draft.payload.started_at;
        state.created = draft.created;
        state.photos = draft.photos || {};
        state.gps = draft.payload.gps || null;
        restore(draft.draft);
        setSaveState(text.saved + ' ' + new Date(draft.updated).toLocaleTimeString());
        render(check());
        return;
      }
      state.id = Store.uuid();
      render(check());
      if (ds.existing && !multi) {  // stored on the server already: change it only as an edit
        state.locked = true;
        form.classList.add('locked');
        form.querySelectorAll('input, textarea, button').forEach(function (e) {
          if (e.type !== 'hidden') { e.disabled = true; }
        });
        return;
      }
      var done = records.filter(function (r) { return r.status !== 'draft'; })[0];
      if (done && !multi && !state.deprecated) {
        if (done.status === 'invalid') { editFrom(done); } else { lockDone(done.instance_id); }
      }
    }).catch(function () { state.id = state.id || form.elements.instance_id.value; render(check()); });
  }

  start();
})();
