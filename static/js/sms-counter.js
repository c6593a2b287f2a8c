// The live SMS counter on the message page: characters, encoding and segments as the officer types.
// The same rules as channels_sms/segments.py: GSM-7 fits 160 septets in one SMS (153 a part when
// split) and ^{}[]~|€\ and form feed take two; any other character makes the message UCS-2,
// 70 UTF-16 units in one SMS (67 a part), where an emoji takes two.
(() => {
  "use strict";

  const GSM7_BASIC = new Set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
  );
  const GSM7_EXTENDED = new Set("^{}\\[~]|€\f");
  const MAX_CHARACTERS = 1600;
  const EXPLAIN = {
    "GSM-7": "GSM-7: 160 characters fit in one SMS, and a longer message is split into parts of 153. " +
      "^ { } [ ] ~ | € \\ count as two.",
    "UCS-2": "Some characters are outside the GSM-7 alphabet (accents such as á, Chinese, emoji), so the " +
      "message is sent as UCS-2: 70 characters fit in one SMS, and a longer message is split into parts of 67.",
  };

  function countSegments(text) {
    let septets = 0;
    let gsm = true;
    for (const character of text) {
      if (GSM7_BASIC.has(character)) {
        septets += 1;
      } else if (GSM7_EXTENDED.has(character)) {
        septets += 2;
      } else {
        gsm = false;
        break;
      }
    }
    const encoding = gsm ? "GSM-7" : "UCS-2";
    const units = gsm ? septets : text.length; // a JS string's length is in UTF-16 units
    const [single, part] = gsm ? [160, 153] : [70, 67];
    const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
    return { characters: Array.from(text).length, encoding, units, segments };
  }

  // What the server saves: line breaks as "\n", surrounding whitespace trimmed.
  function messageText(textarea) {
    return textarea.value.replace(/\r\n/g, "\n").trim();
  }

  function show(panel, count) {
    const set = (selector, value) => {
      const element = panel.querySelector(selector);
      if (element) element.textContent = value;
    };
    set("[data-sms-characters]", count.characters.toLocaleString("en-SG"));
    set("[data-sms-encoding]", count.encoding);
    set("[data-sms-segments]", String(count.segments));
    set("[data-sms-explain]", EXPLAIN[count.encoding]);
    const over = panel.querySelector("[data-sms-over]");
    if (over) over.classList.toggle("d-none", count.characters <= MAX_CHARACTERS);
  }

  window.postmanSmsSegments = countSegments;

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("textarea[data-sms-counter]").forEach((textarea) => {
      const panel = document.getElementById(textarea.dataset.smsCounter);
      if (!panel) return;
      const update = () => show(panel, countSegments(messageText(textarea)));
      textarea.addEventListener("input", update);
      update();
    });
  });
})();
