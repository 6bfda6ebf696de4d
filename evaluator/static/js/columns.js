/* XLSForm's default, read_only, repeat_count and trigger columns, a question's calculation,
 * start-geopoint and appearances on the tablet (表单列). form.js hands over what these need of
 * its runtime (FormColumns(rt)) and calls them at fixed points: defaults when a record or a
 * repeat entry starts, counted repeats and triggers before each check, read-only answers and
 * calculated questions after each render. A survey without these columns has none of their
 * keys in its model, and nothing here runs. No eval(), no network. */
(function (root) {
  'use strict';
  var MAX_REPEATS = 60;  // logic.MAX_REPEATS

  root.FormColumns = function (rt) {  // rt: what form.js hands over
    var form = rt.form, model = rt.model, state = rt.state, Expr = root.Expr;
    function fields() { return model.fields; }

    /* default: the answer a new record, or a new repeat entry, starts with. */
    function applyDefaults(repeat, index) {
      var names = repeat ? model.repeats[repeat].fields : model.top;
      var wanted = names.filter(function (n) { return fields()[n].default !== undefined || fields()[n].default_expr; });
      if (!wanted.length) { return; }
      var raw = rt.collect(), entry = repeat ? (raw.reps[repeat] || [])[index] : null;
      wanted.forEach(function (name) {
        var f = fields()[name], value = f.default || '';
        if (f.default_expr) {
          try { value = Expr.toString(rt.run(f.default_expr, rt.ctxOf(raw.top, raw.reps, entry))); } catch (e) { value = ''; }
        }
        var key = (repeat ? repeat + '-' + index + '-' : '') + name;
        if (rt.readValue(key, f.type) === '') { rt.writeValue(key, f.type, value); }  // never over an answer
      });
    }

    /* read_only: the answer is shown but cannot be edited (yes, or while an expression holds). */
    function applyReadOnly(result) {
      form.querySelectorAll('.q[data-name]').forEach(function (el) {
        var f = fields()[el.getAttribute('data-name')];
        if (!f || !f.read_only) { return; }
        var on = f.read_only === true;
        if (!on) {
          var m = /-(\d+)-/.exec(el.getAttribute('data-input'));
          var entry = f.repeat && m && result.reps[f.repeat] ? result.reps[f.repeat][+m[1]] : null;
          try { on = Expr.toBoolean(rt.run(f.read_only, rt.ctxOf(result.top, result.reps, entry))); } catch (e) { on = false; }
        }
        el.classList.toggle('readonly', on);
        el.querySelectorAll('input, textarea, select, button').forEach(function (e) {
          if (e.type !== 'hidden') { e.disabled = state.locked || on; }
        });
      });
    }

    /* A browser leaves disabled inputs out of a plain post (the fallback when the tablet has no
     * usable storage): read-only answers are enabled again for it. Runs after record.js, which
     * stops the post in every other case. */
    document.addEventListener('submit', function (event) {
      if (event.target !== form || event.defaultPrevented) { return; }
      form.querySelectorAll('.q.readonly input:disabled, .q.readonly textarea:disabled').forEach(function (e) { e.disabled = false; });
    });

    /* A question with a calculation (and no trigger) shows the computed answer, as ODK does. */
    function showCalculated(result) {
      model.calculations.forEach(function (name) {
        var f = fields()[name];
        if (f.type === 'calculate') { return; }
        if (!f.repeat) {
          if (rt.readValue(name, f.type) !== String(result.top[name])) { rt.writeValue(name, f.type, result.top[name]); }
          return;
        }
        (result.reps[f.repeat] || []).forEach(function (entry, i) {
          var key = f.repeat + '-' + i + '-' + name;
          if (rt.readValue(key, f.type) !== String(entry[name])) { rt.writeValue(key, f.type, entry[name]); }
        });
      });
    }

    /* repeat_count: the repeat holds as many entries as its count says (no add or remove). */
    function fitRepeatCounts() {
      Object.keys(model.repeats).forEach(function (repeat) {
        var count = model.repeats[repeat].count;
        var section = form.querySelector('section.repeat[data-repeat="' + repeat + '"]');
        if (!count || !section) { return; }
        section.classList.add('counted');
        var raw = rt.collect(), n;
        rt.settle(raw.top, raw.reps);
        try { n = Math.floor(Expr.toNumber(rt.run(count, rt.ctxOf(raw.top, raw.reps)))); } catch (e) { return; }
        if (!isFinite(n)) { return; }
        n = Math.max(0, Math.min(n, MAX_REPEATS));
        var have = section.querySelectorAll(':scope > .instances > .instance');
        for (var i = have.length; i < n; i++) { applyAppearances(rt.addInstance(section)); applyDefaults(repeat, i); }
        for (var j = have.length - 1; j >= n; j--) { have[j].remove(); }
      });
    }

    /* trigger: the calculation runs when a trigger field changes, not on every change (ODK's
     * setvalue on xforms-value-changed). state.seen holds the trigger values last looked at;
     * remember=true only notes them (a new or restored record fires nothing). */
    function fireTriggers(remember) {
      var triggered = Object.keys(fields()).filter(function (n) { return fields()[n].trigger; });
      if (!triggered.length) { return; }
      var raw = rt.collect();
      rt.settle(raw.top, raw.reps);
      function look(name, prefix, entry) {
        var f = fields()[name];
        var now = JSON.stringify(f.trigger.map(function (t) { return entry && t in entry ? entry[t] : raw.top[t]; }));
        var key = prefix + name;
        if (!remember && state.seen[key] !== undefined && state.seen[key] !== now) {
          rt.writeValue(key, f.type, f.calculation ? rt.calcValue(f, rt.ctxOf(raw.top, raw.reps, entry)) : '');
        }
        state.seen[key] = now;
      }
      if (remember) { state.seen = {}; }
      triggered.forEach(function (name) {
        var repeat = fields()[name].repeat;
        if (!repeat) { look(name, '', null); return; }
        (raw.reps[repeat] || []).forEach(function (entry, i) { look(name, repeat + '-' + i + '-', entry); });
      });
    }

    /* start-geopoint: where the tablet is when the form opens, if the browser may say so. */
    function startLocation() {
      var wanted = model.top.some(function (n) { return fields()[n].type === 'start-geopoint'; });
      if (!wanted || !navigator.geolocation || state.startGeo) { return; }
      function ask() {
        navigator.geolocation.getCurrentPosition(function (pos) {
          var c = pos.coords;
          var where = [c.latitude.toFixed(6), c.longitude.toFixed(6), (c.altitude || 0).toFixed(1), (c.accuracy || 0).toFixed(1)].join(' ');
          // kept with the next change; a form still locked (record.js reading the tablet's
          // records) takes it when it opens as a new record
          if (state.locked) { state.pendingGeo = where; } else if (!state.startGeo) { state.startGeo = where; }
        }, function () { /* not allowed or no signal: recorded empty */ }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
      }
      if (navigator.permissions && navigator.permissions.query) {
        navigator.permissions.query({ name: 'geolocation' }).then(function (p) { if (p.state !== 'denied') { ask(); } }, ask);
      } else { ask(); }
    }

    /* appearance: what widgets.js makes of minimal, likert, quick, numbers and columns. */
    function applyAppearances(scope) {
      if (!window.Widgets || !Widgets.appear) { return scope; }
      scope.querySelectorAll('.q[data-name]').forEach(function (el) {
        var f = fields()[el.getAttribute('data-name')];
        if (f && f.appearance) { Widgets.appear(el, f.appearance.split(/\s+/)); }
      });
      return scope;
    }

    return { applyDefaults: applyDefaults, applyReadOnly: applyReadOnly, showCalculated: showCalculated,
      fitRepeatCounts: fitRepeatCounts, fireTriggers: fireTriggers, startLocation: startLocation,
      applyAppearances: applyAppearances };
  };
})(window);
