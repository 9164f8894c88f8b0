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
// A table box (forms/wide_tables.py) is a tab stop only while its table is wider than it.
function tableStops() {
  document.querySelectorAll(".table-scroll").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  });
}
document.addEventListener("DOMContentLoaded", tableStops);
window.addEventListener("resize", tableStops);
// The risk matrix: say the chosen cell's level at once (the page says it after a save too).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("[data-risk-pick] input[type='radio']")) return;
  var out = box.closest("[data-risk-pick]").querySelector("[data-risk-level]");
  if (out) out.textContent = box.getAttribute("data-level");
});
