// Every htmx write carries the session's CSRF token (the server refuses writes without it).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});
// Error answers of htmx requests are shown too (htmx swaps only 2xx answers by default).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status >= 400) { event.detail.shouldSwap = true; event.detail.isError = false; }
});
