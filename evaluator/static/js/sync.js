/* The queue on every signed-in page: how many records wait on this tablet ([data-queue-count]),
 * why they wait (a banner on the page, never a tooltip: sign in again, a Wi-Fi sign-in page,
 * records of another person), what this device holds per household on "my assignments", and
 * whether the browser agreed to keep the data (navigator.storage.persist()).
 *
 * Uploading itself is queue.js (shared with the service worker). This file starts it: on page
 * load, every 15 s while records wait, when the network returns, on "send now"; and registers a
 * Background Sync where the browser has one, so the worker sends the queue with no page open.
 * It also registers the service worker and asks it to refresh the forms kept offline. */
(function (root) {
  'use strict';
  var text = {}, user = '', timer = null;

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.content : '';
  }

  function fill(template, values) {
    return String(template || '').replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? '' : values[k]; });
  }

  function reasonText(code) { return text['reason_' + code] || text.reason_other || code; }

  function megabytes(bytes) {
    return bytes >= 1e9 ? (bytes / 1e9).toFixed(1) + ' GB' : (bytes / 1e6).toFixed(1) + ' MB';
  }

  /* -- what the page shows ------------------------------------------------------------------ */

  function show() {
    return Promise.all([Store.all(), Store.getMeta('upload-state'), Store.getMeta('storage')]).then(function (found) {
      var records = found[0], state = found[1] || {}, storage = found[2];
      var waiting = records.filter(Store.isWaiting);
      var refused = waiting.filter(function (r) { return r.status !== 'queued'; });
      document.querySelectorAll('[data-queue-count]').forEach(function (el) { el.textContent = String(waiting.length); });
      document.querySelectorAll('[data-queue-badge]').forEach(function (el) {
        el.classList.toggle('has-waiting', waiting.length > 0);
        el.classList.toggle('has-refused', refused.length > 0);
      });
      banner(waiting, refused, state, storage);
      markTasks(records);
      root.dispatchEvent(new CustomEvent('queue-changed', { detail: { records: records, state: state } }));
      return records;
    }).catch(function (error) { storageBroken(error); });
  }

  function banner(waiting, refused, state, storage) {
    var el = document.querySelector('[data-sync-banner]');
    if (!el) { return; }
    var lines = [];
    var mine = waiting.filter(function (r) { return r.status === 'queued' && (!r.author || r.author === user); });
    if (mine.length && (state.state === 'signin' || state.state === 'blocked')) {
      var kind = state.state === 'signin' ? 'signin' : (state.reason === 'redirect' ? 'redirect' : 'portal');
      lines.push({ text: fill(text['banner_' + kind], { n: mine.length }), signin: kind !== 'portal' });
    }
    var others = {};
    waiting.forEach(function (r) { if (r.author && r.author !== user) { others[r.author] = (others[r.author] || 0) + 1; } });
    Object.keys(others).sort().forEach(function (who) {
      lines.push({ text: fill(text.banner_other, { n: others[who], user: who }), signin: false });
    });
    if (refused.length) { lines.push({ text: fill(text.banner_refused, { n: refused.length }), signin: false }); }
    if (storage && storage.free !== undefined && storage.free < 50e6) {
      lines.push({ text: fill(text.storage_low, { free: megabytes(storage.free) }), signin: false });
    }
    var list = el.querySelector('[data-banner-lines]');
    list.textContent = '';
    lines.forEach(function (line) {
      var p = document.createElement('p');
      p.textContent = line.text + ' ';
      if (line.signin) {
        var a = document.createElement('a');
        a.className = 'pill';
        a.href = '/auth/login?next=' + encodeURIComponent(location.pathname + location.search);
        a.textContent = text.sign_in_again;
        p.appendChild(a);
      }
      list.appendChild(p);
    });
    el.hidden = !lines.length;
  }

  function storageBroken(error) {
    var el = document.querySelector('[data-sync-banner]');
    if (!el) { return; }
    var list = el.querySelector('[data-banner-lines]');
    list.textContent = '';
    var p = document.createElement('p');
    p.textContent = fill(text.storage_broken, { error: (error && (error.name || error.message)) || '' });
    list.appendChild(p);
    el.hidden = false;
  }

  /* On "my assignments": what this device holds for each household. */
  function markTasks(records) {
    var tasks = document.querySelectorAll('a.task[data-key]');
    if (!tasks.length) { return; }
    var byKey = {};
    records.forEach(function (r) {
      if (r.status === 'superseded' || r.status === 'discarded') { return; }
      var seen = byKey[r.key];
      if (!seen || (r.updated || 0) > (seen.updated || 0)) { byKey[r.key] = r; }
    });
    tasks.forEach(function (a) {
      var r = byKey[a.getAttribute('data-key')];
      var el = a.querySelector('[data-local-state]');
      var label = r ? (text['local_' + r.status] || r.status) : '';
      if (r && r.author && r.author !== user && Store.isWaiting(r)) { label = fill(text.local_other, { user: r.author }); }
      el.textContent = label;
      el.className = 'local' + (r ? ' ' + r.status : '');
    });
  }

  /* navigator.storage.persist(): asked once per page load, the answer kept and shown. */
  function storage() {
    var s = navigator.storage;
    var el = document.querySelector('[data-storage]');
    if (!s || !s.persist) {
      if (el) { el.textContent = text.storage_unsupported; }
      return Promise.resolve();
    }
    return s.persisted().then(function (already) { return already || s.persist(); }).then(function (granted) {
      return (s.estimate ? s.estimate() : Promise.resolve({})).then(function (estimate) {
        var free = estimate.quota !== undefined ? estimate.quota - (estimate.usage || 0) : undefined;
        var answer = { persisted: !!granted, usage: estimate.usage, free: free, at: Date.now() };
        if (el) {
          el.textContent = (granted ? text.storage_persisted : text.storage_not_persisted) +
            (free !== undefined ? ' ' + fill(text.storage_usage, { used: megabytes(estimate.usage || 0), free: megabytes(free) }) : '');
          el.classList.toggle('warn', !granted);
        }
        return Store.setMeta('storage', answer);
      });
    }).catch(function () { /* shown by the failing save itself */ });
  }

  /* -- uploading ---------------------------------------------------------------------------- */

  function drain(force, waitMs) {
    if (navigator.onLine === false && !force) { return Promise.resolve({ state: 'retry' }); }
    return Queue.drain({ force: force, waitMs: waitMs }).then(function (outcome) {
      if (outcome.left) { backgroundSync(); }
      return outcome;
    }, function () { return { state: 'failed' }; }).then(function (outcome) { return show().then(function () { return outcome; }); });
  }

  function backgroundSync() {
    if (!('serviceWorker' in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register('evaluator-upload'); }
    }).catch(function () { /* no Background Sync here: pages drain the queue */ });
  }

  /* The form's submit: send now and report what became of that record. When another tab or
   * the worker is sending, wait for it to finish (a bounded wait), then send. */
  function send(id) {
    var bound = (parseInt(meta('upload-timeout'), 10) || 30) * 2000 + 5000;
    return drain(true, bound).then(function () { return Store.get(id); });
  }

  /* -- the service worker ---------------------------------------------------------------------- */

  /* Resolves to the worker's answer to this page's refresh (what it fetched), or null. */
  var refreshedBy;
  var refreshed = new Promise(function (resolve) { refreshedBy = resolve; });

  function registerWorker() {
    if (!('serviceWorker' in navigator)) { refreshedBy(null); return; }
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // "My assignments" is where new tasks appear: refresh the offline forms now; elsewhere the
      // worker refreshes at most every few minutes (an unchanged list costs one 304).
      var force = !!document.querySelector('[data-assignments]');
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) { refreshedBy(event.data); };
      registration.active.postMessage({ type: 'refresh', force: force }, [channel.port2]);
    }).catch(function () { refreshedBy(null); /* no service worker: the pages work online */ });
  }

  function init() {
    if (!document.querySelector('[data-queue-badge]') || !root.Store || !root.Queue) { return; }
    var labels = document.getElementById('sync-text');
    text = labels ? JSON.parse(labels.textContent) : {};
    user = meta('evaluator-user');
    Queue.configure({ api: meta('submissions-api'), session: meta('session-api'),
      timeout: parseInt(meta('upload-timeout'), 10) * 1000 || 0 });
    Queue.on(function () { show(); });
    show();
    storage();
    registerWorker();
    drain(false);
    timer = setInterval(function () { drain(false); }, 15000);
    root.addEventListener('online', function () { drain(true); });
    document.querySelectorAll('[data-sync-now]').forEach(function (b) {
      b.addEventListener('click', function () { drain(true); });
    });
  }

  root.Sync = { run: drain, show: show, send: send, reasonText: reasonText, refreshed: refreshed,
    text: function () { return text; }, user: function () { return user; }, fill: fill, storage: storage,
    stop: function () { clearInterval(timer); } };
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); } else { init(); }
})(window);
