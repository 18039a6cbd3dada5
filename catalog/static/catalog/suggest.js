// Autosuggest for the search box: words of the goods that begin with what the shopper
// typed (characters, pinyin or initials), from /search/suggest/, shown in the box's
// datalist. Without JavaScript the search box works as before.
(function () {
  "use strict";
  function start() {
    var input = document.getElementById("site-search");
    var list = document.getElementById("search-suggestions");
    if (!input || !list || !window.fetch) return;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var typed = input.value.trim();
        if (!typed || typed === last) return;
        last = typed;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(typed), {
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) {
            if (input.value.trim() !== typed) return;
            list.textContent = "";
            data.suggestions.forEach(function (word) {
              var option = document.createElement("option");
              option.value = word;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
