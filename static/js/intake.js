// The intake form, enhanced: how many characters the message has left, and no
// double submission. The form works without this file.
(function () {
  "use strict";
  var form = document.querySelector("[data-intake-form]");
  if (!form) {
    return;
  }

  // The page's words (data-counter-text, data-sending-text) and numbers, in its language.
  var language = document.documentElement.lang || "en";
  var number = function (value) {
    return value.toLocaleString(language === "es" ? "es" : "en-US");  // "1000", as the page says
  };
  var counterText = form.getAttribute("data-counter-text") || "Up to {max} characters: {left} left.";
  var sendingText = form.getAttribute("data-sending-text") || "Sending…";

  var message = form.querySelector("textarea[maxlength]");
  var help = message && document.getElementById(message.id + "_helptext");
  if (message && help) {
    var max = parseInt(message.getAttribute("maxlength"), 10);
    var update = function () {
      var left = max - message.value.length;
      help.textContent = counterText.replace("{max}", number(max)).replace("{left}", number(left));
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
      button.textContent = sendingText;
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
