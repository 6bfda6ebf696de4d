/* Records on this device (IndexedDB). A record lives here from the first keystroke (a draft) until
 * the server has acknowledged it; a queued record is never deleted by this code. */
(function (root) {
  'use strict';
  var NAME = 'evaluator-fieldwork', STORE = 'records';
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(NAME, 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore(STORE, { keyPath: 'instance_id' });
          store.createIndex('key', 'key');
          store.createIndex('status', 'status');
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
        var request = work(tx.objectStore(STORE));
        if (request) { request.onsuccess = function () { result = request.result; }; }
      });
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
    put: function (record) {
      record.updated = Date.now();
      return run('readwrite', function (s) { return s.put(record); });
    },
    get: function (id) { return run('readonly', function (s) { return s.get(id); }); },
    byKey: function (key) { return run('readonly', function (s) { return s.index('key').getAll(key); }); },
    all: function () { return run('readonly', function (s) { return s.getAll(); }); },
    remove: function (id) { return run('readwrite', function (s) { return s.delete(id); }); },
    WAITING: ['queued', 'conflict', 'invalid']
  };
})(window);
