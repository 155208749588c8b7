"""What the HTML report carries besides its content: its style sheet and the few lines of script that sort a
table when its header is clicked (no library, nothing fetched)."""

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1200px;
       padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.meta { color: #666; } .note { color: #555; max-width: 900px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 7px; border-bottom: 1px solid #eee; }
#classes table { font-size: 13px; }
th { text-align: left; background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; } table.sortable th:hover { background: #e8eef7; }
.plots { display: flex; flex-wrap: wrap; gap: 6px 18px; } .plots figure { margin: 0; }
figcaption { font-size: 12px; color: #555; max-width: 380px; overflow-wrap: anywhere; }
.plots figure { max-width: 100%; overflow-x: auto; } .plots figure.wide figcaption { max-width: 1100px; }
svg text.tick { font-size: 11px; fill: #555; } svg text.axis { font-size: 12px; fill: #222; }
.cases { display: flex; flex-wrap: wrap; gap: 14px; } figure.case { margin: 0; width: 222px; }
figure.case figcaption { margin-bottom: 4px; overflow-wrap: anywhere; }
img.thumb { display: block; border: 1px solid #ccc; image-rendering: pixelated; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin: 0 3px 0 10px;
          border: 1px solid #999; }
table.counts th, table.counts td { text-align: center; max-width: 170px; }
code { background: #f3f3f3; padding: 0 3px; }
"""
# a click on a header sorts by that column (numbers by their data-value; a second click reverses)
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("data-order") !== "up";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("data-order"); });
      th.setAttribute("data-order", up ? "up" : "down");
      function key(row) {
        var cell = row.cells[column], value = cell.getAttribute("data-value");
        return value === null ? cell.textContent : parseFloat(value);
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), order = typeof x === "number" && typeof y === "number" ? x - y :
          String(x).localeCompare(String(y));
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""
