// Follows a report job (GET /jobs/<id>: {state, progress, message, error, done}) and starts the
// download when it is done (the PDF URL then answers at once from the cache). Without script,
// the page refreshes itself (<noscript> refresh and the server's Refresh header).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector(".report-progress[data-job]");
  if (!box) return;
  const bar = box.querySelector("[data-progress]");
  const percent = box.querySelector("[data-percent]");
  const message = box.querySelector("[data-message]");
  const stepsIsland = document.getElementById("job-steps");  // the job's step codes, in words
  const steps = stepsIsland ? JSON.parse(stepsIsland.textContent) : {};
  let delay = 1000;
  const poll = async () => {
    let state;
    try {
      const response = await fetch(box.dataset.job, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      state = await response.json();
    } catch (e) {
      delay = Math.min(delay * 2, 10000);  // offline or busy: try again, more slowly
      setTimeout(poll, delay);
      return;
    }
    const value = Math.round(100 * (state.progress || 0));
    bar.value = value;
    percent.textContent = value + "%";
    if (state.message) message.textContent = steps[state.message] || state.message;
    if (state.state === "failed") {
      box.querySelector("[data-failed]").hidden = false;
      box.querySelector("[data-error]").textContent = state.error || "";
      return;
    }
    if (state.done) {
      bar.value = 100;
      percent.textContent = "100%";
      message.textContent = steps.done || "";
      box.querySelector("[data-ready]").hidden = false;
      window.location.assign(box.dataset.pdf);
      return;
    }
    delay = 1000;
    setTimeout(poll, delay);
  };
  setTimeout(poll, 500);
});
