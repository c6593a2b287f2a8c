// Password-protected messages: key derivation, encryption and decryption with WebCrypto only.
// Loaded by the officer's page, its workers (importScripts) and the recipient's page.
//
// key material = PBKDF2-SHA256(password, salt = the message id, iterations) → 256 bits
// AES-GCM-256 key and verifier = two HKDF-SHA256 expansions of it with different labels, so the
//   verifier sent to the server says nothing about the key, and one PBKDF2 block is all it costs.
// payload = base64(96-bit random IV ‖ ciphertext ‖ 128-bit tag); the id is authenticated data, so a
//   payload moved to another id does not decrypt.
(function (root) {
  "use strict";
  const encoder = new TextEncoder();
  const KEY_LABEL = encoder.encode("postman protected message key");
  const VERIFIER_LABEL = encoder.encode("postman protected message verifier");
  const NO_SALT = new Uint8Array(0);

  function toBase64(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  }

  function fromBase64(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  async function deriveKeys(password, id, iterations) {
    const subtle = root.crypto.subtle;
    const secret = await subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
    const bits = await subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(id), iterations }, secret, 256);
    const master = await subtle.importKey("raw", bits, "HKDF", false, ["deriveKey", "deriveBits"]);
    const key = await subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: NO_SALT, info: KEY_LABEL }, master,
      { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    const verifier = await subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: NO_SALT, info: VERIFIER_LABEL }, master, 256);
    return { key, verifier: toBase64(new Uint8Array(verifier)) };
  }

  async function encryptMessage(plaintext, password, id, iterations) {
    const { key, verifier } = await deriveKeys(password, id, iterations);
    const iv = root.crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(await root.crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(id) }, key, encoder.encode(plaintext)));
    const payload = new Uint8Array(iv.length + sealed.length);
    payload.set(iv);
    payload.set(sealed, iv.length);
    return { payload: toBase64(payload), verifier };
  }

  // Rejects (an OperationError) when the payload was altered or the key is wrong.
  async function decryptMessage(payload, key, id) {
    const bytes = fromBase64(payload);
    const plain = await root.crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: encoder.encode(id) }, key, bytes.subarray(12));
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  }

  root.PostmanProtect = { deriveKeys, encryptMessage, decryptMessage, toBase64, fromBase64 };
})(typeof self !== "undefined" ? self : globalThis);
