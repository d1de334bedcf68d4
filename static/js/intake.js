// The intake form, enhanced: a character count for the message and no double
// submission. The form works without this file.
(function () {
  "use strict";
  var form = document.querySelector("[data-intake-form]");
  if (!form) {
    return;
  }

  var message = form.querySelector("textarea[maxlength]");
  if (message) {
    var max = parseInt(message.getAttribute("maxlength"), 10);
    var count = document.createElement("p");
    count.className = "char-count";
    count.id = message.id + "_count";
    count.setAttribute("aria-live", "polite");
    message.insertAdjacentElement("afterend", count);
    var describedBy = message.getAttribute("aria-describedby");
    message.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + count.id);
    var update = function () {
      var left = max - message.value.length;
      count.textContent = left + (left === 1 ? " character" : " characters") + " left";
    };
    message.addEventListener("input", update);
    update();
  }

  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      // Let this submission through, then ignore repeated clicks.
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = "Sending…";
      }, 0);
    }
  });
})();
