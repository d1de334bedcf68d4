// Small progressive enhancements. The site works without this file.
//
// Loaded in <head> without defer: it marks <html> with .js before the page is
// first drawn, so the styles that depend on it (the menu closed on a phone, the
// call button waiting) apply from the first frame and nothing moves afterwards.
// Everything else waits for the document.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Collapsible main menu on narrow screens (site.css shows it on wider ones).
  function menu() {
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) {
      return;
    }
    var isOpen = function () { return toggle.getAttribute("aria-expanded") === "true"; };
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    };
    toggle.addEventListener("click", function () { setOpen(!isOpen()); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen() && getComputedStyle(toggle).display !== "none") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // The call button fixed to a phone's screen: shown once none of the page's own
  // call links (the header's number, a call button in the page) is on screen, and
  // put aside while a form field has focus (the keyboard is up and the field needs
  // the room).
  function callButton() {
    var button = document.querySelector(".call-fab");
    if (!button) {
      return;
    }
    var own = document.querySelectorAll(".helpline-link, main a.btn[href^='tel:']");
    var onScreen = [];
    var typing = false;
    var update = function () {
      button.classList.toggle("is-shown", onScreen.length === 0 && !typing);
    };
    var isField = function (el) {
      return el instanceof Element && el.matches("input:not([type=hidden]), select, textarea");
    };
    document.addEventListener("focusin", function (event) {
      typing = isField(event.target);
      update();
    });
    document.addEventListener("focusout", function (event) {
      typing = isField(event.relatedTarget);
      update();
    });
    if (!own.length || !("IntersectionObserver" in window)) {
      update();
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var at = onScreen.indexOf(entry.target);
        if (entry.isIntersecting && at < 0) {
          onScreen.push(entry.target);
        } else if (!entry.isIntersecting && at >= 0) {
          onScreen.splice(at, 1);
        }
      });
      update();
    });
    own.forEach(function (link) { observer.observe(link); });
  }

  // A link to something inside a closed <details> (a citation to the folded list of
  // sources) opens it first, so the browser can scroll to what the link names.
  function openFor(hash, scroll) {
    var id = "";
    try {
      id = decodeURIComponent((hash || "").slice(1));
    } catch (error) {
      return;
    }
    var target = id && document.getElementById(id);
    var details = target && target.closest("details:not([open])");
    if (!details) {
      return;
    }
    for (; details; details = details.parentElement.closest("details:not([open])")) {
      details.open = true;
    }
    if (scroll) {
      target.scrollIntoView();
    }
  }

  function foldedTargets() {
    document.addEventListener("click", function (event) {
      var link = event.target instanceof Element && event.target.closest("a[href^='#']");
      if (link) {
        openFor(link.getAttribute("href"), false);
      }
    });
    window.addEventListener("hashchange", function () { openFor(location.hash, true); });
    openFor(location.hash, true);
  }

  // Move focus to a form's error summary so screen readers announce it.
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  // The one-line offer of the Spanish page, on an English page, to a browser whose
  // first language is Spanish. Never a redirect: the reader chooses.
  function languageOffer() {
    var offer = document.querySelector(".language-offer");
    var preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "";
    if (offer && preferred.toLowerCase().split("-")[0] === "es") {
      offer.hidden = false;
    }
  }

  function start() {
    languageOffer();
    menu();
    callButton();
    foldedTargets();
    errorSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
