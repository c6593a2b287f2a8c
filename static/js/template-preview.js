// The message step's live preview. htmx posts the unsaved form (hx-trigger on the form in
// campaigns/template.html) and swaps in the server's preview, the columns box and any template
// problem; this script only does what attributes cannot.
(() => {
  "use strict";

  const PANE = "draft-preview";
  const normalised = (html) => html.replace(/>\s+</g, "><").trim();
  let frames = 0;
  // Once the officer saves, no preview may submit the form again: a second submission of the
  // same form, whatever its target, cancels the save's navigation if it has not begun yet.
  let saving = false;
  document.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return; // e.g. Enter in the keyword box, which inserts instead
    if (!event.submitter?.hasAttribute("data-draft-frame-submit")) saving = true;
  });

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

  // An email is shown as recipients get it, with its inline styles: a frame loads the server's
  // rendering under a CSP of its own (an iframe's srcdoc would inherit this page's, which refuses
  // inline styles). Each rendering goes into a new hidden frame, so loading it adds no history
  // entry, and replaces the shown one once it has loaded, so the preview never flashes blank.
  function loadFrame(holder, submit) {
    if (saving) return;
    const frame = document.createElement("iframe");
    frames += 1;
    frame.name = `draft-email-frame-${frames}`;
    frame.className = "preview-frame draft-email-frame";
    frame.title = "Preview of your email as recipients will get it";
    frame.dataset.testid = "draft-frame";
    frame.setAttribute("sandbox", "");
    frame.hidden = true;
    // Appended before listening: an empty frame fires a load of its own about:blank on insertion.
    holder.append(frame);
    frame.addEventListener("load", () => {
      if (!frame.isConnected) return;
      if (frame.name !== submit.formTarget) { // a newer rendering is on its way
        frame.remove();
        return;
      }
      holder.querySelectorAll("iframe").forEach((old) => old !== frame && old.remove());
      frame.hidden = false;
    }, { once: true });
    submit.formTarget = frame.name;
    submit.form.requestSubmit(submit);
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target?.id !== PANE) return;
    if (event.detail.xhr.getResponseHeader("HX-Reswap") === "none") return; // a problem: keep the last preview
    const holder = document.getElementById("draft-frames");
    const submit = document.querySelector("button[data-draft-frame-submit]");
    if (!holder || !submit) return;
    if (event.detail.target.querySelector("[data-draft-document]")) {
      loadFrame(holder, submit);
    } else {
      holder.replaceChildren(); // a refusal: no email to show
    }
  });
})();
