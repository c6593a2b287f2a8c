// Recipient upload with a progress bar and a drop zone. Without JavaScript the form posts as usual.
(() => {
  "use strict";

  function setProgress(bar, percent) {
    bar.setAttribute("aria-valuenow", String(percent));
    bar.querySelector(".progress-bar").style.width = `${percent}%`;
  }

  function showFileName(form, input) {
    const label = form.querySelector("[data-file-name]");
    if (label) label.textContent = input.files.length ? `Selected: ${input.files[0].name}` : "";
  }

  function wireDropZone(form, input) {
    const zone = form.querySelector("[data-drop-zone]");
    if (!zone) return;
    ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragover");
    }));
    ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.remove("dragover");
    }));
    zone.addEventListener("drop", (event) => {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      showFileName(form, input);
    });
    input.addEventListener("change", () => showFileName(form, input));
    showFileName(form, input); // a file chosen before this script ran
  }

  function upload(form, event) {
    const input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) return; // let the browser and the server explain
    event.preventDefault();
    const bar = form.querySelector("[data-upload-progress]");
    const error = form.querySelector("[data-upload-error]");
    const tooBig = form.querySelector("[data-too-big]");
    const maxBytes = Number(form.dataset.maxBytes) || Infinity;
    tooBig.classList.toggle("d-none", input.files[0].size <= maxBytes);
    if (input.files[0].size > maxBytes) return; // refused before minutes of uploading
    const button = form.querySelector("button[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Upload", "script");
    xhr.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) setProgress(bar, Math.round((progress.loaded / progress.total) * 100));
    });
    const fail = (text) => {
      bar.classList.add("d-none");
      error.textContent = text;
      error.classList.remove("d-none");
      button.disabled = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    };
    xhr.addEventListener("load", () => {
      // The server answers this script with JSON: where to go next (its message waits there), or
      // what was wrong with the file, shown here beside the file field.
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (parseError) { answer = {}; }
      if (xhr.status < 400 && answer.location) {
        window.location.assign(answer.location);
      } else if (answer.error) {
        fail(answer.error);
      } else {
        fail(`The server could not take the file (error ${xhr.status}). Nothing was changed. Try again in a few minutes; if it happens again, tell your administrator.`);
      }
    });
    xhr.addEventListener("error", () => fail("The upload failed. Check your connection and try again."));
    error.classList.add("d-none");
    input.removeAttribute("aria-invalid");
    bar.classList.remove("d-none");
    setProgress(bar, 0);
    button.disabled = true;
    xhr.send(new FormData(form));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-upload]").forEach((form) => {
      const input = form.querySelector("input[type=file]");
      if (input) wireDropZone(form, input);
      form.addEventListener("submit", (event) => upload(form, event));
    });
  });
})();
