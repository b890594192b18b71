// Findings table: filter by lever, stage, severity, department and text; sort by any column.
// Reads only this page's DOM; never evaluates text from the report.
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var selects = Array.prototype.slice.call(document.querySelectorAll("#filters select"));
  var text = document.getElementById("filter-text");
  var shown = document.getElementById("shown-count");
  var none = document.getElementById("no-match");

  function matches(row) {
    for (var i = 0; i < selects.length; i++) {
      var want = selects[i].value;
      if (!want) { continue; }
      var key = selects[i].getAttribute("data-key");
      var have = (row.getAttribute("data-" + key) || "").split(" ");
      if (have.indexOf(want) < 0) { return false; }
    }
    var needle = text.value.trim().toLowerCase();
    return !needle || row.textContent.toLowerCase().indexOf(needle) >= 0;
  }

  function filter() {
    var count = 0;
    rows.forEach(function (row) {
      var ok = matches(row);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = String(count);
    none.hidden = count !== 0;
  }

  function compare(key, direction) {
    var numeric = key === "severity" || key === "lever" || key === "stage";
    return function (a, b) {
      var x = a.getAttribute("data-key-" + key) || "";
      var y = b.getAttribute("data-key-" + key) || "";
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      if (order === 0) { order = Number(a.getAttribute("data-n")) - Number(b.getAttribute("data-n")); }
      return direction * order;
    };
  }

  function sortBy(th) {
    var key = th.getAttribute("data-sort");
    var direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    table.querySelectorAll("th[data-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
    rows.sort(compare(key, direction));
    rows.forEach(function (row) { body.appendChild(row); });
  }

  selects.forEach(function (select) { select.addEventListener("change", filter); });
  text.addEventListener("input", filter);
  document.getElementById("filters").addEventListener("reset", function () { window.setTimeout(filter, 0); });
  table.querySelectorAll("th[data-sort]").forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () { sortBy(th); });
  });
  document.documentElement.setAttribute("data-ready", "true");
}());
