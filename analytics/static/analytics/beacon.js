// The shop's own beacon: tells the shop what only the browser sees (the page was shown
// with JavaScript running, a recommendation slot came into view or was clicked). Events
// wait in sessionStorage until the shop has taken them, and keep their id when sent
// again, so a retried beacon is stored once. No third party, no cookies of its own.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var url = script.getAttribute("data-url");
  var KEY = "mall-analytics-pending";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function pending() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function keep(events) {
    try { sessionStorage.setItem(KEY, JSON.stringify(events.slice(-20))); } catch (e) { /* full */ }
  }
  function flush() {
    var events = pending();
    if (!events.length) return;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ events: events })
    }).then(function (response) {
      if (response.ok) {
        var sent = {};
        events.forEach(function (e) { sent[e.id] = true; });
        keep(pending().filter(function (e) { return !sent[e.id]; }));
      }
    }).catch(function () { /* sent again with the next event */ });
  }
  function send(event) {
    event.id = uuid();
    event.path = location.pathname;
    keep(pending().concat([event]));
    flush();
  }
  window.mallAnalytics = { send: send };

  send({ name: "page_view" });

  var slots = document.querySelectorAll("[data-rec-slot]");
  Array.prototype.forEach.call(slots, function (slot) {
    var name = slot.getAttribute("data-rec-slot");
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.disconnect();
            send({ name: "recommendation_impression", slot: name });
          }
        });
      });
      observer.observe(slot);
    }
    slot.addEventListener("click", function (e) {
      var link = e.target.closest("[data-product]");
      if (link) {
        send({ name: "recommendation_click", slot: name,
               product: parseInt(link.getAttribute("data-product"), 10) });
      }
    });
  });
})();
