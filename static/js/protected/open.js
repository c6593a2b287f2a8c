// The recipient's page: derive the key from the password here, send only the verifier, decrypt
// what comes back and show it in a sandboxed frame where no script can run.
/* global PostmanProtect */
(() => {
  "use strict";
  const form = document.querySelector("[data-unlock]");
  if (!form) return;
  const error = form.querySelector("[data-unlock-error]");
  const status = form.querySelector("[data-unlock-status]");
  const button = form.querySelector("button[type=submit]");
  const FRAME_STYLE = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.5;margin:1rem;"
    + "overflow-wrap:anywhere}img{max-width:100%;height:auto}table{max-width:100%}";

  function fail(text) {
    error.textContent = text;
    error.hidden = false;
  }

  function waitText(seconds) {
    if (seconds < 90) return `${seconds} seconds`;
    const minutes = Math.ceil(seconds / 60);
    if (minutes < 120) return `${minutes} minutes`;
    return `${Math.ceil(minutes / 60)} hours`;
  }

  function refusal(response, answer) {
    if (response.status === 403) {
      const left = answer.attempts_left;
      return `That password is not right. ${left} more wrong answer${left === 1 ? "" : "s"} will lock this message for a while.`;
    }
    if (response.status === 410) return "This message has expired. Reload the page to see whom to contact.";
    if (answer.error === "locked") {
      return `Too many wrong passwords: this message is locked. Try again in ${waitText(answer.retry_after)}.`;
    }
    if (answer.error === "busy") return `Too many attempts from your network. Try again in ${waitText(answer.retry_after)}.`;
    return "Something went wrong. Try again.";
  }

  function showMessage(html) {
    const frame = document.querySelector("[data-message-frame]");
    // This page's policy allows inline styles, so the message's own styles and this default apply.
    frame.srcdoc = `<!DOCTYPE html><html><head><meta charset="utf-8"><base target="_blank"><style>${FRAME_STYLE}</style></head><body>${html}</body></html>`;
    document.querySelector("[data-message]").hidden = false;
    form.hidden = true;
  }

  async function unlock(password) {
    const id = form.dataset.salt;
    const { key, verifier } = await PostmanProtect.deriveKeys(password, id, Number(form.dataset.iterations));
    const response = await fetch(form.dataset.unlockUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      body: JSON.stringify({ verifier }),
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) { fail(refusal(response, answer)); return; }
    try {
      showMessage(await PostmanProtect.decryptMessage(answer.payload, key, id));
      const sender = document.querySelector("[data-message-sender]");
      if (sender && answer.sender) {
        sender.textContent = `From ${answer.sender}`;
        sender.hidden = false;
      }
    } catch (problem) {
      fail("This message could not be decrypted: it may have been altered. Contact the sender.");
    }
  }

  if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
    fail("This page must be opened over HTTPS to decrypt your message.");
    button.disabled = true;
    return;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = form.querySelector("#password").value;
    error.hidden = true;
    if (!password) { fail("Enter the password."); return; }
    button.disabled = true;
    status.hidden = false;
    try {
      await unlock(password);
    } catch (problem) {
      fail("Something went wrong. Check your connection and try again.");
    } finally {
      button.disabled = false;
      status.hidden = true;
    }
  });
})();
