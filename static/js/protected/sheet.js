// Reading a recipient file (CSV or XLSX) in the browser, into [row number, cells] records with the
// row numbers a spreadsheet shows (the header is row 1). XLSX is a zip of XML: the zip is read
// with DecompressionStream and the XML with DOMParser, so no library is needed.
(function (root) {
  "use strict";

  class SheetError extends Error {}

  function parseCsv(text) {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const records = [];
    let row = [];
    let cell = "";
    let quoted = false;
    let line = 1;
    let rowStart = 1;
    for (let i = 0; i < text.length; i += 1) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; }
        else if (c === '"') quoted = false;
        else { if (c === "\n") line += 1; cell += c; }
      } else if (c === '"' && cell === "") quoted = true;
      else if (c === ",") { row.push(cell); cell = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i += 1;
        row.push(cell);
        records.push([rowStart, row]);
        row = []; cell = ""; line += 1; rowStart = line;
      } else cell += c;
    }
    if (quoted) throw new SheetError(`Row ${rowStart} has a quote that is never closed.`);
    if (cell !== "" || row.length) { row.push(cell); records.push([rowStart, row]); }
    return records.map(([number, cells], index) => [index + 1, cells, number]);
  }

  async function inflate(bytes, method) {
    if (method === 0) return bytes;
    if (method !== 8) throw new SheetError("The workbook uses a compression Postman cannot read. Save it again from Excel.");
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  function zipEntries(buffer) {
    const view = new DataView(buffer);
    let end = -1;
    for (let i = buffer.byteLength - 22; i >= Math.max(0, buffer.byteLength - 65557); i -= 1) {
      if (view.getUint32(i, true) === 0x06054b50) { end = i; break; }
    }
    if (end < 0) throw new SheetError("The file is not a valid Excel workbook.");
    const count = view.getUint16(end + 10, true);
    let at = view.getUint32(end + 16, true);
    const entries = new Map();
    const decoder = new TextDecoder();
    for (let n = 0; n < count; n += 1) {
      if (view.getUint32(at, true) !== 0x02014b50) throw new SheetError("The workbook is damaged.");
      const method = view.getUint16(at + 10, true);
      const size = view.getUint32(at + 20, true);
      const nameLength = view.getUint16(at + 28, true);
      const extra = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
      const local = view.getUint32(at + 42, true);
      const name = decoder.decode(new Uint8Array(buffer, at + 46, nameLength));
      entries.set(name, { method, size, local });
      at += 46 + nameLength + extra;
    }
    return {
      async text(name) {
        const entry = entries.get(name);
        if (!entry) return null;
        const start = entry.local + 30 + view.getUint16(entry.local + 26, true) + view.getUint16(entry.local + 28, true);
        return decoder.decode(await inflate(new Uint8Array(buffer, start, entry.size), entry.method));
      },
    };
  }

  function xml(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) throw new SheetError("The workbook is damaged.");
    return doc;
  }

  function textOf(element) {
    // Rich text runs hold the text in several <t>; phonetic hints (<rPh>) are not part of it.
    let text = "";
    for (const t of element.getElementsByTagName("t")) {
      if (!t.parentNode || t.parentNode.localName !== "rPh") text += t.textContent;
    }
    return text;
  }

  function columnIndex(reference) {
    let index = 0;
    for (const c of reference.replace(/[0-9]+$/, "")) index = index * 26 + (c.charCodeAt(0) - 64);
    return index - 1;
  }

  async function firstSheetPath(zip) {
    const workbook = await zip.text("xl/workbook.xml");
    const rels = await zip.text("xl/_rels/workbook.xml.rels");
    if (!workbook || !rels) return "xl/worksheets/sheet1.xml";
    const sheet = xml(workbook).getElementsByTagName("sheet")[0];
    const id = sheet && (sheet.getAttribute("r:id") || sheet.getAttributeNS(
      "http://schemas.openxmlformats.org/officeDocument/2006/relationships", "id"));
    for (const rel of xml(rels).getElementsByTagName("Relationship")) {
      if (rel.getAttribute("Id") === id) {
        const target = rel.getAttribute("Target");
        return target.startsWith("/") ? target.slice(1) : `xl/${target}`;
      }
    }
    return "xl/worksheets/sheet1.xml";
  }

  function cellText(cell, shared) {
    const type = cell.getAttribute("t");
    if (type === "inlineStr") return textOf(cell);
    const value = cell.getElementsByTagName("v")[0];
    const raw = value ? value.textContent : "";
    if (type === "s") return shared[Number(raw)] || "";
    if (type === "b") return raw === "1" ? "TRUE" : "FALSE";
    return raw;
  }

  async function parseXlsx(buffer) {
    const zip = zipEntries(buffer);
    const strings = await zip.text("xl/sharedStrings.xml");
    const shared = strings ? Array.from(xml(strings).getElementsByTagName("si"), textOf) : [];
    const sheet = await zip.text(await firstSheetPath(zip));
    if (!sheet) throw new SheetError("The workbook has no sheet.");
    const records = [];
    for (const row of xml(sheet).getElementsByTagName("row")) {
      const cells = [];
      for (const cell of row.getElementsByTagName("c")) {
        const reference = cell.getAttribute("r");
        const index = reference ? columnIndex(reference) : cells.length;
        while (cells.length < index) cells.push("");
        cells[index] = cellText(cell, shared);
      }
      records.push([Number(row.getAttribute("r")) || records.length + 1, cells]);
    }
    return records;
  }

  async function readSheet(file) {
    const buffer = await file.arrayBuffer();
    const head = new Uint8Array(buffer, 0, Math.min(4, buffer.byteLength));
    if (head[0] === 0x50 && head[1] === 0x4b) return parseXlsx(buffer);
    let text;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(buffer);
    } catch (error) {
      throw new SheetError("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8” or as .xlsx.");
    }
    return parseCsv(text);
  }

  root.PostmanSheet = { readSheet, parseCsv, SheetError };
})(typeof self !== "undefined" ? self : globalThis);
