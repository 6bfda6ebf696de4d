/* Service worker (served at /sw.js with VERSION and SHELL prepended by the server).
 * Static files: cache first (their URLs carry the version). Pages: network first, the last good
 * copy when offline, so "my assignments" and the assigned questionnaires open without a signal.
 * The API is never cached: records go through the page's IndexedDB queue. */
/* global VERSION, SHELL */
var STATIC = 'evaluator-static-' + VERSION;
var PAGES = 'evaluator-pages';

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(SHELL.filter(function (url) { return url.indexOf('/static/') === 0; }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf('evaluator-static-') === 0 && n !== STATIC;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function storePage(request, response) {
  if (response.ok && !response.redirected && response.type === 'basic') {
    var copy = response.clone();
    caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

function offlinePage() {
  return new Response('<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    '<title>离线 Offline</title><body style="font:18px sans-serif;padding:24px">' +
    '<h1>离线 · Offline</h1><p>此页面尚未保存在本机，请在有网络时打开一次。</p>' +
    '<p>This page has not been saved on this tablet yet; open it once with a signal.</p>' +
    '<p><a href="/assignments">我的任务 My assignments</a></p></body>',
    { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf('/api/') === 0 || url.pathname === '/sw.js' ||
      url.pathname.indexOf('/attachments/') === 0) { return; }
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(STATIC).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
    return;
  }
  if (request.mode === 'navigate' || (request.headers.get('accept') || '').indexOf('text/html') >= 0) {
    event.respondWith(fetch(request).then(function (response) {
      return storePage(request, response);
    }).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(request).then(function (hit) {
          return hit || cache.match(request, { ignoreSearch: true });
        });
      }).then(function (hit) { return hit || offlinePage(); });
    }));
  }
});

self.addEventListener('message', function (event) {
  var data = event.data || {};
  if (data.type === 'precache' && Array.isArray(data.urls)) {
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return Promise.all(data.urls.map(function (url) {
        return fetch(url, { credentials: 'same-origin' }).then(function (response) {
          if (response.ok && !response.redirected) { return cache.put(url, response); }
        }).catch(function () {});
      }));
    }));
  } else if (data.type === 'clear-pages') {
    event.waitUntil(caches.delete(PAGES));
  }
});
