// The officer's side of a protected campaign: read the file here, check every row, fill in and
// encrypt each row's message in Web Workers, and upload only recipient, id, payload, verifier and
// iterations through the normal upload path. Passwords and messages never leave this page.
/* global PostmanProtect, PostmanRender, PostmanSheet */
(() => {
  "use strict";
  const form = document.querySelector("[data-protect]");
  if (!form) return;
  const config = JSON.parse(document.getElementById("protected-config").textContent);
  const find = (selector) => form.querySelector(selector);
  const CHUNK_ROWS = 25;
  const SHOWN_PROBLEMS = 50;
  const EMAIL = /^[^\s@"(),:;<>[\]\\]+@[^\s@"(),:;<>[\]\\.]+(\.[^\s@"(),:;<>[\]\\.]+)+$/;
  const INVISIBLE = /[\u200b\u200c\u200d\u2060\ufeff]/g;
  const HIDDEN_CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;
  let prepared = [];
  let workers = [];

  function show(selector, visible) { find(selector).hidden = !visible; }

  function say(selector, text) {
    const element = find(selector);
    element.textContent = text;
    element.hidden = !text;
  }

  function normaliseHeader(cell) { return cell.replace(INVISIBLE, "").trim().toLowerCase(); }

  function withoutControls(text) { return text.replace(/\r\n?/g, "\n").replace(HIDDEN_CONTROLS, ""); }

  function headerOf(records) {
    if (!records.length) throw new PostmanSheet.SheetError("The file is empty.");
    const names = records[0][1].map(normaliseHeader);
    while (names.length && !names[names.length - 1]) names.pop();
    const missing = config.columns.filter((column) => !names.includes(column));
    if (missing.length) {
      const list = missing.map((name) => `"${name}"`).join(", ");
      throw new PostmanSheet.SheetError(`The file has no column ${list}. The first row must hold the column names.`);
    }
    return names;
  }

  function checkRow(number, values, seen) {
    const recipient = values.recipient.trim();
    if (!recipient) return `Row ${number}: the recipient is empty.`;
    if (!EMAIL.test(recipient)) return `Row ${number}: “${recipient}” is not a valid email address.`;
    const key = recipient.toLowerCase();
    if (seen.has(key)) return `Row ${number}: ${recipient} is a duplicate of row ${seen.get(key)}.`;
    seen.set(key, number);
    const empty = config.columns.filter((column) => !values[column]);
    if (empty.length) return `Row ${number}: ${empty.map((name) => `“${name}”`).join(", ")} is empty.`;
    return "";
  }

  function checkRows(records) {
    const names = headerOf(records);
    const rows = [];
    const problems = [];
    const seen = new Map();
    for (const [number, cells] of records.slice(1)) {
      if (cells.every((cell) => !cell.trim())) continue;
      const values = {};
      names.forEach((name, i) => { if (name) values[name] = withoutControls(cells[i] || ""); });
      const problem = checkRow(number, values, seen);
      if (problem) { problems.push(problem); continue; }
      values.recipient = values.recipient.trim();
      rows.push({ row: number, recipient: values.recipient, password: values.password, values });
    }
    if (!rows.length && !problems.length) throw new PostmanSheet.SheetError("The file has a header row but no recipients.");
    return { rows, problems };
  }

  function showProblems(problems) {
    const box = find("[data-protect-problems]");
    box.replaceChildren();
    if (!problems.length) { box.hidden = true; return; }
    const title = document.createElement("p");
    title.className = "fw-semibold mb-1";
    title.textContent = `${problems.length} row${problems.length === 1 ? "" : "s"} cannot be sent and will be left out:`;
    const list = document.createElement("ul");
    list.className = "mb-0";
    list.dataset.testid = "row-problems";
    for (const text of problems.slice(0, SHOWN_PROBLEMS)) {
      const item = document.createElement("li");
      item.textContent = text;
      list.append(item);
    }
    box.append(title, list);
    if (problems.length > SHOWN_PROBLEMS) {
      const more = document.createElement("p");
      more.className = "mb-0 mt-1";
      more.textContent = `and ${problems.length - SHOWN_PROBLEMS} more.`;
      box.append(more);
    }
    box.hidden = false;
  }

  function frameDocument(html) {
    return `<!DOCTYPE html><html><head><meta charset="utf-8"><base target="_blank"></head><body>${html}</body></html>`;
  }

  async function preview(row) {
    const plaintext = PostmanRender.renderParts(config.parts, row.values);
    const id = crypto.randomUUID();
    const sealed = await PostmanProtect.encryptMessage(plaintext, row.password, id, config.iterations);
    const { key } = await PostmanProtect.deriveKeys(row.password, id, config.iterations);
    const opened = await PostmanProtect.decryptMessage(sealed.payload, key, id);
    find("[data-preview-row]").textContent = String(row.row);
    find("[data-preview-to]").textContent = row.recipient;
    find("[data-preview-frame]").srcdoc = frameDocument(opened);
    show("[data-protect-preview]", true);
  }

  async function choose(file) {
    prepared = [];
    find("[data-protect-start]").disabled = true;
    show("[data-protect-preview]", false);
    showProblems([]);
    say("[data-protect-summary]", "Reading the file…");
    try {
      const { rows, problems } = checkRows(await PostmanSheet.readSheet(file));
      showProblems(problems);
      prepared = rows;
      say("[data-protect-summary]", `${rows.length} row${rows.length === 1 ? "" : "s"} ready to encrypt.`);
      if (rows.length) {
        await preview(rows[0]);
        find("[data-protect-start]").disabled = false;
      }
    } catch (error) {
      say("[data-protect-summary]", "");
      showProblems([error instanceof PostmanSheet.SheetError ? error.message : "The file could not be read."]);
    }
  }

  function setProgress(done, total) {
    const percent = total ? Math.floor((done / total) * 100) : 0;
    const bar = find("[data-protect-progress]");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.querySelector(".progress-bar").style.width = `${percent}%`;
    say("[data-protect-status]", `Encrypted ${done} of ${total} messages.`);
  }

  function stopWorkers() {
    workers.forEach((worker) => worker.terminate());
    workers = [];
  }

  function encryptAll(rows) {
    return new Promise((resolve, reject) => {
      const results = new Array(rows.length);
      let next = 0;
      let done = 0;
      const count = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
      const feed = (worker) => {
        if (next >= rows.length) return;
        const chunk = rows.slice(next, next + CHUNK_ROWS).map((row, offset) => ({
          index: next + offset,
          recipient: row.recipient,
          password: row.password,
          plaintext: PostmanRender.renderParts(config.parts, row.values),
        }));
        next += chunk.length;
        worker.postMessage({ rows: chunk, iterations: config.iterations });
      };
      for (let i = 0; i < count; i += 1) {
        const worker = new Worker(form.dataset.workerUrl);
        worker.addEventListener("message", (event) => {
          for (const item of event.data.done) results[item.index] = item;
          done += event.data.done.length;
          setProgress(done, rows.length);
          if (done === rows.length) resolve(results);
          else feed(worker);
        });
        worker.addEventListener("error", () => reject(new Error("encryption failed")));
        workers.push(worker);
        feed(worker);
      }
    });
  }

  function csvCell(value) { return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value; }

  function encryptedCsv(results) {
    const lines = ["recipient,id,payload,verifier,iterations"];
    for (const item of results) {
      lines.push([item.recipient, item.id, item.payload, item.verifier, String(config.iterations)].map(csvCell).join(","));
    }
    return `${lines.join("\r\n")}\r\n`;
  }

  // The multipart body is built here as one buffer, so what is sent is exactly this text: the
  // encrypted columns and the CSRF token (and a browser's request log shows it whole).
  function multipart(token, csv) {
    const boundary = `----postman${crypto.randomUUID().replace(/-/g, "")}`;
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n${token}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="protected-recipients.csv"\r\n`,
      `Content-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`,
    ].join("");
    return { body: new TextEncoder().encode(body), type: `multipart/form-data; boundary=${boundary}` };
  }

  async function upload(results) {
    say("[data-protect-status]", "Uploading the encrypted messages…");
    const { body, type } = multipart(find("[name=csrfmiddlewaretoken]").value, encryptedCsv(results));
    const response = await fetch(form.dataset.uploadUrl, {
      method: "POST", body, headers: { "Content-Type": type, "X-Upload": "script" }, credentials: "same-origin",
    });
    // JSON, not a redirect: a redirect followed here would consume the message meant for the page.
    const answer = await response.json().catch(() => ({}));
    if (response.ok && answer.location) {
      window.location.assign(answer.location);
      return;
    }
    say("[data-protect-status]", answer.error || `The server could not take the file (error ${response.status}). Nothing was changed. Try again; if it happens again, tell your administrator.`);
    find("[data-protect-file]").disabled = false;
    find("[data-protect-start]").disabled = false;
  }

  async function start(event) {
    event.preventDefault();
    if (!prepared.length) return;
    find("[data-protect-start]").disabled = true;
    find("[data-protect-file]").disabled = true;
    show("[data-protect-cancel]", true);
    show("[data-protect-progress]", true);
    setProgress(0, prepared.length);
    try {
      const results = await encryptAll(prepared);
      stopWorkers();
      show("[data-protect-cancel]", false);
      await upload(results);
    } catch (error) {
      stopWorkers();
      say("[data-protect-status]", "Encryption failed in this browser. Nothing was uploaded.");
      find("[data-protect-file]").disabled = false;
    }
  }

  function cancel() {
    stopWorkers();
    show("[data-protect-cancel]", false);
    show("[data-protect-progress]", false);
    say("[data-protect-status]", "Cancelled. Nothing was uploaded.");
    find("[data-protect-start]").disabled = !prepared.length;
    find("[data-protect-file]").disabled = false;
  }

  if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
    // WebCrypto exists only on HTTPS pages (and on this computer's own address).
    showProblems(["Encryption needs this page to be opened over HTTPS."]);
    find("[data-protect-file]").disabled = true;
    return;
  }
  find("[data-protect-file]").addEventListener("change", (event) => {
    if (event.target.files.length) choose(event.target.files[0]);
  });
  form.addEventListener("submit", start);
  find("[data-protect-cancel]").addEventListener("click", cancel);
})();
