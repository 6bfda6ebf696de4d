/* The survey preview (surveys/preview.html): the tablet's questionnaire runtime (form.js) without
 * record.js, so no draft is kept in IndexedDB and nothing is queued or sent. "Check the answers"
 * runs every rule and says whether the answers would pass; the form is never submitted. */
(function () {
  'use strict';
  var form = document.getElementById('questionnaire');
  if (!form || !window.Questionnaire) { return; }
  var done = form.querySelector('[data-preview-done]');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    done.hidden = !window.Questionnaire.complete();
  });
  window.Questionnaire.onChange(function () { done.hidden = true; });
})();
