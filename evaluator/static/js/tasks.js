/* "My assignments" without a signal: every household kept on this tablet, not one page of them.
 *
 * The server pages the task cards (50 a page). Offline, the service worker answers a page of the
 * list it has not kept with another kept copy of /assignments; that copy says which query it was
 * made for (data-query), so when it differs from the address asked for, or when the browser
 * knows it is offline, this script shows the list the worker keeps instead (/api/v1/assignments,
 * in IndexedDB under "assignments"): every assigned household, with the address's search and
 * status filter applied. Its cards are the server's cards (a.task[data-key]), so sync.js marks
 * what this tablet holds for each. */
(function (root) {
  'use strict';

  function words() {
    var el = document.getElementById('tasks-text');
    return el ? JSON.parse(el.textContent) : {};
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function matches(form, q, status) {
    if (status && (form.open ? 'assigned' : 'submitted') !== status) { return false; }
    if (!q) { return true; }
    q = q.toLowerCase();
    return String(form.household).toLowerCase().indexOf(q) === 0 ||
      String(form.name || '').toLowerCase().indexOf(q) >= 0;
  }

  function card(form, body, text) {
    var li = element('li');
    var a = element('a', 'task');
    a.href = form.url;
    a.setAttribute('data-key', form.evaluation + '/' + form.source + '/' + form.household);
    a.appendChild(element('span', 'hh', form.household));
    var what = [(body.sources || {})[form.source] || form.source];
    if (form.place) { what.push(form.place); }
    a.appendChild(element('span', 'what', what.join(' · ')));
    if (form.name) { a.appendChild(element('span', 'who-where', form.name)); }
    a.appendChild(element('span', form.open ? 'state' : 'state ok', form.open ? text.todo : text.submitted));
    a.appendChild(element('span', 'local')).setAttribute('data-local-state', '');
    li.appendChild(a);
    return li;
  }

  function show(body, text) {
    var params = new URLSearchParams(location.search);
    var q = (params.get('q') || '').trim(), status = params.get('status') || '';
    var found = (body.forms || []).filter(function (f) { return f.household && matches(f, q, status); });
    // The filter shows what this list was filtered by (a stand-in copy shows its own query).
    var search = document.querySelector('.task-filter [name="q"]'), select = document.querySelector('.task-filter [name="status"]');
    if (search) { search.value = q; }
    if (select) { select.value = status; }
    var box = document.querySelector('[data-kept-list]');
    box.textContent = '';
    box.appendChild(element('p', 'muted', String(text.kept || '').replace('{n}', String(found.length))));
    var lists = {};
    found.forEach(function (f) {
      if (!lists[f.evaluation]) {
        var section = element('section', 'card');
        section.appendChild(element('h2', '', (body.evaluations || {})[f.evaluation] || ''));
        lists[f.evaluation] = section.appendChild(element('ul', 'tasks'));
        box.appendChild(section);
      }
      lists[f.evaluation].appendChild(card(f, body, text));
    });
    if (!found.length) { box.appendChild(element('p', 'muted', text.none)); }
    document.querySelector('[data-server-list]').hidden = true;
    box.hidden = false;
    if (root.Sync) { root.Sync.show(); }
  }

  function init() {
    var head = document.querySelector('[data-assignments]');
    if (!head || !root.Store) { return; }
    var standIn = head.getAttribute('data-query') !== location.search.replace(/^\?/, '');
    if (!standIn && navigator.onLine !== false) { return; }
    var user = (document.querySelector('meta[name="evaluator-user"]') || {}).content;
    Store.getMeta('assignments').then(function (kept) {
      if (kept && kept.body && kept.body.user === user) { show(kept.body, words()); }
    }).catch(function () { /* no kept list: the page as it is */ });
  }

  root.Tasks = { matches: matches };
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); } else { init(); }
})(window);
