// Progressive enhancement only: every page works without this file.
// "Select all" for bulk approval in the inbox.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select-all]")) return;
  var scope = box.closest("form");
  scope.querySelectorAll("input[name='task_ids']").forEach(function (other) {
    other.checked = box.checked;
  });
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-needs-js]").forEach(function (el) {
    el.removeAttribute("hidden");
  });
});
// The risk matrix: say the chosen cell's level at once (the page says it after a save too).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("[data-risk-pick] input[type='radio']")) return;
  var out = box.closest("[data-risk-pick]").querySelector("[data-risk-level]");
  if (out) out.textContent = box.getAttribute("data-level");
});
