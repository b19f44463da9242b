// Tether dashboard: the only script. Everything works without it; it adds copying to the
// clipboard and closing an explanation bubble with Escape (WCAG 1.4.13).
"use strict";
document.addEventListener("click", function (e) {
  var button = e.target.closest("[data-copy]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  var said = button.parentElement.querySelector(".copied");
  if (!field) return;
  var done = function () { if (said) said.textContent = "Copied."; };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () {
      if (said) said.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    });
  } else {
    try { document.execCommand("copy"); done(); }
    catch (_) { if (said) said.textContent = "Selected: press Ctrl+C (⌘C) to copy."; }
  }
});
document.addEventListener("keydown", function (e) {
  if (e.key === "Escape" && document.activeElement && document.activeElement.classList.contains("why")) {
    document.activeElement.classList.add("dismissed");
  }
});
document.addEventListener("focusout", function (e) {
  if (e.target.classList && e.target.classList.contains("why")) e.target.classList.remove("dismissed");
});
