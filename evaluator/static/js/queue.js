/* The upload queue, shared by the pages and the service worker (Background Sync).
 *
 * Completed records go to the submissions API in the order they were completed. An upload
 * counts only when the server's own JSON acknowledgement of THIS record says so: status 200/201,
 * a JSON body, and its instance_id, status (created / already_stored), evaluation, source,
 * household and deprecated_id equal to what was sent, field by field. A captive Wi-Fi portal's
 * 200 HTML page, a redirect to a sign-in page, a cut-off body, an answer about another record,
 * a timeout: the record stays queued, with the reason written on it for the person to see.
 *
 * One drain at a time on the whole device (Web Lock `evaluator-upload`), so two tabs and the
 * worker never send the same record at once. Network trouble backs off for the whole queue
 * (not per record, so retries do not inflate it); a forced drain (send now, back online, a new
 * record) ignores the wait. Records wait for their author: a record made by eva1 is never
 * uploaded while someone else is signed in. Every change is announced on the
 * BroadcastChannel `evaluator-queue` so every open page shows the same queue. */
(function (root) {
  'use strict';
  var LOCK = 'evaluator-upload';
  var BASE = 2000, MAX = 5 * 60 * 1000;
  var settings = { api: '/api/v1/submissions', session: '/api/v1/session', timeout: 30000, bytesPerSecond: 25000 };
  var channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('evaluator-queue') : null;
  var listeners = [];
  var inFlight = null, cancelled = false, localBusy = false;

  function announce(message) {
    listeners.forEach(function (fn) { try { fn(message); } catch (e) { /* a listener's bug is not the queue's */ } });
    if (channel) { channel.postMessage(message); }
  }
  if (channel) {
    channel.onmessage = function (event) {
      listeners.forEach(function (fn) { try { fn(event.data); } catch (e) { /* see above */ } });
    };
  }

  function transportError(reason) {
    var error = new Error(reason);
    error.reason = reason;
    return error;
  }

  /* fetch with a deadline covering the whole answer (headers and body), and a way to cancel. */
  function fetchWithin(url, options, ms) {
    var controller = new AbortController();
    var timedOut = false;
    var timer = setTimeout(function () { timedOut = true; controller.abort(); }, ms);
    options.signal = controller.signal;
    inFlight = controller;
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) { return { response: response, text: text }; });
    }).then(function (answer) {
      clearTimeout(timer);
      inFlight = null;
      return answer;
    }, function () {
      clearTimeout(timer);
      inFlight = null;
      throw transportError(timedOut ? 'timeout' : (cancelled ? 'cancelled' : 'offline'));
    });
  }

  function isJson(response) {
    return (response.headers.get('Content-Type') || '').split(';')[0].trim() === 'application/json';
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function redirected(response) {
    return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
  }

  /* Who is signed in, and the CSRF token for this session (the page's own may be stale). */
  function session() {
    return fetchWithin(settings.session, {
      credentials: 'same-origin', redirect: 'manual', cache: 'no-store', headers: { Accept: 'application/json' }
    }, settings.timeout).then(function (answer) {
      var response = answer.response;
      if (redirected(response)) { return { state: 'blocked', reason: 'redirect' }; }
      if (!isJson(response)) { return { state: response.status >= 500 ? 'retry' : 'blocked', reason: 'not_json' }; }
      var body = parse(answer.text);
      if (!body) { return { state: 'retry', reason: 'truncated' }; }
      if (response.status === 401) { return { state: 'signin', reason: 'signin' }; }
      if (response.status !== 200 || !body.user || !body.csrf_token) { return { state: 'retry', reason: 'server' }; }
      return { state: 'ok', user: body.user, csrf: body.csrf_token };
    }, function (error) {
      return { state: 'retry', reason: error.reason || 'offline' };
    });
  }

  /* The acknowledgement check, field by field. */
  function acknowledges(body, payload) {
    var household = payload.source === 'forum' ? null : (payload.household_id || null);
    return !!body && typeof body === 'object' &&
      body.instance_id === payload.instance_id &&
      (body.status === 'created' || body.status === 'already_stored') &&
      body.evaluation_id === payload.evaluation_id &&
      body.source === payload.source &&
      (body.household_id || null) === household &&
      (body.deprecated_id || null) === (payload.deprecated_id || null);
  }

  /* What the answer to one upload means: stored | refused | retry | blocked | signin. */
  function judge(answer, payload) {
    var response = answer.response, status = response.status;
    if (redirected(response)) { return { outcome: 'blocked', reason: 'redirect' }; }
    if (!isJson(response)) {
      return { outcome: status >= 500 ? 'retry' : 'blocked', reason: status >= 500 ? 'server' : 'not_json' };
    }
    var body = parse(answer.text);
    if (body === null) { return { outcome: 'retry', reason: 'truncated' }; }
    if (status === 200 || status === 201) {
      return acknowledges(body, payload) ? { outcome: 'stored', body: body } : { outcome: 'retry', reason: 'wrong_ack' };
    }
    if (status === 401) { return { outcome: 'signin', reason: 'signin' }; }
    if (status === 400 && body.error === 'csrf') { return { outcome: 'retry', reason: 'csrf' }; }
    if (status >= 500 || status === 429 || status === 408) { return { outcome: 'retry', reason: 'server' }; }
    var invalid = status === 422 || status === 400 || status === 413;
    return { outcome: 'refused', status: invalid ? 'invalid' : 'conflict', reason: body.reason || body.error || ('http_' + status), body: body };
  }

  function send(record, who) {
    var body = JSON.stringify(record.payload);
    var deadline = settings.timeout + Math.round(body.length * 1000 / settings.bytesPerSecond);
    return fetchWithin(settings.api, {
      method: 'POST', credentials: 'same-origin', redirect: 'manual', cache: 'no-store', body: body,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': who.csrf }
    }, deadline).then(function (answer) { return judge(answer, record.payload); }, function (error) {
      return { outcome: error.reason === 'cancelled' ? 'cancelled' : 'retry', reason: error.reason || 'offline' };
    });
  }

  /* Write what the answer means onto the record: status fields only, never the answers. */
  function apply(record, result) {
    return Store.update(record.instance_id, function (current) {
      if (!current || current.status !== 'queued') { return null; }
      current.last_try = Date.now();
      if (result.outcome === 'stored') {
        var body = result.body;
        current.status = 'sent';
        current.sent_at = Date.now();
        current.review_state = body.review_state || '';
        current.receipt = { status: body.status, received_at: body.received_at || '', submitter: body.submitter || '' };
        current.last_error = '';
        // The server has the photos now; the tablet keeps the answers, not the bytes.
        (current.payload.attachments || []).forEach(function (a) { a.data = ''; });
      } else if (result.outcome === 'refused') {
        current.status = result.status;
        current.last_error = result.reason;
        current.message = result.body.message || '';
        current.problems = result.body.problems || [];
        current.stored_id = result.body.stored_id || null;
      } else {
        current.attempts = (current.attempts || 0) + 1;
        current.last_error = result.reason;
      }
      return current;
    }).then(function () { announce({ type: 'record', id: record.instance_id }); });
  }

  /* The automatic retries' wait. A drain the person asked for (send now, a new record, the
   * network back) that fails does not lengthen it: ten records completed offline are not ten
   * failures. */
  function backoff(failed, forced) {
    return Store.getMeta('backoff').then(function (state) {
      state = state || { failures: 0, next_try: 0 };
      if (failed && forced) { return null; }
      if (!failed) { state = { failures: 0, next_try: 0 }; } else {
        state.failures = Math.min(state.failures + 1, 12);
        var wait = Math.min(MAX, BASE * Math.pow(2, state.failures - 1));
        state.next_try = Date.now() + wait * (0.8 + 0.4 * Math.random());
      }
      return Store.setMeta('backoff', state);
    });
  }

  function pause(state, reason, user) {
    return Store.setMeta('upload-state', { state: state, reason: reason || '', user: user || '', at: Date.now() });
  }

  function sendable(record, all, user) {
    if (record.status !== 'queued') { return false; }
    if (record.author && record.author !== user) { return false; }  // waits for its author
    var before = record.payload.deprecated_id;
    // An edit goes after the record it replaces, when that one is still on this tablet unsent.
    return !(before && all.some(function (r) { return r.instance_id === before && Store.isWaiting(r); }));
  }

  function drainLocked(options) {
    var outcome = { sent: 0, refused: 0, state: 'idle', reason: '' };
    var attempted = {};
    cancelled = false;
    return Promise.all([Store.waiting(), Store.getMeta('backoff')]).then(function (found) {
      var queued = found[0].filter(function (r) { return r.status === 'queued'; });
      if (!queued.length) { return pause('idle', ''); }
      if (!options.force && found[1] && found[1].next_try > Date.now()) {
        outcome.state = 'deferred';
        return null;
      }
      return session().then(function (who) {
        if (who.state !== 'ok') {
          outcome.state = who.state;
          outcome.reason = who.reason;
          return pause(who.state, who.reason).then(function () { return backoff(who.state !== 'signin', options.force); });
        }
        var user = who.user.username;
        var next = function () {
          return Store.waiting().then(function (all) {
            var list = all.filter(function (r) { return !attempted[r.instance_id] && sendable(r, all, user); })
              .sort(function (a, b) { return (a.completed || 0) - (b.completed || 0); });
            if (!list.length || cancelled) { return null; }
            var record = list[0];
            attempted[record.instance_id] = true;
            return send(record, who).then(function (result) {
              return apply(record, result).then(function () {
                if (result.outcome === 'stored') { outcome.sent += 1; return next(); }
                if (result.outcome === 'refused') { outcome.refused += 1; return next(); }
                outcome.state = result.outcome === 'cancelled' ? 'idle' : result.outcome;
                outcome.reason = result.reason;
                return null;
              });
            });
          });
        };
        return next().then(function () {
          if (outcome.state === 'idle') {
            outcome.state = 'ok';
            return pause('ok', '', user).then(function () { return backoff(false, options.force); });
          }
          return pause(outcome.state, outcome.reason, user).then(function () {
            return backoff(outcome.state !== 'signin' && outcome.reason !== 'cancelled', options.force);
          });
        });
      });
    }).then(function () {
      return Store.waiting().then(function (all) {
        outcome.left = all.filter(function (r) { return r.status === 'queued'; }).length;
        announce({ type: 'drain', outcome: outcome });
        return outcome;
      });
    });
  }

  /* Send what can be sent now. Resolves to {sent, refused, left, state, reason}, or {busy: true}
   * when another tab or the worker is already sending (its result is announced). With
   * `waitMs`, waits (that long at most) for the other sender to finish, then sends: the person
   * who just completed a record gets an answer about that record, not about someone else's try. */
  function drain(options) {
    options = options || {};
    var work = function () { return drainLocked(options); };
    var locks = root.navigator && root.navigator.locks;
    if (locks && locks.request) {
      var mode = { ifAvailable: true };
      if (options.waitMs && typeof AbortController === 'function') {
        var controller = new AbortController();
        setTimeout(function () { controller.abort(); }, options.waitMs);
        mode = { signal: controller.signal };
      }
      return locks.request(LOCK, mode, function (lock) { return lock ? work() : null; })
        .then(function (result) { return result || { busy: true }; }, function () { return { busy: true }; });
    }
    if (localBusy) { return Promise.resolve({ busy: true }); }
    localBusy = true;
    return work().then(function (r) { localBusy = false; return r; }, function (e) { localBusy = false; throw e; });
  }

  root.Queue = {
    drain: drain,
    session: session,
    acknowledges: acknowledges,
    configure: function (values) { Object.keys(values || {}).forEach(function (k) { if (values[k]) { settings[k] = values[k]; } }); },
    /* Stop waiting for the upload in flight in this window (the record stays queued). */
    cancel: function () { cancelled = true; if (inFlight) { inFlight.abort(); } },
    /* Listen to every queue change on the device; returns a function that stops listening. */
    on: function (fn) {
      listeners.push(fn);
      return function () { listeners = listeners.filter(function (f) { return f !== fn; }); };
    },
    announce: announce
  };
})(self);
