// The campaign's live page: asks the JSON endpoint for fresh figures every few seconds
// and writes them into the cells marked data-figure, without reloading the page.
(function () {
  "use strict";
  var root = document.getElementById("campaign-live");
  if (!root) { return; }
  var url = root.getAttribute("data-url");
  var seconds = parseInt(root.getAttribute("data-seconds"), 10) || 10;

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function show(figures) {
    root.querySelectorAll("[data-figure]").forEach(function (node) {
      var name = node.getAttribute("data-figure");
      if (name in figures) { node.textContent = figures[name]; }
    });
    var bar = document.getElementById("live-spend-bar");
    if (bar) { bar.value = parseFloat(figures.spent_share); }
    var body = document.getElementById("live-top-items");
    if (body) {
      body.textContent = "";
      figures.top_items.forEach(function (row) {
        var tr = document.createElement("tr");
        tr.appendChild(cell(row.name));
        tr.appendChild(cell(row.units));
        tr.appendChild(cell(row.sales));
        body.appendChild(tr);
      });
    }
    var updated = document.getElementById("live-updated");
    if (updated) { updated.textContent = new Date().toLocaleTimeString(); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) { if (figures) { show(figures); } })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { window.setTimeout(poll, seconds * 1000); });
  }

  window.setTimeout(poll, seconds * 1000);
})();
