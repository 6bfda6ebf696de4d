/* The paged questionnaire: a survey whose settings say `style: pages` (Enketo's pages style;
 * in an XLSForm the settings sheet's style column) shows one page at a time — each top-level
 * group or repeat is a page, and questions between groups share one. Back and Next turn the
 * pages, "第 3/7 页" says where the evaluator is among the pages skip logic leaves, a page whose
 * every question is not relevant is passed over, and Next will not leave a page while one of
 * its answers has a problem (required, constraint, type): the problems show and Next stays.
 * Back always works, since the answer that causes a problem may be on an earlier page;
 * completing checks every page and turns to the first with a problem.
 *
 * It sits on form.js (window.Questionnaire) and knows nothing of storage: the draft is saved
 * on every keystroke by record.js as on an unpaged form; the page the evaluator was on is
 * remembered on the tablet (localStorage) so a reopened draft opens where it was left.
 * Without script every page shows, one under another, and the form posts as before. */
(function () {
  'use strict';
  var Q = window.Questionnaire;
  if (!Q || !Q.form.hasAttribute('data-paged')) { return; }
  var form = Q.form;
  var pages = Array.prototype.slice.call(form.querySelectorAll('[data-page]'));
  var nav = form.querySelector('[data-pager]');
  if (!pages.length || !nav) { return; }
  var back = nav.querySelector('[data-page-back]');
  var next = nav.querySelector('[data-page-next]');
  var count = nav.querySelector('[data-page-count]');
  var summary = nav.querySelector('[data-page-summary]');
  var submitbar = form.querySelector('.submitbar');
  var remembered = 'evaluator-page:' + (form.getAttribute('data-key') || '');
  var current = 0;

  /* Skip logic hides questions, groups and repeats (form.js); a page shows while anything on
   * it is still shown. */
  function relevant(page) {
    return Array.prototype.some.call(page.children, function (el) { return !el.hidden; });
  }

  function step(from, direction) {
    for (var i = from + direction; i >= 0 && i < pages.length; i += direction) {
      if (relevant(pages[i])) { return i; }
    }
    return -1;
  }

  function remember() {
    try { localStorage.setItem(remembered, String(current)); } catch (e) { /* private mode: fine */ }
  }

  function recalled() {
    try { return parseInt(localStorage.getItem(remembered) || '0', 10) || 0; } catch (e) { return 0; }
  }

  /* The bar: where we are among the relevant pages, Back and Next, and the send button on the
   * last one only. */
  function refresh() {
    var shown = pages.filter(relevant);
    var at = shown.indexOf(pages[current]);
    count.textContent = Q.text.page.replace('{n}', String(at + 1)).replace('{total}', String(shown.length));
    back.disabled = step(current, -1) < 0;
    var last = step(current, 1) < 0;
    next.hidden = last;
    nav.classList.toggle('last', last);
    if (submitbar) { submitbar.hidden = !last; }
  }

  /* Show page ``index`` (or the nearest relevant one). Only the evaluator's own turns are
   * remembered: before the draft is restored every later page may look irrelevant. */
  function show(index, scroll, turned) {
    if (index < 0 || index >= pages.length) { index = 0; }
    if (!relevant(pages[index])) {
      var later = step(index, 1);
      index = later >= 0 ? later : Math.max(step(index, -1), 0);
    }
    current = index;
    pages.forEach(function (page, i) { page.hidden = i !== current; });
    summary.textContent = '';
    refresh();
    if (turned) { remember(); }
    if (scroll) { form.scrollIntoView({ block: 'start' }); }
  }

  /* The inputs on this page whose answers have a problem now (hidden ones have none). */
  function problemsHere() {
    var page = pages[current];
    var problems = Q.check().problems;
    return Object.keys(problems).filter(function (input) {
      var el = page.querySelector('.q[data-input="' + input + '"]');
      return !!el && !el.closest('[hidden]');
    });
  }

  function forward() {
    var bad = problemsHere();
    if (bad.length) {
      Q.reveal(bad);
      summary.textContent = Q.text.fix + ' (' + bad.length + ')';
      var first = pages[current].querySelector('.q.bad');
      if (first) { first.scrollIntoView({ block: 'center' }); }
      return false;
    }
    var to = step(current, 1);
    if (to >= 0) { show(to, true, true); }
    return true;
  }

  back.addEventListener('click', function () {
    var to = step(current, -1);
    if (to >= 0) { show(to, true, true); }
  });
  next.addEventListener('click', forward);

  /* Enter in a field submits a form: before the last page it turns the page instead (this
   * listener runs before record.js's, which completes and sends). */
  form.addEventListener('submit', function (event) {
    if (step(current, 1) >= 0) {
      event.preventDefault();
      event.stopImmediatePropagation();
      forward();
    }
  });

  /* Completing found problems: turn to the first page that shows one. */
  Q.onInvalid(function () {
    for (var i = 0; i < pages.length; i++) {
      if (pages[i].querySelector('.q.bad:not([hidden])')) { show(i, false, true); return; }
    }
  });
  /* A draft restored: back to its page; a fresh form (a forum record sent): the first. */
  Q.onReset(function (how) { show(how && how.fresh ? 0 : recalled(), false, how && how.fresh); });
  Q.onChange(function () {
    if (!relevant(pages[current])) { show(current, false); } else { refresh(); }
    if (summary.textContent && !problemsHere().length) { summary.textContent = ''; }
  });

  nav.hidden = false;
  var served = form.querySelector('.q.bad');  // the server refused the posted form: its page
  show(served ? pages.indexOf(served.closest('[data-page]')) : recalled(), false);
})();
