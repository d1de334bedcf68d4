// The intake form, enhanced: how many characters the message has left, and no
// double submission. The form works without this file.
(function () {
  "use strict";
  var form = document.querySelector("[data-intake-form]");
  if (!form) {
    return;
  }

  var message = form.querySelector("textarea[maxlength]");
  var help = message && document.getElementById(message.id + "_helptext");
  if (message && help) {
    var max = parseInt(message.getAttribute("maxlength"), 10);
    var update = function () {
      var left = max - message.value.length;
      help.textContent = "Up to " + max.toLocaleString("en-US") + " characters: " + left.toLocaleString("en-US") + " left.";
    };
    message.addEventListener("input", update);
    update();
  }

  var button = form.querySelector("button[type=submit]");
  var label = button ? button.textContent : "";
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) {
      event.preventDefault();  // a second tap would send the same request twice
      return;
    }
    sending = true;
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.textContent = "Sending…";
    }
  });
  // Coming back to the page (the back button) makes the form usable again.
  window.addEventListener("pageshow", function () {
    sending = false;
    if (button) {
      button.removeAttribute("aria-disabled");
      button.textContent = label;
    }
  });
})();
