// Nothing typed is lost: the narrative is kept in this browser until the server has it, and a page with
// unsaved text asks before it is left.
(function () {
  "use strict";
  const form = document.querySelector("form[data-draft-key]");
  if (!form) return;
  const key = "draft:" + form.dataset.draftKey;
  const fields = Array.from(form.querySelectorAll("textarea[data-draft]"));
  const bar = form.querySelector(".draft-restore");
  const unsaved = form.querySelector(".unsaved");
  let dirty = false;

  function read() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function differs(draft) {
    return draft && fields.some((f) => (draft.values[f.dataset.draft] ?? f.value) !== f.value);
  }
  const saved = read();
  if (document.querySelector(".messages .msg-success") && !differs(saved)) localStorage.removeItem(key);
  const draft = read();
  if (draft && differs(draft) && bar) {
    bar.querySelector("span").textContent = bar.dataset.text + " (" + new Date(draft.at).toLocaleString() + ")";
    bar.hidden = false;
    bar.querySelector("[data-restore]").addEventListener("click", () => {
      fields.forEach((f) => { if (f.dataset.draft in draft.values) f.value = draft.values[f.dataset.draft]; });
      bar.hidden = true; dirty = true; if (unsaved) unsaved.hidden = false;
    });
    bar.querySelector("[data-discard]").addEventListener("click", () => { localStorage.removeItem(key); bar.hidden = true; });
  }
  form.addEventListener("input", () => {
    dirty = true;
    if (unsaved) unsaved.hidden = false;
    const values = {};
    fields.forEach((f) => { values[f.dataset.draft] = f.value; });
    try { localStorage.setItem(key, JSON.stringify({ at: Date.now(), values })); } catch (e) { /* storage full or off */ }
  });
  form.addEventListener("submit", () => { dirty = false; });
  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } });
})();
