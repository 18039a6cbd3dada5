// The product page makes its information and attribute fields from the chosen category
// (catalog/admin/listing.py): on a new product, choosing another category reloads the
// page with ?category=<id> so that the fields of that category appear.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("#id_category");
  if (!select || !window.location.pathname.endsWith("/add/")) return;
  select.addEventListener("change", () => {
    const address = new URL(window.location.href);
    address.searchParams.set("category", select.value);
    window.location.assign(address.toString());
  });
});
