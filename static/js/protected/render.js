// Fills a compiled protected message with one recipient's values, by the server's rules
// (campaigns/templating.py: CompiledTemplate.render with html=True). The server compiles and
// sanitises the template once; this only walks its parts. tests/protected_email/render_cases.json
// runs against both.
(function (root) {
  "use strict";
  // Python's whitespace (str.isspace), which differs from JavaScript's \s at U+0085 and U+FEFF.
  const SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  const URL_TAIL = `[^${SPACE}\\x00-\\x1f\\x7f]+$`;
  const WEB_URL = new RegExp(`^https?://${URL_TAIL}`, "i");
  const LINK_URL = new RegExp(`^(?:https?://|mailto:)${URL_TAIL}`, "i");
  const IMAGE_URL = new RegExp(`^https://${URL_TAIL}`, "i");
  const EDGE_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");
  const LINKED_SUFFIXES = ["_url", "_link"];
  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };

  function escapeHtml(value) {
    return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
  }

  // Python's str.strip() with no argument.
  function strip(value) {
    return value.replace(EDGE_SPACE, "");
  }

  function checkedUrl(value, pattern) {
    const url = strip(value);
    return pattern.test(url) ? url : "";
  }

  function htmlValue(part, value) {
    if (part.slot === "url") {
      return escapeHtml(checkedUrl(value, part.attribute === "src" ? IMAGE_URL : LINK_URL));
    }
    if (part.slot === "url_part") return escapeHtml(value.replace(/:/g, "%3A"));
    if (part.slot === "text" && LINKED_SUFFIXES.some((suffix) => part.name.endsWith(suffix))) {
      const url = escapeHtml(checkedUrl(value, WEB_URL));
      if (url) return `<a href="${url}" rel="noopener noreferrer">${url}</a>`;
    }
    return escapeHtml(value);
  }

  // parts: strings and {name, slot, attribute}; values: keyed by lower-case keyword.
  function renderParts(parts, values) {
    return parts.map((part) => (typeof part === "string"
      ? part
      : htmlValue(part, Object.prototype.hasOwnProperty.call(values, part.name) ? values[part.name] || "" : ""))).join("");
  }

  root.PostmanRender = { renderParts, escapeHtml };
})(typeof self !== "undefined" ? self : globalThis);
