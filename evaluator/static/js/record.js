/* The record on the questionnaire page: who owns it, its drafts, its submission, and what the
 * server said about it.
 *
 * - One window at a time owns a household's form (Web Lock `form:<key>`); another window shows
 *   that and can take it over, and the first then stops saving. The store refuses a save from a
 *   window that lost the draft, so the two can never both write it.
 * - Every change is saved as a draft at once; a save that fails is shown at once, in red, and
 *   nothing is called saved that was not.
 * - "Complete and send" locks the form, queues the record (from then on it never changes) and
 *   waits for the server's acknowledgement of it, or until the person stops waiting.
 * - Reopened, a completed record shows its answers and where it is: waiting (and why), uploaded,
 *   or refused with the reason and what can be done: send it as an edit of the stored record,
 *   keep both for the team lead, fix it, or discard it after a confirmation.
 * Changing a queued or uploaded record makes a new draft that names it (ODK's deprecatedID). */
(function () {
  'use strict';
  var Q = window.Questionnaire;
  if (!Q || !window.Store || !window.Sync) { return; }
  var form = Q.form, ds = form.dataset, text = Q.text;
  var multi = ds.multi === 'true';
  var key = ds.key;
  var tab = Store.uuid();
  var author = (document.querySelector('meta[name="evaluator-user"]') || {}).content || '';
  var state = {
    id: null, started: null, created: null, supersedes: [],
    deprecated: form.elements.deprecated_id.value || null,
    owner: false, submitting: false, broken: false, lost: false
  };
  var panel = document.querySelector('[data-record]');
  var saveState = document.querySelector('[data-save-state]');
  var saveBar = document.querySelector('.savebar');

  function has(name) { return text[name] !== undefined || Sync.text()[name] !== undefined; }
  function t(name, values) { return Sync.fill(text[name] || Sync.text()[name] || name, values || {}); }

  function deviceId() {
    try {
      var id = localStorage.getItem('evaluator.device');
      if (!id) { id = 'tablet-' + Store.uuid(); localStorage.setItem('evaluator.device', id); }
      return id;
    } catch (e) { return 'tablet-unknown'; }
  }

  function clock(ms) { return new Date(ms).toLocaleTimeString(); }

  function setSave(message, failed) {
    if (saveState) { saveState.textContent = message; }
    if (saveBar) { saveBar.classList.toggle('failed', !!failed); }
  }

  /* -- the notice area ------------------------------------------------------------------------- */

  function button(label, attr, action) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'pill';
    b.textContent = label;
    b.setAttribute(attr, '');
    b.addEventListener('click', action);
    return b;
  }

  function notice(kind, lines, actions) {
    var box = document.createElement('div');
    box.className = 'notice record-' + kind;
    box.setAttribute('data-record-state', kind);
    lines.forEach(function (line, i) {
      if (!line) { return; }
      var p = document.createElement('p');
      p.className = i === 0 ? 'line' : 'reason';
      p.textContent = line;
      box.appendChild(p);
    });
    if (actions && actions.length) {
      var row = document.createElement('p');
      row.className = 'actions';
      actions.forEach(function (a) { row.appendChild(a); });
      box.appendChild(row);
    }
    return box;
  }

  var shown = 0;
  function showPanel(boxes) {
    shown += 1;
    panel.setAttribute('data-seq', String(shown));  // lets a test tell a new notice from the last
    panel.textContent = '';
    boxes.forEach(function (b) { panel.appendChild(b); });
    panel.hidden = !boxes.length;
  }

  function failedSave(error) {
    var name = (error && error.name) || 'Error';
    if (name === 'TakenOver') { lose(); return; }
    if (name === 'Immutable' && state.submitting) { return; }
    var reason = name === 'QuotaExceededError' ? t('storage_full') : name;
    setSave(t('save_failed', { error: reason }), true);
    var box = document.querySelector('[data-save-failed]');
    if (box) {
      box.hidden = false;
      box.querySelector('[data-save-failed-text]').textContent = t('save_failed_long', { error: reason });
    }
  }

  function savedOk(when) {
    setSave(t('saved') + ' ' + clock(when), false);
    var box = document.querySelector('[data-save-failed]');
    if (box) { box.hidden = true; }
  }

  /* -- owning the form ------------------------------------------------------------------------- */

  function lockName() { return 'form:' + key; }

  /* Resolves once this window owns the form; shows who has it until then. */
  function acquire() {
    var locks = navigator.locks;
    if (!locks || !locks.request) { return Promise.resolve(); }
    return new Promise(function (owned) {
      var hold = function (lock) {
        if (!lock) { return null; }
        state.owner = true;
        owned();
        return new Promise(function () { /* held while the page lives */ });
      };
      var steal = function () { locks.request(lockName(), { steal: true }, hold).catch(lose); };
      if (sessionStorage.getItem('evaluator.steal') === key) {
        sessionStorage.removeItem('evaluator.steal');
        steal();
        return;
      }
      locks.request(lockName(), { ifAvailable: true }, hold).then(function (result) {
        if (result === null && !state.owner) {
          Q.setLocked(true);
          form.setAttribute('data-ready', 'elsewhere');
          showPanel([notice('elsewhere', [t('open_elsewhere')], [button(t('continue_here'), 'data-take-over', steal)])]);
        }
      }, lose);
    });
  }

  /* Another window took the form over: stop saving here, say so, offer to take it back. */
  function lose() {
    if (state.lost) { return; }
    state.lost = true;
    state.owner = false;
    Q.setLocked(true);
    setSave(t('taken_over'), false);
    showPanel([notice('elsewhere', [t('taken_over')], [button(t('continue_here'), 'data-take-over', function () {
      sessionStorage.setItem('evaluator.steal', key);
      location.reload();
    })])]);
  }

  /* -- drafts ------------------------------------------------------------------------------------ */

  function payload(result, complete) {
    var photos = Q.photos(), attachments = [];
    Object.keys(photos).forEach(function (field) { if (result.answers[field]) { attachments.push(photos[field]); } });
    var body = {
      instance_id: state.id, evaluation_id: parseInt(ds.evaluation, 10), source: ds.source,
      household_id: ds.household || null, deprecated_id: state.deprecated,
      started_at: state.started, ended_at: complete ? new Date().toISOString() : null,
      device_id: deviceId(), gps: Q.gps(), answers: result.answers, attachments: attachments
    };
    if (author) { body.author = author; }
    return body;
  }

  function draftRecord() {
    if (!state.id) { state.id = Store.uuid(); }
    if (!state.started) { state.started = new Date().toISOString(); }
    if (!state.created) { state.created = Date.now(); }
    var result = Q.check();
    var body = payload(result, false);
    body.attachments = [];  // a draft keeps its photos once, in `photos`; the queued record in its payload
    return { instance_id: state.id, key: key, author: author, payload: body, draft: result.raw,
      photos: Q.photos(), created: state.created, supersedes: state.supersedes };
  }

  /* Every change is written at once; while a write is in flight the next one waits for it, so
   * the draft on the tablet is never more than one write behind the screen. */
  var writing = false, again = false;
  function scheduleSave() {
    if (!state.owner || state.lost || state.submitting || Q.locked()) { return; }
    setSave('…', false);
    if (writing) { again = true; return; }
    writing = true;
    var done = function () {
      writing = false;
      if (again) { again = false; scheduleSave(); }
    };
    Store.saveDraft(draftRecord(), tab).then(function (saved) { savedOk(saved.updated); }, failedSave).then(done, done);
  }

  function edit(tip, options) {
    // A new draft that names the record it changes; the old one stays as it is.
    options = options || {};
    state.id = Store.uuid();
    state.started = new Date().toISOString();
    state.created = Date.now();
    state.deprecated = options.deprecated !== undefined ? options.deprecated : tip.instance_id;
    state.supersedes = options.supersedes || [];
    Q.setLocked(false);
    Q.restore(tip.draft, tip.photos || photosOf(tip), tip.payload.gps);
    if (options.showProblems) { Q.showAllProblems(); }
    showPanel([notice('editing', [t('editing')])]);
    scheduleSave();
  }

  function photosOf(record) {
    var found = {};
    (record.payload.attachments || []).forEach(function (a) { if (a.data) { found[a.field] = a; } });
    return found;
  }

  /* -- completing and sending ------------------------------------------------------------------- */

  function complete(event) {
    if (state.broken) { return; }  // storage unusable: the form posts to the server instead
    event.preventDefault();
    if (Q.locked() || !state.owner) { return; }
    var result = Q.complete();
    if (!result) { return; }
    if (!state.id) { state.id = Store.uuid(); }
    if (!state.started) { state.started = new Date().toISOString(); }
    var record = { instance_id: state.id, key: key, author: author, payload: payload(result, true), draft: result.raw,
      created: state.created || Date.now(), completed: Date.now(), attempts: 0 };
    state.submitting = true;
    Q.setLocked(true);
    Store.enqueue(record, tab, state.supersedes).then(function () {
      setSave(t('queued'), false);
      Queue.announce({ type: 'queued', id: record.instance_id });
      return waitForAnswer(record.instance_id);
    }, function (error) {
      state.submitting = false;
      Q.setLocked(false);
      failedSave(error);
      showPanel([notice('failed', [t('not_queued', { error: (error && error.name) || '' })])]);
      return null;
    }).then(function (stored) {
      if (!stored) { return; }
      state.submitting = false;
      if (multi) {
        showPanel([outcomeBox(stored)]);
        startFresh();
        return refreshWaiting();
      }
      return show(stored);
    });
  }

  /* Wait for the server's answer about this record, or until the person stops waiting. */
  function waitForAnswer(id) {
    var stop;
    var stopped = new Promise(function (resolve) { stop = resolve; });
    showPanel([notice('sending', [t('sending')], [button(t('stop_waiting'), 'data-stop-waiting', function () {
      Queue.cancel();
      stop();
    })])]);
    return Promise.race([Sync.send(id), stopped]).then(function () { return Store.get(id); });
  }

  function startFresh() {
    state.id = null;
    state.started = null;
    state.created = null;
    state.deprecated = null;
    state.supersedes = [];
    Q.clear();
    Q.setLocked(false);
    window.scrollTo(0, 0);
  }

  /* -- what became of a record ------------------------------------------------------------------ */

  function reason(record, upload) {
    if (record.status === 'queued') {
      var code = record.last_error || (upload && upload.state !== 'ok' && upload.state !== 'idle' ? upload.reason : '');
      return code ? t('last_try', { reason: Sync.reasonText(code) }) : '';
    }
    var known = 'conflict_' + record.last_error;
    return has(known) ? t(known) : (record.message || Sync.reasonText(record.last_error));
  }

  function problemLines(record) {
    var lang = Q.lang;
    return (record.problems || []).map(function (p) {
      var where = p.repeat ? p.field + ' (' + p.repeat + ' ' + p.instance + ')' : p.field;
      return where + ': ' + (lang === 'en' ? (p.message_en || p.message) : (p.message_zh || p.message));
    });
  }

  /* The local records that stand for one household's latest answers: a refused record and the
   * edits made of it on this tablet since (which wait for it). */
  function chainOf(root, records) {
    var chain = [root], grew = true;
    while (grew) {
      grew = false;
      records.forEach(function (r) {
        if (chain.indexOf(r) < 0 && Store.isWaiting(r) && chain.some(function (c) { return c.instance_id === r.payload.deprecated_id; })) {
          chain.push(r);
          grew = true;
        }
      });
    }
    return chain.sort(function (a, b) { return (a.completed || 0) - (b.completed || 0); });
  }

  function outcomeBox(record, upload, records) {
    if (record.status === 'sent') {
      return notice('sent', [multi ? t('forum_sent') : t('done_sent'), t('sent_at', { time: clock(record.sent_at || record.updated) })],
        multi ? [] : [button(t('edit_record'), 'data-edit-local', function () { edit(record); })]);
    }
    if (record.status === 'queued') {
      var line = record.author && record.author !== Sync.user() && Sync.user() ?
        t('waits_for_author', { user: record.author }) : (multi ? t('forum_queued') : t('done_queued'));
      return notice('queued', [line, reason(record, upload)], multi ? [] : [
        button(t('send_now'), 'data-send-now', function () { resend(record); }),
        button(t('edit_record'), 'data-edit-local', function () { edit(record); })]);
    }
    return refusedBox(record, records || [record]);
  }

  function refusedBox(record, records) {
    var chain = chainOf(record, records);
    var tip = chain[chain.length - 1];
    var ids = chain.map(function (r) { return r.instance_id; });
    var actions = [];
    if (record.status === 'invalid') {
      actions.push(button(t('fix_and_send'), 'data-fix', function () {
        edit(tip, { deprecated: record.payload.deprecated_id || null, supersedes: ids, showProblems: true });
        showPanel([notice('fixing', [t('fixing')].concat(problemLines(record)))]);
      }));
    } else if (record.stored_id) {
      actions.push(button(t('send_as_edit'), 'data-resolve-edit', function () { resolve(record, tip, ids, false); }));
      actions.push(button(t('keep_both'), 'data-resolve-keep', function () { resolve(record, tip, ids, true); }));
    } else {
      actions.push(button(t('try_again'), 'data-retry', function () { retry(record); }));
    }
    actions.push(button(t('discard'), 'data-discard', function (event) { confirmDiscard(event.target, chain); }));
    var lines = [t('refused'), reason(record)].concat(problemLines(record));
    if (chain.length > 1) { lines.push(t('chain_waits', { n: chain.length - 1 })); }
    return notice(record.status, lines, actions);
  }

  /* Send the latest local answers as a new record that names the stored one. */
  function resolve(record, tip, ids, keepBoth) {
    var body = JSON.parse(JSON.stringify(tip.payload));
    body.instance_id = Store.uuid();
    body.deprecated_id = record.stored_id;
    if (keepBoth) { body.keep_both = true; } else { delete body.keep_both; }
    var next = { instance_id: body.instance_id, key: tip.key, author: tip.author, payload: body, draft: tip.draft,
      created: Date.now(), completed: Date.now(), attempts: 0, resolves: record.instance_id };
    Store.enqueue(next, null, ids).then(function () {
      return waitForAnswer(next.instance_id);
    }).then(function (stored) { return show(stored); }, failedSave);
  }

  function retry(record) {
    Store.update(record.instance_id, function (current) {
      if (!current || (current.status !== 'conflict' && current.status !== 'invalid')) { return null; }
      current.status = 'queued';
      current.last_error = '';
      return current;
    }).then(function () { return waitForAnswer(record.instance_id); }).then(show, failedSave);
  }

  function resend(record) {
    waitForAnswer(record.instance_id).then(show);
  }

  /* Discarding asks first, on the page (two taps), and keeps the record on the device. */
  function confirmDiscard(trigger, chain) {
    var row = trigger.parentNode;
    row.textContent = '';
    var warning = document.createElement('span');
    warning.className = 'warn';
    warning.textContent = t('discard_confirm');
    row.appendChild(warning);
    row.appendChild(button(t('discard_yes'), 'data-discard-yes', function () {
      Promise.all(chain.map(function (r) {
        return Store.update(r.instance_id, function (current) {
          if (!current || !Store.isWaiting(current)) { return null; }
          current.status = 'discarded';
          current.discarded_at = Date.now();
          return current;
        });
      })).then(function () {
        Queue.announce({ type: 'record', id: chain[0].instance_id });
        startFresh();
        return load();
      });
    }));
    row.appendChild(button(t('discard_no'), 'data-discard-no', function () { load(); }));
  }

  /* -- opening the page ------------------------------------------------------------------------- */

  function live(r) { return r.status !== 'superseded' && r.status !== 'discarded'; }
  function newestFirst(a, b) { return (b.updated || 0) - (a.updated || 0); }

  function show(record) {
    return Promise.all([Store.byKey(key), Store.getMeta('upload-state')]).then(function (found) {
      var records = found[0].filter(live), upload = found[1];
      Q.setLocked(true);
      if (record.draft) { Q.restore(record.draft, record.photos || photosOf(record), record.payload.gps); }
      setSave(record.status === 'queued' ? t('queued') : t('local_' + record.status), false);
      showPanel([outcomeBox(record, upload, records)]);
      panel.scrollIntoView({ block: 'center' });
    });
  }

  /* The forum page takes many records: it lists those still waiting, each with its actions. */
  function refreshWaiting() {
    return Promise.all([Store.byKey(key), Store.getMeta('upload-state')]).then(function (found) {
      var records = found[0].filter(live);
      var waiting = records.filter(function (r) {
        return Store.isWaiting(r) && !records.some(function (o) { return Store.isWaiting(o) && o.instance_id === r.payload.deprecated_id; });
      }).sort(newestFirst);
      var kept = Array.prototype.slice.call(panel.children).filter(function (el) { return el.getAttribute('data-record-state') === 'sent'; });
      showPanel(kept.concat(waiting.map(function (r) { return outcomeBox(r, found[1], records); })));
    });
  }

  function resume(draft) {
    state.id = draft.instance_id;
    state.started = draft.payload.started_at;
    state.created = draft.created;
    state.deprecated = draft.payload.deprecated_id || null;
    state.supersedes = draft.supersedes || [];
    Q.setLocked(false);
    Q.restore(draft.draft, draft.photos, draft.payload.gps);
    return Store.claimDraft(draft.instance_id, tab).then(function () { savedOk(draft.updated); });
  }

  function load() {
    return Store.byKey(key).then(function (found) {
      var records = found.filter(live).sort(newestFirst);
      var serverEdit = form.elements.deprecated_id.value || null;
      var draft = records.filter(function (r) {
        return r.status === 'draft' && (!serverEdit || r.payload.deprecated_id === serverEdit) &&
          (!r.author || r.author === author);
      })[0];
      showPanel([]);
      if (multi) {
        return (draft ? resume(draft) : Promise.resolve(startFresh())).then(refreshWaiting);
      }
      var tip = records.filter(function (r) { return r.status !== 'draft'; })[0];
      var foreign = records.filter(function (r) { return r.status === 'draft' && r.author && r.author !== author; })[0];
      if (draft) {
        return resume(draft).then(function () {
          if (tip && Store.isWaiting(tip)) { return Store.getMeta('upload-state').then(function (u) { showPanel([outcomeBox(tip, u, records)]); }); }
        });
      }
      if (serverEdit) { state.deprecated = serverEdit; Q.setLocked(false); return; }  // prefilled by the server
      var serverId = ds.existing || '';
      if (tip && !(serverId && tip.status === 'sent' && tip.instance_id !== serverId)) { return show(tip); }
      if (foreign) {
        Q.setLocked(true);
        Q.restore(foreign.draft, foreign.photos, foreign.payload.gps);
        showPanel([notice('foreign', [t('draft_of_other', { user: foreign.author })])]);
        return;
      }
      if (serverId) { Q.setLocked(true); return; }  // stored on the server: changed only as an edit
      Q.setLocked(false);
    });
  }

  Q.onChange(function (change) {
    if (change && change.notice) { return; }
    scheduleSave();
  });
  form.addEventListener('submit', complete);
  Queue.on(function (message) {
    // Another window or the worker changed the queue: keep this page's view of it current.
    if (!state.owner || state.submitting || message.type !== 'record') { return; }
    Store.get(message.id).then(function (r) {
      if (!r || r.key !== key) { return; }
      if (multi) { refreshWaiting(); } else if (Q.locked() && live(r) && r.status !== 'draft') { show(r); }
    });
  });

  Q.setLocked(true);  // until this window owns the form and has read the tablet's records
  // data-ready tells tests (and nothing else) that the page has settled: owner, elsewhere, broken.
  acquire().then(load).then(function () { form.setAttribute('data-ready', 'owner'); }).catch(function (error) {
    // No usable storage on this device: say so; the form then posts to the server directly.
    state.broken = true;
    state.owner = true;
    Q.setLocked(false);
    failedSave(error);
    form.setAttribute('data-ready', 'broken');
  });
})();
