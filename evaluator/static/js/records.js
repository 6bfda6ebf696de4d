// Records list and assign page: "tick every row on this page" (the bulk forms work without it).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-check-all]");
  if (!all) return;
  const boxes = () => document.querySelectorAll('[data-bulk] input[name="ids"], [data-bulk] input[name="pks"]');
  all.addEventListener("change", () => boxes().forEach((b) => { b.checked = all.checked; }));
});
