/* The upload queue: completed records go to /api/v1/submissions in the order they were made,
 * with back-off while the network is away. A record leaves the queue only when the server has
 * acknowledged it (200 or 201); a refusal keeps it on the device, marked, for a person to see.
 * Every page shows how many records are waiting ([data-queue-count]). */
(function (root) {
  'use strict';
  var running = false, timer = null, paused = '';
  var BASE = 2000, MAX = 5 * 60 * 1000;

  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  function apiUrl() {
    var meta = document.querySelector('meta[name="submissions-api"]');
    return meta ? meta.content : '/api/v1/submissions';
  }

  function show() {
    return Store.all().then(function (records) {
      var waiting = records.filter(function (r) { return Store.WAITING.indexOf(r.status) >= 0; });
      var refused = waiting.filter(function (r) { return r.status !== 'queued'; }).length;
      document.querySelectorAll('[data-queue-count]').forEach(function (el) {
        el.textContent = String(waiting.length);
      });
      document.querySelectorAll('[data-queue-badge]').forEach(function (el) {
        el.classList.toggle('has-waiting', waiting.length > 0);
        el.classList.toggle('has-refused', refused > 0);
        el.title = paused || '';
      });
      root.dispatchEvent(new CustomEvent('queue-changed', { detail: { records: records } }));
      return records;
    });
  }

  function backoff(record, message) {
    record.attempts = (record.attempts || 0) + 1;
    var wait = Math.min(MAX, BASE * Math.pow(2, record.attempts - 1));
    record.next_try = Date.now() + wait * (0.8 + 0.4 * Math.random());
    record.last_error = message;
    return Store.put(record);
  }

  function send(record) {
    return fetch(apiUrl(), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token(), 'Accept': 'application/json' },
      body: JSON.stringify(record.payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        var status = response.status;
        if (status === 200 || status === 201) {
          record.status = 'sent';
          record.sent_at = Date.now();
          record.review_state = body.review_state || '';
          record.last_error = '';
          (record.payload.attachments || []).forEach(function (a) { a.data = ''; });
          return Store.put(record).then(function () { return 'next'; });
        }
        if (status === 401 || body.error === 'csrf') {
          paused = body.message || 'sign in again';
          return 'stop';
        }
        if (status >= 500 || status === 429) {
          return backoff(record, body.message || ('server ' + status)).then(function () { return 'stop'; });
        }
        record.status = status === 422 || status === 413 || status === 400 ? 'invalid' : 'conflict';
        record.last_error = body.message || ('refused: ' + status);
        record.problems = body.problems || [];
        return Store.put(record).then(function () { return 'next'; });
      });
    }, function () {
      return backoff(record, 'offline').then(function () { return 'stop'; });
    });
  }

  function run(force) {
    if (running) { return Promise.resolve(); }
    running = true;
    paused = '';
    return Store.all().then(function (records) {
      var sent = {};
      records.forEach(function (r) { if (r.status === 'sent') { sent[r.instance_id] = true; } });
      var queue = records.filter(function (r) { return r.status === 'queued'; })
        .sort(function (a, b) { return (a.completed || 0) - (b.completed || 0); });
      var step = function (i) {
        if (i >= queue.length) { return Promise.resolve(); }
        var record = queue[i];
        var waitingFor = record.payload.deprecated_id;
        if (waitingFor && records.some(function (r) { return r.instance_id === waitingFor && r.status !== 'sent'; })) {
          return step(i + 1);  // an edit goes after the record it replaces
        }
        if (!force && record.next_try && record.next_try > Date.now()) { return step(i + 1); }
        return send(record).then(function (outcome) {
          return outcome === 'stop' ? null : step(i + 1);
        });
      };
      return step(0);
    }).catch(function () { /* storage unavailable: nothing to send */ })
      .then(function () { running = false; return show(); });
  }

  function schedule() {
    if (timer) { clearInterval(timer); }
    timer = setInterval(function () { if (navigator.onLine !== false) { run(false); } }, 15000);
  }

  function registerWorker() {
    if (!('serviceWorker' in navigator)) { return; }
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var urls = [location.pathname];
      document.querySelectorAll('a[data-precache]').forEach(function (a) { urls.push(a.getAttribute('href')); });
      var post = function (list) {
        if (registration.active) { registration.active.postMessage({ type: 'precache', urls: list }); }
      };
      post(urls);
      if (navigator.onLine !== false) {
        fetch('/api/v1/assignments', { credentials: 'same-origin' }).then(function (r) {
          return r.ok ? r.json() : { assignments: [] };
        }).then(function (body) {
          post(body.assignments.map(function (a) { return a.form_url; }));
        }).catch(function () {});
      }
    }).catch(function () {});
  }

  function init() {
    if (!document.querySelector('[data-queue-badge]')) { return; }
    show();
    registerWorker();
    run(false);
    schedule();
    root.addEventListener('online', function () { run(true); });
    document.querySelectorAll('[data-sync-now]').forEach(function (b) {
      b.addEventListener('click', function () { run(true); });
    });
    document.querySelectorAll('form[data-logout]').forEach(function (f) {
      f.addEventListener('submit', function () {
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({ type: 'clear-pages' });
        }
      });
    });
    root.addEventListener('queue-changed', function (e) { markTasks(e.detail.records); });
  }

  /* On "my assignments": what this device holds for each household. */
  function markTasks(records) {
    var labels = document.getElementById('i18n-local');
    if (!labels) { return; }
    var text = JSON.parse(labels.textContent);
    var byKey = {};
    records.forEach(function (r) {
      var seen = byKey[r.key];
      if (!seen || (r.updated || 0) > (seen.updated || 0)) { byKey[r.key] = r; }
    });
    document.querySelectorAll('a.task[data-key]').forEach(function (a) {
      var r = byKey[a.getAttribute('data-key')];
      var el = a.querySelector('[data-local-state]');
      el.textContent = r ? (text[r.status] || r.status) : '';
      el.className = 'local' + (r ? ' ' + r.status : '');
    });
  }

  root.Sync = { run: run, show: show };
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); } else { init(); }
})(window);
