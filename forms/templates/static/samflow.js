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
