// Small behaviours of the shop's pages, kept out of inline handlers so that the
// Content-Security-Policy can forbid inline script (nonces cover the few inline blocks).
document.addEventListener("DOMContentLoaded", function () {
  // The language switcher submits itself when a language is chosen.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // "Print" buttons print the page.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
  });
});
