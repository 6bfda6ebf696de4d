/* Records on this device (IndexedDB), for the pages and the service worker alike.
 *
 * A record lives here from the first keystroke (a draft) until long after the server has
 * acknowledged it. The rules that keep a household's answers from being lost are enforced here,
 * inside one IndexedDB transaction each, so no tab, worker or race can break them:
 *   - a draft belongs to one tab at a time (its `tab` token); a save from another tab is refused;
 *   - a queued, sent or refused record is never rewritten by a draft save (it is immutable:
 *     changing it means a new record that names it, ODK's deprecatedID);
 *   - the upload queue only changes a record's status fields, never its payload;
 *   - nothing is deleted: a replaced record becomes `superseded`, a discarded one `discarded`.
 * Small device facts (upload pause, prefetch manifest, storage answer) live in a second
 * database, `evaluator-device`. */
(function (root) {
  'use strict';
  var WAITING = ['queued', 'conflict', 'invalid'];
  var databases = {};

  function open(name, upgrade) {
    if (!databases[name]) {
      databases[name] = new Promise(function (resolve, reject) {
        var request = indexedDB.open(name, 1);
        request.onupgradeneeded = function () { upgrade(request.result); };
        request.onsuccess = function () {
          var db = request.result;
          // A newer version of the app wants to upgrade the schema: let it (and reopen later).
          db.onversionchange = function () { db.close(); delete databases[name]; };
          resolve(db);
        };
        request.onerror = function () { delete databases[name]; reject(request.error); };
        request.onblocked = function () { delete databases[name]; reject(failure('Blocked', 'storage blocked by another window')); };
      });
    }
    return databases[name];
  }

  function records() {
    return open('evaluator-fieldwork', function (db) {
      var store = db.createObjectStore('records', { keyPath: 'instance_id' });
      store.createIndex('key', 'key');
      store.createIndex('status', 'status');
    });
  }

  function device() {
    return open('evaluator-device', function (db) { db.createObjectStore('meta', { keyPath: 'name' }); });
  }

  function failure(name, message) {
    var error = new Error(message);
    error.name = name;
    return error;
  }

  /* One transaction: `work(store, box, tx)` queues requests and puts its result in `box.value`.
   * Resolves after the commit, never before; rejects on abort with the reason that aborted it
   * (a rule below, or the browser's: QuotaExceededError, ...). */
  function run(opener, name, mode, work) {
    return opener().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var box = { value: undefined, error: null };
        tx.oncomplete = function () { resolve(box.value); };
        // A failed request aborts the whole transaction (nothing half-written); report why.
        tx.onabort = function () { reject(box.error || tx.error || failure('AbortError', 'storage write failed')); };
        try {
          work(tx.objectStore(name), box, tx);
        } catch (e) {
          box.error = e;
          try { tx.abort(); } catch (ignored) { /* already finished */ }
        }
      });
    });
  }

  function refuse(box, tx, error) {
    box.error = error;
    tx.abort();
  }

  /* Read one record, then decide in the same transaction. */
  function change(id, decide) {
    return run(records, 'records', 'readwrite', function (store, box, tx) {
      var request = store.get(id);
      request.onsuccess = function () {
        try {
          var outcome = decide(request.result);
          if (outcome) {
            outcome.updated = Date.now();
            store.put(outcome);
            box.value = outcome;
          } else {
            box.value = request.result;
          }
        } catch (e) { refuse(box, tx, e); }
      };
    });
  }

  function getAll(source) {
    return new Promise(function (resolve, reject) {
      var request = source;
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function uuid() {
    if (root.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  root.Store = {
    uuid: uuid,
    WAITING: WAITING,
    isWaiting: function (r) { return !!r && WAITING.indexOf(r.status) >= 0; },

    get: function (id) {
      return run(records, 'records', 'readonly', function (s, box) {
        s.get(id).onsuccess = function (e) { box.value = e.target.result; };
      });
    },
    all: function () {
      return records().then(function (db) { return getAll(db.transaction('records').objectStore('records').getAll()); });
    },
    byKey: function (key) {
      return records().then(function (db) {
        return getAll(db.transaction('records').objectStore('records').index('key').getAll(key));
      });
    },
    waiting: function () {
      return records().then(function (db) {
        var index = db.transaction('records').objectStore('records').index('status');
        return Promise.all(WAITING.map(function (s) { return getAll(index.getAll(s)); }));
      }).then(function (lists) { return [].concat.apply([], lists); });
    },

    /* A draft save from tab `tab`: refused if the record left the draft state (Immutable) or
     * another tab has taken the draft over (TakenOver). */
    saveDraft: function (record, tab) {
      return change(record.instance_id, function (current) {
        if (current && current.status !== 'draft') {
          throw failure('Immutable', 'this record is ' + current.status + ' and can no longer change');
        }
        if (current && current.tab && current.tab !== tab) {
          throw failure('TakenOver', 'this draft is being edited in another window');
        }
        record.status = 'draft';
        record.tab = tab;
        return record;
      });
    },

    /* This tab takes a draft over (after taking the form's lock from another tab). */
    claimDraft: function (id, tab) {
      return change(id, function (current) {
        if (!current || current.status !== 'draft') { return null; }
        current.tab = tab;
        return current;
      });
    },

    /* Draft -> queued, atomically; `supersedes` names local records this one replaces (a fixed
     * or resolved version of a refused record): they stop waiting but stay on the device. */
    enqueue: function (record, tab, supersedes) {
      return run(records, 'records', 'readwrite', function (store, box, tx) {
        var request = store.get(record.instance_id);
        request.onsuccess = function () {
          try { write(request.result); } catch (e) { refuse(box, tx, e); }
        };
        function write(current) {
          if (current && current.status !== 'draft') {
            refuse(box, tx, failure('Immutable', 'this record is already ' + current.status));
            return;
          }
          if (current && current.tab && tab && current.tab !== tab) {
            refuse(box, tx, failure('TakenOver', 'this draft is being edited in another window'));
            return;
          }
          record.status = 'queued';
          record.updated = Date.now();
          delete record.tab;
          store.put(record);
          box.value = record;
          (supersedes || []).forEach(function (id) {
            store.get(id).onsuccess = function (e) {
              var old = e.target.result;
              if (old && old.status !== 'sent' && old.instance_id !== record.instance_id) {
                old.status = 'superseded';
                old.superseded_by = record.instance_id;
                old.updated = Date.now();
                store.put(old);
              }
            };
          });
        }
      });
    },

    /* The upload queue's own writes: `decide(current)` returns the changed record or null. */
    update: change,

    /* Device facts, e.g. the upload pause or the storage answer. */
    getMeta: function (name) {
      return run(device, 'meta', 'readonly', function (s, box) {
        s.get(name).onsuccess = function (e) { box.value = e.target.result ? e.target.result.value : undefined; };
      });
    },
    setMeta: function (name, value) {
      return run(device, 'meta', 'readwrite', function (s) { s.put({ name: name, value: value }); });
    },
    metaPrefix: function (prefix) {
      return device().then(function (db) {
        var range = IDBKeyRange.bound(prefix, prefix + '\uffff');
        return getAll(db.transaction('meta').objectStore('meta').getAll(range));
      });
    },
    deleteMeta: function (names) {
      return run(device, 'meta', 'readwrite', function (s) { names.forEach(function (n) { s.delete(n); }); });
    }
  };
})(self);
