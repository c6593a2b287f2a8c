// The live length of a Telegram message on its message page. Telegram counts the text once its
// HTML is parsed, in UTF-16 units (an emoji outside the BMP is two), as
// channels_telegram/templating.py's visible_length does; keywords count as written here.
(() => {
  "use strict";

  function visibleLength(html) {
    const text = html.replace(/\r\n/g, "\n").replace(/<br\s*\/?>/gi, "\n").replace(/<\/p\s*>/gi, "\n\n");
    // DOMParser builds an inert document: nothing in it loads or runs.
    const parsed = new DOMParser().parseFromString(text, "text/html");
    return (parsed.body.textContent || "").trim().length; // a JS string's length is in UTF-16 units
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("textarea[data-telegram-counter]").forEach((textarea) => {
      const panel = document.getElementById(textarea.dataset.telegramCounter);
      if (!panel) return;
      const max = Number(panel.dataset.max);
      const update = () => {
        const length = visibleLength(textarea.value);
        panel.querySelector("[data-telegram-characters]").textContent = length.toLocaleString("en-SG");
        panel.querySelector("[data-telegram-over]").classList.toggle("d-none", length <= max);
      };
      textarea.addEventListener("input", update);
      update();
    });
  });
})();
