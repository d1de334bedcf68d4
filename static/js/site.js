// Small progressive enhancements. The site works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Collapsible main menu on narrow screens.
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    var narrow = window.matchMedia("(max-width: 767.98px)");
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.setAttribute("data-collapsed", open ? "false" : "true");
    };
    toggle.hidden = false;
    setOpen(!narrow.matches);
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    narrow.addEventListener("change", function (event) { setOpen(!event.matches); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && narrow.matches && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // Move focus to a form's error summary so screen readers announce it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
