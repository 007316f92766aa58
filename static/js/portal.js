// Behaviour every page may use, declared in the markup with data attributes (the Content-Security-Policy runs no
// inline handlers): data-confirm on a form asks before sending, data-autosubmit on a select sends its form,
// data-print prints the page, data-tick-all="<selector>" on a checkbox ticks or clears every box it selects.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
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
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
