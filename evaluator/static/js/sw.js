/* Service worker (served at /sw.js with VERSION, SHELL and CONFIG prepended by the server).
 *
 * One cache per app version, `evaluator-<VERSION>`, holds pages and static files together. A
 * cache is complete when every page in it has every asset it names: installing a new version
 * fetches the new shell (static files, `/`, "my assignments"), then copies every page and asset
 * of the older caches that it does not have yet, so a page cached under the old version keeps
 * its own scripts and styles. Only then does the new version activate and delete the old caches.
 * Installing needs the network only for the new shell; if the signal goes away half-way, the
 * install fails and the old version stays, whole. Pages of the new version replace the copied
 * ones as they are refreshed.
 *
 * Pages: network first (the answer is kept), the kept copy when there is no answer in time.
 * Static files: cache first (their URLs carry the version). The API is never cached.
 *
 * Forms offline (refresh): the signed-in evaluator's open assignments, from
 * /api/v1/assignments (conditional on its ETag, so an unchanged list is one 304), each form page
 * fetched only when its version (survey version, household, language, app version, ...)
 * differs from the one kept, two at a time. Leads and viewers get no forms to prefetch.
 * Background Sync: the tag `evaluator-upload` sends the queue (queue.js) with no page open. */
/* global VERSION, SHELL, CONFIG, Store, Queue */
importScripts.apply(self, CONFIG.scripts);
Queue.configure({ api: CONFIG.submissions, session: CONFIG.session, timeout: CONFIG.uploadTimeout * 1000 });

var CACHE = 'evaluator-' + VERSION;
var PARALLEL = 2;
var lastResult = null, refreshing = null;

function ours(name) { return name.indexOf('evaluator-') === 0 && name !== CACHE; }

/* This version's cache, for writes after install. A worker replaced by a newer version may still
 * be finishing work: it must not bring back the cache the new version deleted. */
function ownCache() {
  return caches.has(CACHE).then(function (exists) {
    if (!exists) { throw new Error('this version was replaced'); }
    return caches.open(CACHE);
  });
}

function isHtml(response) {
  return (response.headers.get('Content-Type') || '').indexOf('text/html') === 0;
}

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === 'basic' && isHtml(response);
}

/* Run `work(item)` over `items`, at most `n` at a time; resolves to how many returned true. */
function pool(items, n, work) {
  var next = 0, done = 0;
  function lane() {
    if (next >= items.length) { return Promise.resolve(); }
    var item = items[next++];
    return Promise.resolve().then(function () { return work(item); })
      .then(function (ok) { if (ok) { done += 1; } }, function () { /* counted as not done */ })
      .then(lane);
  }
  var lanes = [];
  for (var i = 0; i < Math.min(n, items.length); i++) { lanes.push(lane()); }
  return Promise.all(lanes).then(function () { return done; });
}

/* -- install and activate -------------------------------------------------------------------- */

function fetchShellAsset(cache, url) {
  return cache.match(url).then(function (hit) {
    if (hit) { return; }
    return fetch(url, { cache: 'no-cache' }).then(function (response) {
      if (!response.ok) { throw new Error(url + ': ' + response.status); }
      return cache.put(url, response);
    });
  });
}

function carryOver(cache) {
  return caches.keys().then(function (names) {
    return names.filter(ours).reduce(function (chain, name) {
      return chain.then(function () {
        return caches.open(name).then(function (old) {
          return old.keys().then(function (requests) {
            return Promise.all(requests.map(function (request) {
              return cache.match(request).then(function (hit) {
                if (hit) { return; }
                return old.match(request).then(function (response) { if (response) { return cache.put(request, response); } });
              });
            }));
          });
        });
      });
    }, Promise.resolve());
  });
}

function shellPages(cache) {
  // Best effort: signed out, or the signal gone, the copies carried over serve instead.
  return pool(SHELL.pages, PARALLEL, function (url) {
    return fetch(url, { credentials: 'same-origin', headers: { 'X-Prefetch': '1' } }).then(function (response) {
      if (keepable(response)) { return cache.put(url, response).then(function () { return true; }); }
      return false;
    });
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(SHELL.assets.map(function (url) { return fetchShellAsset(cache, url); }))
      .then(function () { return carryOver(cache); })
      .then(function () { return shellPages(cache); });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(ours).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

/* -- requests ----------------------------------------------------------------------------------- */

function remember(request, response) {
  if (!keepable(response)) { return Promise.resolve(); }
  var copy = response.clone();
  return ownCache().then(function (cache) { return cache.put(request, copy); }).then(function () {
    // A form the worker keeps for this person was just fetched anyway: no need to fetch it again.
    // (Only forms it prefetched are listed, so a page someone merely visited is never pruned.)
    var version = response.headers.get('X-Form-Version');
    var name = 'form:' + new URL(request.url).pathname;
    if (!version) { return; }
    return Store.getMeta(name).then(function (kept) {
      if (kept && kept.user === response.headers.get('X-Evaluator-User')) {
        return Store.setMeta(name, { version: version, cache: CACHE, user: kept.user });
      }
    });
  }).catch(function () { /* a full disk must not break the page */ });
}

function offlinePage() {
  return new Response('<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    '<title>离线 Offline</title><body style="font:18px sans-serif;padding:24px">' +
    '<h1>离线 · Offline</h1><p>此页面尚未保存在本机，请在有网络时打开一次。</p>' +
    '<p>This page has not been saved on this tablet yet; open it once with a signal.</p>' +
    '<p><a href="/assignments">我的任务 My assignments</a> · <a href="/">首页 Home</a></p></body>',
    { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

function cachedPage(request) {
  return caches.match(request, { cacheName: CACHE }).then(function (hit) {
    return hit || caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  });
}

/* Network first, but a hung network does not hold the page: after CONFIG.pageTimeout seconds
 * the kept copy is shown (and the network's answer, if it comes, is still kept). */
function page(event) {
  var request = event.request;
  var network = fetch(request).then(function (response) {
    event.waitUntil(remember(request, response));
    return response;
  });
  var late = new Promise(function (resolve) {
    setTimeout(function () {
      cachedPage(request).then(function (hit) { if (hit) { resolve(hit); } });
    }, CONFIG.pageTimeout * 1000);
  });
  return Promise.race([network, late]).catch(function () {
    return cachedPage(request).then(function (hit) { return hit || offlinePage(); });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  if (path.indexOf('/api/') === 0 || path === '/sw.js' || path.indexOf('/attachments/') === 0 ||
      path.indexOf('/auth/') === 0) { return; }
  if (path.indexOf('/static/') === 0) {
    event.respondWith(caches.match(request, { cacheName: CACHE }).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          event.waitUntil(ownCache().then(function (cache) { return cache.put(request, copy); }).catch(function () {}));
        }
        return response;
      });
    }));
    return;
  }
  if (request.mode === 'navigate' || (request.headers.get('accept') || '').indexOf('text/html') >= 0) {
    event.respondWith(page(event));
  }
});

/* -- forms kept offline --------------------------------------------------------------------------- */

function assignmentList() {
  return Store.getMeta('assignments').then(function (kept) {
    var headers = { Accept: 'application/json' };
    if (kept && kept.etag) { headers['If-None-Match'] = kept.etag; }
    return fetch(CONFIG.assignments, { credentials: 'same-origin', redirect: 'manual', cache: 'no-store', headers: headers })
      .then(function (response) {
        if (response.status === 304 && kept) { return { body: kept.body, changed: false }; }
        if (response.status !== 200 || (response.headers.get('Content-Type') || '').indexOf('application/json') !== 0) {
          return null;  // signed out, a Wi-Fi portal, a server error: keep what is cached
        }
        return response.json().then(function (body) {
          return Store.setMeta('assignments', { etag: response.headers.get('ETag') || '', body: body })
            .then(function () { return { body: body, changed: true }; });
        });
      });
  });
}

function fetchForm(cache, form) {
  return fetch(form.url, { credentials: 'same-origin', redirect: 'manual', headers: { 'X-Prefetch': '1' } }).then(function (response) {
    if (!keepable(response)) { return false; }
    return cache.put(form.url, response).then(function () {
      return Store.setMeta('form:' + form.url, { version: form.version, cache: CACHE, user: form.user });
    }).then(function () { return true; });
  });
}

function prefetch() {
  var started = Date.now();
  return assignmentList().then(function (list) {
    if (!list) { return { state: 'skipped', fetched: 0 }; }
    var body = list.body;
    return Promise.all([ownCache(), Store.metaPrefix('form:')]).then(function (found) {
      var cache = found[0], kept = {};
      found[1].forEach(function (row) { kept[row.name.slice(5)] = row.value; });
      var assigned = {};
      var todo = body.forms.filter(function (f) {
        assigned[f.url] = true;
        f.user = body.user;
        var have = kept[f.url];
        return f.open && !(have && have.version === f.version && have.cache === CACHE);
      });
      return pool(todo, PARALLEL, function (f) { return fetchForm(cache, f); }).then(function (fetched) {
        // Forms of this person no longer assigned to them leave the tablet.
        var gone = Object.keys(kept).filter(function (url) { return kept[url].user === body.user && !assigned[url]; });
        return Promise.all(gone.map(function (url) { return cache.delete(url); }))
          .then(function () { return Store.deleteMeta(gone.map(function (url) { return 'form:' + url; })); })
          .then(function () {
            return { state: fetched === todo.length ? 'complete' : 'partial', user: body.user, forms: body.forms.length,
              wanted: todo.length, fetched: fetched, pruned: gone.length, list_changed: list.changed,
              ms: Date.now() - started };
          });
      });
    });
  });
}

function refresh(force) {
  if (refreshing) { return refreshing; }
  refreshing = Store.getMeta('refreshed-at').then(function (at) {
    if (!force && at && Date.now() - at < CONFIG.refreshSeconds * 1000) { return lastResult || { state: 'recent' }; }
    return prefetch().then(function (result) {
      lastResult = result;
      return (result.state === 'complete' ? Store.setMeta('refreshed-at', Date.now()) : Promise.resolve()).then(function () { return result; });
    });
  }).then(function (result) {
    refreshing = null;
    return result;
  }, function (error) {
    refreshing = null;
    lastResult = { state: 'failed', error: String(error) };
    return lastResult;
  });
  return refreshing;
}

self.addEventListener('message', function (event) {
  var data = event.data || {};
  var reply = function (value) { if (event.ports && event.ports[0]) { event.ports[0].postMessage(value); } };
  if (data.type === 'refresh') {
    event.waitUntil(refresh(!!data.force).then(reply));
  } else if (data.type === 'status') {
    reply({ version: VERSION, cache: CACHE, refreshing: !!refreshing, last: lastResult });
  }
});

self.addEventListener('sync', function (event) {
  if (event.tag !== 'evaluator-upload') { return; }
  event.waitUntil(Queue.drain({ force: true }).then(function (outcome) {
    // Still waiting on the network: fail, so the browser tries again later with its own back-off.
    if (outcome.left && (outcome.state === 'retry' || outcome.state === 'blocked')) { throw new Error(outcome.reason); }
  }));
});
