// The message step's live preview. htmx posts the unsaved form (hx-trigger on the form in
// campaigns/template.html) and swaps in the server's preview, the columns box and any template
// problem; this script only does what attributes cannot.
(() => {
  "use strict";

  const PANE = "draft-preview";
  const normalised = (html) => html.replace(/>\s+</g, "><").trim();

  // A refusal (too large, no longer a draft) is a message for the officer: show it in the pane.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target?.id !== PANE) return;
    if ([409, 413].includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The columns box and the problems under the message are live regions: swapping in the same
  // content on every pause in typing would have a screen reader read it out again each time.
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    const holder = document.createElement("div");
    holder.append(event.detail.fragment.cloneNode(true));
    if (normalised(holder.innerHTML) === normalised(event.detail.target.innerHTML)) {
      event.detail.shouldSwap = false;
    }
  });

  // An email is shown as recipients get it, with its inline styles: the frame loads the server's
  // rendering with a CSP of its own (an iframe's srcdoc would inherit this page's, which refuses
  // inline styles). Each preview brings a fresh frame, so loading it adds no history entry.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target?.id !== PANE) return;
    const frame = event.detail.target.querySelector("iframe[name=draft-email-frame]");
    const submit = document.querySelector("button[data-draft-frame-submit]");
    if (frame && submit) submit.form.requestSubmit(submit);
  });
})();
