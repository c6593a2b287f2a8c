// The email body's rich-text editor (ProseMirror, through django-prose-editor's bundle). Loaded as a
// module from our own static files: no import map, no inline script, so the strict CSP holds.
// The textarea stays the form field: the editor writes its HTML back on every change, and the
// Markdown format gets the plain textarea back.
import {
  Bold, BulletList, Document, Dropcursor, Gapcursor, HardBreak, Heading, History, Italic, Link,
  Editor, ListItem, Menu, OrderedList, Paragraph, Text, Underline,
} from "../django_prose_editor/editor.js";

const EXTENSIONS = () => [
  Document, Dropcursor, Gapcursor, Paragraph, HardBreak, Text, History, Menu,
  Heading.configure({ levels: [1, 2, 3] }), Bold, Italic, Underline, BulletList, OrderedList, ListItem,
  Link.configure({ openOnClick: false, HTMLAttributes: { target: null, rel: "noopener noreferrer" } }),
];

// As django-prose-editor's createTextareaEditor, without the <style> element Tiptap would inject:
// the CSP refuses inline styles, and editor.css carries the same rules.
function createEditor(textarea) {
  const wrapper = document.createElement("div");
  wrapper.className = "prose-editor";
  textarea.before(wrapper);
  wrapper.append(textarea);
  return new Editor({
    element: wrapper,
    injectCSS: false,
    extensions: EXTENSIONS(),
    content: textarea.value,
    onUpdate({ editor }) {
      const html = editor.getHTML();
      textarea.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    },
    onDestroy() {
      wrapper.before(textarea);
      wrapper.remove();
    },
  });
}

function wire(textarea) {
  const form = textarea.form;
  const insert = document.querySelector("[data-insert-keyword]");
  let editor = null;
  const format = () => form.querySelector("input[name=body_format]:checked")?.value;
  const sync = () => {
    if (format() === "rich" && !editor) {
      editor = createEditor(textarea);
      // The field's own label (data-editor-label, set by the form), so each editor on a page has its name.
      editor.view.dom.setAttribute("aria-label", textarea.dataset.editorLabel || "Message");
      editor.view.dom.setAttribute("role", "textbox");
      editor.view.dom.setAttribute("aria-multiline", "true");
    } else if (format() !== "rich" && editor) {
      editor.destroy();
      editor = null;
    }
    if (insert) insert.hidden = false;
  };
  // ProseMirror writes a link's rel before its href, the link dialog adds title and target
  // (the sanitiser keeps only href, then adds its rel), and numbered lists carry a data-type the
  // sanitiser drops: store the sanitiser's form, so what the officer saves is exactly what is sent.
  textarea.addEventListener("input", () => {
    if (!editor) return;
    textarea.value = textarea.value
      .replace(/<a\s[^>]*?href="([^"]*)"[^>]*>/g, '<a href="$1" rel="noopener noreferrer">')
      .replace(/<ol data-type="[^"]*"/g, "<ol"); // list styles are not in the email allow-list
  });
  form.querySelectorAll("input[name=body_format]").forEach((radio) => radio.addEventListener("change", sync));
  if (insert) {
    insert.addEventListener("submit", (event) => event.preventDefault());
    insert.querySelector("button").addEventListener("click", () => {
      const name = insert.querySelector("input").value.trim().replace(/[{}\s]/g, "");
      if (!name) return;
      const token = `{{${name}}}`;
      if (editor) {
        editor.chain().focus().insertContent(token).run();
      } else {
        const at = textarea.selectionStart ?? textarea.value.length;
        textarea.setRangeText(token, at, textarea.selectionEnd ?? at, "end");
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        textarea.focus();
      }
    });
  }
  sync();
}

document.querySelectorAll("textarea[data-rich-editor]").forEach(wire);
