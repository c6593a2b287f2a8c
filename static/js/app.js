// Small behaviours for server-rendered pages; no inline scripts so the CSP stays strict.
// Delegated from the document, so forms that htmx swaps in (the campaign controls) ask too.
document.addEventListener("submit", (event) => {
  const form = event.target instanceof Element ? event.target.closest("form[data-confirm]") : null;
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
