// Records list: "tick every record on this page" (the bulk form works without it).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-check-all]");
  if (!all) return;
  const boxes = () => document.querySelectorAll('[data-bulk] input[name="ids"]');
  all.addEventListener("change", () => boxes().forEach((b) => { b.checked = all.checked; }));
});
