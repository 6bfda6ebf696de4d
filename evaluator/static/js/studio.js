/* Rubric studio editor: saves as the author types (the server checks with evaluator check's
   rules and answers the problems), places each problem beside its input, keeps the points
   totals live, shows a method's parameters, offers survey fields, and never overwrites
   someone else's save (If-Match; a 409 shows the conflict and keeps the author's text).
   The page works without this script: every button is a plain form submit. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var data = JSON.parse(document.getElementById("studio-data").textContent);
  var readonly = form.hasAttribute("data-readonly");
  var statusEl = document.querySelector("[data-save-status]");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var timer = null, inFlight = null, dirty = false, stopped = false, retry = 0;

  function setStatus(kind, text) {
    if (!statusEl) return;
    statusEl.className = "save-status " + kind;
    statusEl.textContent = text || statusEl.getAttribute("data-" + kind) || "";
  }

  function lock() { return form.querySelector("[data-lock]").value; }
  function setLock(value) {
    document.querySelectorAll("[data-lock]").forEach(function (el) { el.value = value; });
  }

  /* -- problems beside their inputs (the server's problem_place, the same steps) -- */
  function parsePath(where) {
    var parts = [];
    where.split(".").forEach(function (part) {
      var m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/.exec(part);
      if (!m) { parts = null; return; }
      if (parts) {
        parts.push(m[1]);
        (m[2].match(/\d+/g) || []).forEach(function (i) { parts.push(+i); });
      }
    });
    return parts;
  }
  function place(path) {
    var out = "";
    path.forEach(function (p) { out = typeof p === "number" ? out + "[" + p + "]" : (out ? out + "." + p : p); });
    return out;
  }
  function places() {
    var found = {"": true};
    document.querySelectorAll("[data-where]").forEach(function (el) { found[el.getAttribute("data-where")] = true; });
    return found;
  }
  function problemPlace(where, message, known) {
    var path = where ? parsePath(where) : [];
    while (path) {
      var here = place(path);
      if (known[here]) {
        var keys = [], m, quoted = /'([a-z_]+)'/g;
        while ((m = quoted.exec(message))) keys.push(m[1]);
        keys.push(message.split(" ")[0]);
        for (var i = 0; i < keys.length; i++) {
          if (known[here + "." + keys[i]]) return here + "." + keys[i];
        }
        return here;
      }
      if (!path.length) return "";
      path = path.slice(0, -1);
    }
    return "";
  }
  function showProblems(problems) {
    document.querySelectorAll("[data-problems-for]").forEach(function (ul) { ul.textContent = ""; });
    document.querySelectorAll(".has-problem").forEach(function (el) { el.classList.remove("has-problem"); });
    var known = places();
    problems.forEach(function (p) {
      var spot = problemPlace(p.where, p.message, known);
      var list = null;
      document.querySelectorAll("[data-problems-for]").forEach(function (ul) {
        if (!list && ul.getAttribute("data-problems-for") === spot) list = ul;
      });
      if (!list) list = document.querySelector('[data-problems-for=""]');
      var li = document.createElement("li");
      li.textContent = p.text || p.message;
      list.appendChild(li);
      document.querySelectorAll("[data-where]").forEach(function (el) {
        if (el.getAttribute("data-where") === spot && el.classList.contains("field")) el.classList.add("has-problem");
      });
    });
    var count = document.querySelector("[data-problem-count]");
    if (count) {
      count.textContent = problems.length ? problems.length + " " + count.getAttribute("data-some") : count.getAttribute("data-none");
      count.className = "problem-count " + (problems.length ? "some" : "none");
    }
    var publish = document.querySelector("[data-publish-button]");
    if (publish) publish.disabled = problems.length > 0;
  }

  /* -- points as the author types -- */
  function num(el) {
    if (!el) return null;
    var v = el.value.trim();
    return v !== "" && isFinite(+v) ? +v : null;
  }
  function fmt(v) { return v === null ? "–" : String(Math.round(v * 100) / 100); }
  function totals() {
    var dimsSum = 0;
    document.querySelectorAll("[data-dimension]").forEach(function (block) {
      var where = block.getAttribute("data-where");
      var sum = 0;
      block.querySelectorAll("[data-indicator]").forEach(function (ind) {
        var p = num(ind.querySelector('[name="' + ind.getAttribute("data-where") + '.points"]'));
        if (p !== null) sum += p;
      });
      var declared = num(block.querySelector('[name="' + where + '.points"]'));
      if (declared !== null) dimsSum += declared;
      var out = block.querySelector("[data-dimension-sum]");
      var off = declared !== null && Math.abs(sum - declared) > 1e-9;
      if (out) { out.textContent = fmt(sum) + " / " + fmt(declared); out.classList.toggle("off", off); }
      var row = document.querySelector('[data-total-row="' + where + '"]');
      if (row) {
        row.querySelector("[data-indicators-sum]").textContent = fmt(sum);
        row.querySelector("[data-declared]").textContent = fmt(declared);
        row.classList.toggle("off", off);
      }
    });
    var total = num(form.querySelector('[name="total"]'));
    var declared = document.querySelector("[data-total-declared]");
    if (declared) declared.textContent = fmt(total);
    var sumEl = document.querySelector("[data-dimensions-sum]");
    if (sumEl) sumEl.textContent = fmt(dimsSum);
    var line = document.querySelector("[data-total-line]");
    if (line) line.classList.toggle("off", total !== null && Math.abs(dimsSum - total) > 1e-9);
  }

  /* -- a method's parameters, survey fields -- */
  function isEmpty(row) {
    var empty = true;
    row.querySelectorAll("input, textarea").forEach(function (el) { if (el.value.trim()) empty = false; });
    row.querySelectorAll("select:not(.picker)").forEach(function (el) { if (el.value) empty = false; });
    return empty;
  }
  function showMethod(indicator, method) {
    indicator.querySelectorAll("[data-param]").forEach(function (row) {
      var takes = row.getAttribute("data-methods").split(" ").indexOf(method) >= 0;
      row.hidden = !takes && isEmpty(row);
    });
    var summary = indicator.querySelector("[data-method-summary]");
    if (summary) summary.textContent = data.method_words[method] || "";
  }
  function fillPicker(picker, source) {
    picker.setAttribute("data-pick-source", source);
    while (picker.options.length > 1) picker.remove(1);
    (data.fields[source] || []).forEach(function (f) {
      var label = f.name + (f.label ? " · " + f.label : "") + " (" + f.type + ")";
      picker.add(new Option(label, f.name));
    });
  }
  function pick(picker) {
    var name = picker.value;
    if (!name) return;
    var target = document.getElementById("f-" + picker.getAttribute("data-pick-for"));
    if (target && !target.readOnly) {
      if (picker.getAttribute("data-pick-mode") === "append") {
        target.value = target.value.trim() ? target.value.replace(/[\s,]+$/, "") + ", " + name : name;
      } else {
        var ref = "${" + name + "}";
        var at = typeof target.selectionStart === "number" ? target.selectionStart : target.value.length;
        var end = typeof target.selectionEnd === "number" ? target.selectionEnd : at;
        target.value = target.value.slice(0, at) + ref + target.value.slice(end);
        target.focus();
        target.setSelectionRange(at + ref.length, at + ref.length);
      }
      target.dispatchEvent(new Event("input", {bubbles: true}));
    }
    picker.value = "";
  }

  /* -- saving -- */
  function conflict(body) {
    stopped = true;
    var box = document.querySelector("[data-conflict]");
    box.querySelector("[data-conflict-message]").textContent = body.message || "";
    box.querySelector("[data-unsaved]").value = body.unsaved || "";
    box.hidden = false;
    setStatus("failed", body.message);
    box.scrollIntoView({block: "center"});
  }
  function save() {
    timer = null;
    if (stopped || readonly) return Promise.resolve();
    if (inFlight) return inFlight.then(save);
    dirty = false;
    setStatus("saving");
    var body = new FormData(form);
    inFlight = fetch(form.getAttribute("data-autosave"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "If-Match": '"' + form.getAttribute("data-etag") + '"', "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (answer) { return {status: response.status, body: answer}; });
    }).then(function (r) {
      inFlight = null;
      if (r.status === 409) { conflict(r.body); return; }
      if (r.status !== 200) { throw new Error(r.body.message || String(r.status)); }
      retry = 0;
      setLock(r.body.lock_version);
      form.setAttribute("data-etag", r.body.etag);
      showProblems(r.body.problems);
      setStatus(dirty ? "dirty" : "saved", (statusEl && !dirty ? statusEl.getAttribute("data-saved") + " " + new Date().toLocaleTimeString() : null));
    }).catch(function () {
      inFlight = null;
      dirty = true;
      retry = Math.min(retry + 1, 5);
      setStatus("failed");
      timer = setTimeout(save, 1000 * Math.pow(2, retry));
    });
    return inFlight;
  }
  function changed() {
    if (readonly || stopped) return;
    dirty = true;
    setStatus("dirty");
    totals();
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 700);
  }
  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (dirty) return save();
    return inFlight || Promise.resolve();
  }

  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("picker")) return;
    changed();
  });
  form.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList.contains("picker")) { pick(el); return; }
    if (el.hasAttribute("data-method-select")) showMethod(el.closest("[data-indicator]"), el.value);
    if (el.hasAttribute("data-source-select")) {
      var indicator = el.closest("[data-indicator]");
      var forRight = el.getAttribute("data-source-for");
      indicator.querySelectorAll(".picker").forEach(function (picker) {
        var isRight = picker.getAttribute("data-pick-for") === forRight;
        if (forRight ? isRight : !/\.right\.value$/.test(picker.getAttribute("data-pick-for"))) fillPicker(picker, el.value);
      });
    }
    changed();
  });
  /* A button (save, add, move, remove) submits the whole form: first let the running save
     finish, so the form carries the lock version it produced. */
  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) return;
    event.preventDefault();
    var button = event.submitter;
    flush().then(function () {
      if (stopped) return;
      submitting = true;
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "do";
      hidden.value = button && button.name === "do" ? button.value : "";
      form.appendChild(hidden);
      dirty = false;
      form.submit();
    });
  });
  var publishForm = document.querySelector("[data-publish]");
  if (publishForm) {
    publishForm.addEventListener("submit", function (event) {
      if (publishForm.hasAttribute("data-flushed")) return;
      event.preventDefault();
      flush().then(function () {
        if (stopped) return;
        publishForm.setAttribute("data-flushed", "");
        publishForm.submit();
      });
    });
  }
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && (dirty || inFlight)) { event.preventDefault(); event.returnValue = ""; }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) flush();
  });
  totals();
})();
