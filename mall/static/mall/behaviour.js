// Small behaviours of the shop's pages, kept out of inline handlers so that the
// Content-Security-Policy can forbid inline script (nonces cover the few inline blocks).
document.addEventListener("DOMContentLoaded", function () {
  // The language switcher submits itself when a language is chosen.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // The cart badge: the count lives in a cookie (orders/middleware.py), so that cached
  // pages, the same for every guest, still show each shopper their own count.
  var match = document.cookie.match(/(?:^|; )mall_cart_count=(\d+)/);
  var count = match ? parseInt(match[1], 10) : 0;
  document.querySelectorAll("[data-cart-count]").forEach(function (badge) {
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.hidden = count <= 0;
  });
  // Narrow screens show each table row as a card: every cell carries its column's name,
  // which the stylesheet prints before the value (site.css, "Phone first").
  document.querySelectorAll("table.list").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      // A column named for screen readers only (the remove buttons') needs no label.
      var hidden = th.querySelector(".visually-hidden");
      return hidden && hidden.textContent.trim() === th.textContent.trim() ? "" : th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, index) {
        if (names[index] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", names[index]); }
      });
    });
  });
  // "Print" buttons print the page.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
  });
});
