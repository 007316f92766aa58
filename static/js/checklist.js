// The inspector's checklist on a phone: each answer is kept in this browser (localStorage) until the server has it,
// so a dropped connection on site loses nothing; photos wait in memory and go when the network is back. Opening the
// page changes nothing on the server: the inspection is started (a POST) just before the first answer or photo is
// sent. Every word shown comes from the page (data-t-* attributes), so the page's language decides it.
(function () {
  "use strict";

  function readQueue(key) {
    try {
      const value = JSON.parse(localStorage.getItem(key) || "{}");
      return value && typeof value === "object" ? value : {};
    } catch (e) {
      return {};
    }
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
  }
  function numbers(keys) {
    return keys.map(Number).sort((a, b) => a - b);
  }

  // The sign page: refuse to sign while this browser still holds answers the server has not got (kept per
  // assignment; pages from before that kept them per inspection, so that key is read too).
  const guard = document.querySelector("[data-pending-guard]");
  if (guard) {
    const held = Object.assign({}, readQueue(guard.dataset.legacyStorageKey), readQueue(guard.dataset.storageKey));
    const pending = numbers(Object.keys(held));
    if (pending.length) {
      guard.textContent = fill(guard.dataset.text, { items: pending.join(guard.dataset.tSeparator) });
      guard.hidden = false;
      const button = document.querySelector(guard.dataset.disable);
      if (button) button.disabled = true;
    }
  }

  const root = document.getElementById("checklist");
  if (!root) return;

  const t = root.dataset;
  const key = t.storageKey;
  const bar = document.getElementById("save-bar");
  const signForm = document.getElementById("sign-form");
  const signButton = document.getElementById("sign-button");
  const signHint = document.getElementById("sign-hint");
  const RETRY_MS = 5000;
  const NOTE_DELAY_MS = 600;
  const ANSWER_TIMEOUT_MS = 20000;
  const PHOTO_TIMEOUT_MS = 120000;

  let queue = readQueue(key); // item number → {result, note, seq}: answers the server has not confirmed
  if (t.legacyStorageKey) {
    queue = Object.assign(readQueue(t.legacyStorageKey), queue);
    try {
      localStorage.removeItem(t.legacyStorageKey);
    } catch (e) {
      // Storage disabled: nothing was kept under the old key either.
    }
  }
  const errors = {}; // item number → the server's refusal; not resent until the answer changes
  const photos = []; // {item, file, element}: photos not uploaded yet (memory only: a File cannot be stored)
  const noteTimers = {};
  let sending = false;
  let stalled = false; // the last attempt could not reach the server
  let loginNeeded = false;
  let retryTimer = null;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function persist() {
    try {
      if (Object.keys(queue).length) localStorage.setItem(key, JSON.stringify(queue));
      else localStorage.removeItem(key);
    } catch (e) {
      // Storage full or disabled: the answer still goes to the server, it just would not survive a reload.
    }
  }
  function box(n) {
    return root.querySelector('.inspect-item[data-item="' + n + '"]');
  }
  // The item's own result, and the district's sub-indicators checked with it (refinement id → met / not_met; one
  // not checked is left out). The sub-checks never decide the item's result.
  function readItem(n) {
    const item = box(n);
    const checked = item.querySelector('input[name="result-' + n + '"]:checked');
    const subs = {};
    item.querySelectorAll("input[data-sub]:checked").forEach((radio) => {
      if (radio.value) subs[radio.dataset.sub] = radio.value;
    });
    return { result: checked ? checked.value : "", note: item.querySelector("textarea").value, subs };
  }
  function applyItem(n, entry) {
    const item = box(n);
    item.querySelectorAll('input[name="result-' + n + '"]').forEach((radio) => {
      radio.checked = radio.value === entry.result;
    });
    const subs = entry.subs && typeof entry.subs === "object" ? entry.subs : {};
    item.querySelectorAll("input[data-sub]").forEach((radio) => {
      radio.checked = radio.value === (subs[radio.dataset.sub] || "");
    });
    item.querySelector("textarea").value = entry.note;
    item.classList.toggle("is-fails", entry.result === "fails");
  }
  function setState(n, text, kind) {
    const item = box(n);
    if (!item) return;
    const state = item.querySelector(".item-state");
    state.textContent = text;
    state.dataset.kind = kind;
    item.classList.toggle("is-unsaved", kind === "unsaved" || kind === "error");
    item.classList.toggle("is-error", kind === "error");
  }
  function savedText(iso) {
    // The server sends its local time (Asia/Shanghai) as ISO 8601; HH:MM is characters 11-16.
    return fill(t.tSaved, { time: String(iso).slice(11, 16) });
  }
  function unsavedState(n) {
    const entry = queue[n];
    if (!entry) return;
    if (!entry.result) setState(n, t.tChooseResult, "unsaved");
    else if (n in errors) setState(n, errors[n], "error");
    else setState(n, t.tUnsaved, "unsaved");
  }

  function isDirty() {
    return Object.keys(queue).length > 0 || photos.length > 0;
  }
  function sendable() {
    return numbers(Object.keys(queue)).filter((n) => queue[n].result && !(n in errors));
  }

  function render() {
    const pending = numbers(Object.keys(queue));
    const unchosen = pending.filter((n) => !queue[n].result);
    const refused = pending.filter((n) => queue[n].result && n in errors);
    const waiting = sendable();
    const parts = [];
    let state = "ok";
    if (waiting.length) {
      state = "pending";
      if (loginNeeded) parts.push(t.tBarLogin);
      else if (sending && !stalled) parts.push(fill(t.tBarSaving, { count: waiting.length }));
      else parts.push(fill(t.tBarOffline, { count: waiting.length, items: waiting.join(t.tSeparator) }));
    }
    if (refused.length) {
      state = "error";
      parts.push(fill(t.tBarErrors, { items: refused.join(t.tSeparator) }));
    }
    if (unchosen.length) {
      if (state === "ok") state = "pending";
      parts.push(fill(t.tBarChoose, { items: unchosen.join(t.tSeparator) }));
    }
    if (photos.length) {
      if (state === "ok") state = "pending";
      parts.push(fill(t.tBarPhotos, { count: photos.length }));
    }
    bar.textContent = parts.length ? parts.join(" ") : t.tBarSaved;
    bar.dataset.state = state;
    const dirty = isDirty();
    const started = Boolean(t.answerUrl);
    if (signButton) signButton.disabled = dirty || !started;
    if (signHint) {
      signHint.textContent = started ? t.tSignPending : t.tSignNotStarted;
      signHint.hidden = started && !dirty;
    }
  }

  function schedule() {
    if (retryTimer || !(sendable().length || photos.length)) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flush();
    }, RETRY_MS);
  }

  async function readJson(response) {
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("application/json")) return null;
    try {
      return await response.json();
    } catch (e) {
      return null;
    }
  }

  // A weak line can leave a request hanging for minutes; give up on it in time and let the retry send it again
  // (the server keeps one answer per item, so a request that did arrive is harmless to repeat).
  async function post(url, body, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }
  function unreachable(response, data) {
    // A login page (the session ended) or a server error: nothing wrong with the answer, so keep it and retry.
    if (data !== null) return false;
    if (response.redirected && response.url.includes("/accounts/login/")) {
      loginNeeded = true;
      return true;
    }
    // Refused before the answer was looked at (the login or its CSRF token ended): the same, log in and resend.
    if (response.status === 401 || response.status === 403) {
      loginNeeded = true;
      return true;
    }
    return response.status >= 500;
  }

  // The inspection is started once, by the first answer or photo that goes out; the answer and photo addresses
  // come back with it. "refused": the server will not start it (the round has ended, say), with its reason.
  let startRefusal = "";
  async function ensureStarted() {
    if (t.answerUrl) return "started";
    let response;
    try {
      response = await post(t.startUrl, new URLSearchParams(), ANSWER_TIMEOUT_MS);
    } catch (e) {
      stalled = true;
      return "stop";
    }
    const data = await readJson(response);
    if (unreachable(response, data)) {
      stalled = true;
      return "stop";
    }
    stalled = false;
    loginNeeded = false;
    if (data && data.ok) {
      t.answerUrl = data.answer_url;
      t.photoUrl = data.photo_url;
      if (signForm) signForm.action = data.sign_url;
      return "started";
    }
    startRefusal = (data && data.error) || t.tFailed;
    return "refused";
  }
  function refuseAll() {
    sendable().forEach((n) => {
      errors[n] = startRefusal;
      unsavedState(n);
    });
    photos.splice(0).forEach((photo) => photoShown(photo, startRefusal, "error"));
  }

  async function sendAnswer(n) {
    const entry = queue[n];
    setState(n, t.tSaving, "saving");
    let response;
    try {
      const body = new URLSearchParams({ item: String(n), result: entry.result, note: entry.note });
      Object.entries(entry.subs || {}).forEach(([id, value]) => body.append("sub-" + id, value));
      response = await post(t.answerUrl, body, ANSWER_TIMEOUT_MS);
    } catch (e) {
      stalled = true;
      unsavedState(n);
      return "stop";
    }
    const data = await readJson(response);
    if (unreachable(response, data)) {
      stalled = true;
      unsavedState(n);
      return "stop";
    }
    stalled = false;
    loginNeeded = false;
    const current = queue[n];
    const unchanged = current && current.seq === entry.seq;
    if (data && data.ok) {
      if (unchanged) {
        delete queue[n];
        persist();
        setState(n, savedText(data.saved_at), "saved");
      }
    } else if (unchanged) {
      errors[n] = (data && data.error) || t.tFailed;
      unsavedState(n);
    }
    return "sent";
  }

  function photoList(n) {
    return box(n).querySelector(".inspect-photos");
  }
  function photoShown(photo, text, kind) {
    photo.element.querySelector(".photo-state").textContent = text;
    photo.element.dataset.kind = kind;
  }
  async function sendPhoto(photo) {
    photoShown(photo, t.tPhotoUploading, "saving");
    const body = new FormData();
    body.append("item", String(photo.item));
    body.append("file", photo.file, photo.file.name);
    let response;
    try {
      response = await post(t.photoUrl, body, PHOTO_TIMEOUT_MS);
    } catch (e) {
      stalled = true;
      photoShown(photo, t.tPhotoPending, "unsaved");
      return "stop";
    }
    const data = await readJson(response);
    if (unreachable(response, data)) {
      stalled = true;
      photoShown(photo, t.tPhotoPending, "unsaved");
      return "stop";
    }
    stalled = false;
    loginNeeded = false;
    photos.splice(photos.indexOf(photo), 1);
    if (data && data.ok) {
      const link = document.createElement("a");
      link.href = data.url;
      link.target = "_blank";
      link.rel = "noopener";
      if (data.thumbnail) {
        const img = document.createElement("img");
        img.src = data.thumbnail;
        img.alt = data.name;
        img.width = img.height = 64;
        link.appendChild(img);
      } else {
        link.textContent = data.name;
      }
      photo.element.replaceChildren(link);
      photo.element.dataset.kind = "saved";
    } else {
      photoShown(photo, (data && data.error) || t.tFailed, "error");
    }
    return "sent";
  }

  // One request at a time, answers in item order, then photos: gentle on a weak line and on the server.
  async function flush() {
    if (sending) return;
    sending = true;
    render();
    try {
      for (;;) {
        if (!navigator.onLine) {
          stalled = true;
          break;
        }
        const next = sendable()[0];
        if (next === undefined && !photos.length) break;
        const start = await ensureStarted();
        if (start === "stop") break;
        if (start === "refused") {
          refuseAll();
          break;
        }
        const outcome = next !== undefined ? await sendAnswer(next) : await sendPhoto(photos[0]);
        if (outcome === null || outcome === "stop") break;
        render();
      }
    } finally {
      sending = false;
      render();
      // An answer changed while the last one was on its way goes at once; anything else waits for the retry.
      if (!stalled && navigator.onLine && sendable().length) setTimeout(flush, 0);
      else schedule();
    }
  }

  function changed(n) {
    const entry = readItem(n);
    const before = queue[n];
    queue[n] = { result: entry.result, note: entry.note, subs: entry.subs, seq: (before ? before.seq : 0) + 1 };
    delete errors[n];
    persist();
    box(n).classList.toggle("is-fails", entry.result === "fails");
    unsavedState(n);
    render();
  }

  root.addEventListener("change", (event) => {
    const input = event.target;
    const item = input.closest(".inspect-item");
    if (!item) return;
    const n = Number(item.dataset.item);
    if (input.type === "radio") {
      changed(n);
      flush();
    } else if (input.type === "file") {
      Array.from(input.files).forEach((file) => {
        const element = document.createElement("li");
        element.className = "photo-pending";
        const name = document.createElement("span");
        name.className = "photo-name";
        name.textContent = file.name;
        const state = document.createElement("span");
        state.className = "photo-state";
        element.append(name, state);
        photoList(n).appendChild(element);
        const photo = { item: n, file, element };
        photos.push(photo);
        photoShown(photo, navigator.onLine ? t.tPhotoUploading : t.tPhotoPending, navigator.onLine ? "saving" : "unsaved");
      });
      input.value = "";
      render();
      flush();
    }
  });
  root.addEventListener("input", (event) => {
    const input = event.target;
    if (input.tagName !== "TEXTAREA") return;
    const n = Number(input.closest(".inspect-item").dataset.item);
    changed(n); // kept in this browser at once; sent when typing pauses
    clearTimeout(noteTimers[n]);
    noteTimers[n] = setTimeout(flush, NOTE_DELAY_MS);
  });

  window.addEventListener("online", () => {
    stalled = false;
    flush();
  });
  window.addEventListener("offline", () => {
    stalled = true;
    render();
  });
  window.addEventListener("beforeunload", (event) => {
    if (!isDirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // What the server already has shows its time; what this browser still holds (from before a reload) goes back
  // into the form and is sent again.
  root.querySelectorAll(".inspect-item[data-saved-at]").forEach((item) => {
    setState(Number(item.dataset.item), savedText(item.dataset.savedAt), "saved");
  });
  Object.keys(queue).forEach((k) => {
    const n = Number(k);
    const entry = queue[k];
    if (!box(n) || !entry || typeof entry.result !== "string" || typeof entry.note !== "string") {
      delete queue[k];
      return;
    }
    applyItem(n, entry);
    unsavedState(n);
  });
  persist();
  render();
  flush();
})();
