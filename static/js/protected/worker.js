// Encrypts rows for the officer's page: one message each, with a fresh random id as the salt.
/* global importScripts, PostmanProtect */
importScripts("crypto.js");

self.addEventListener("message", async (event) => {
  const { rows, iterations } = event.data;
  const done = [];
  for (const row of rows) {
    const id = self.crypto.randomUUID();
    const sealed = await PostmanProtect.encryptMessage(row.plaintext, row.password, id, iterations);
    done.push({ index: row.index, recipient: row.recipient, id, payload: sealed.payload, verifier: sealed.verifier });
  }
  self.postMessage({ done });
});
