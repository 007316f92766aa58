// Behaviour every page may use, declared in the markup with data attributes (the Content-Security-Policy runs no
// inline handlers): data-confirm on a form asks before sending, data-autosubmit on a select sends its form,
// data-print prints the page, data-tick-all="<selector>" on a checkbox ticks or clears every box it selects.
// A form's question may count: with data-confirm-count="<name>", "{n}" in it becomes the number of the form's ticked
// boxes of that name. A ticked box of the form (form= attribute included) with its own data-confirm asks that instead.
// data-menu-toggle on a button opens and closes the header's menu at phone width; Escape closes it.
(function () {
  "use strict";
  function question(form) {
    const ticked = Array.from(form.elements).filter((el) => el.type === "checkbox" && el.checked);
    const own = ticked.find((box) => box.dataset.confirm);
    if (own) return own.dataset.confirm;
    const count = form.dataset.confirmCount;
    const text = form.dataset.confirm || "";
    return count ? text.replace("{n}", String(ticked.filter((box) => box.name === count).length)) : text;
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(question(form))) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches("select[data-autosubmit]") && input.form) input.form.submit();
    if (input.matches("input[type=checkbox][data-tick-all]")) {
      document.querySelectorAll(input.dataset.tickAll).forEach((box) => {
        box.checked = input.checked;
      });
    }
  });
  function setMenu(toggle, open) {
    toggle.setAttribute("aria-expanded", String(open));
    toggle.closest("header").classList.toggle("menu-open", open);
  }
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
    const toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) setMenu(toggle, toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", (event) => {
    const open = event.key === "Escape" && document.querySelector("[data-menu-toggle][aria-expanded='true']");
    if (open) {
      setMenu(open, false);
      open.focus();
    }
  });
})();
