// The intake list fetches itself again every few seconds (data-refresh-seconds on
// #queue-refresh, IntakeAdmin.refresh_seconds) at the same address, so the queue
// and its filters stay as chosen, and swaps in the new rows and page title. It
// waits while the tab is hidden, while the person types or has focus in the list
// (a field, a link, a button) and while rows or an action are chosen, so nothing
// they are doing is swapped away. The list works without this file.
(function () {
  "use strict";
  var FORM = "changelist-form";
  var status = document.getElementById("queue-refresh");
  if (!status || !window.fetch || !window.DOMParser) {
    return;
  }
  var seconds = Number(status.getAttribute("data-refresh-seconds"));
  if (!(seconds > 0)) {
    return;
  }
  var state = status.querySelector("[data-refresh-state]");
  var announce = status.querySelector("[data-refresh-announce]");
  var every = seconds === 1 ? "second" : seconds + " seconds";
  var lastFetched = Date.now();
  var fetching = false;

  // Why the list must not change now, or "" when it may.
  function busy() {
    var form = document.getElementById(FORM);
    if (document.hidden) {
      return "hidden";
    }
    var active = document.activeElement;
    if (active && active !== document.body) {
      if (active.matches("input, select, textarea") || (form && form.contains(active))) {
        return "focus";
      }
    }
    if (form) {
      if (form.querySelector("input.action-select:checked, #action-toggle:checked")) {
        return "chosen";
      }
      var action = form.querySelector("select[name=action]");
      if (action && action.value) {
        return "chosen";
      }
    }
    return "";
  }

  function showState(reason) {
    state.hidden = false;
    state.textContent = reason === "focus" || reason === "chosen"
      ? "Updates are paused while you work in the list."
      : "This list updates itself every " + every + ".";
  }

  function waitingOf(element) {
    return element ? element.getAttribute("data-waiting") : null;
  }

  function swapIn(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var form = fresh.getElementById(FORM);
    var current = document.getElementById(FORM);
    if (!form || !current || busy()) {
      return;  // the person started something while the list was on its way
    }
    document.title = fresh.title;
    current.replaceWith(document.adoptNode(form));
    // Django's list actions (select all, the counter) bind to the rows themselves.
    var boxes = form.querySelectorAll("tr input.action-select");
    if (boxes.length && typeof window.Actions === "function") {
      window.Actions(boxes);
    }
    var waiting = waitingOf(fresh.getElementById("queue-refresh"));
    if (waiting !== null && waiting !== waitingOf(status)) {
      status.setAttribute("data-waiting", waiting);
      announce.textContent = waiting === "0" ? "No intake waiting."
        : waiting === "1" ? "1 intake waiting." : waiting + " intakes waiting.";
    }
  }

  function refresh() {
    if (fetching || busy()) {
      return;
    }
    fetching = true;
    lastFetched = Date.now();
    window.fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      // Not the person at work: keeps neither an idle session nor a duty alive
      // (cardinal/staff/session_lifetime.py, admissions/duty.py).
      headers: {"X-Automatic-Request": "1"},
    }).then(function (response) {
      if (response.redirected) {
        // Signed out (an idle or old session): show the sign-in page, not stale rows.
        window.location.reload();
        return null;
      }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html) {
        swapIn(html);
      }
    }).catch(function () {
      // Offline for a moment: the next tick tries again.
    }).then(function () {
      fetching = false;
      showState(busy());
    });
  }

  showState("");
  window.setInterval(function () {
    showState(busy());
    if (Date.now() - lastFetched >= seconds * 1000 - 50) {
      refresh();
    }
  }, Math.min(seconds * 1000, 1000));
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && Date.now() - lastFetched >= seconds * 1000) {
      refresh();
    }
  });
  document.addEventListener("focusin", function () { showState(busy()); });
  document.addEventListener("change", function () { showState(busy()); });
})();
