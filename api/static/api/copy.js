// A "Copy" button copies the value of the field its data-copy selector names.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.querySelector(button.dataset.copy);
      if (!field) return;
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = button.dataset.copiedText || "Copied";
      } catch {
        // Without clipboard access the text stays selected for Ctrl-C.
      }
    });
  });
});
