// The export page's progress bar: polls the export's JSON status until it is ready,
// failed or expired (at most ten minutes), then shows the download link or the error.
(function () {
  "use strict";
  var box = document.getElementById("export-status");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var deadline = Date.now() + 10 * 60 * 1000;
  var finished = { done: true, failed: true, expired: true };

  function show(status) {
    document.getElementById("export-progress").value = status.percent;
    document.getElementById("export-percent").textContent = status.percent + " %";
    document.getElementById("export-state").textContent = status.state_label;
    document.getElementById("export-rows").textContent =
      status.rows_done + (status.rows_total === null ? "" : " / " + status.rows_total);
    box.setAttribute("data-state", status.state);
    var error = document.getElementById("export-error");
    error.textContent = status.error;
    error.style.display = status.error ? "" : "none";
    var link = document.getElementById("export-download");
    if (status.download_url) { link.href = status.download_url; }
    link.style.display = status.download_url ? "" : "none";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status) { show(status); }
        if ((!status || !finished[status.state]) && Date.now() < deadline) {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        if (Date.now() < deadline) { window.setTimeout(poll, 3000); }
      });
  }

  if (!finished[box.getAttribute("data-state")]) { poll(); }
})();
