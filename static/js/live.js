// Live updates for signed-in pages: the notification bell's unread count.
(function () {
  "use strict";
  if (typeof io === "undefined") { return; }  // socket.io-client missing: the page still works
  var badge = document.querySelector("[data-unread-count]");
  // WebSocket only: with several web processes, long-polling would need every
  // request of a session to reach the same process (sticky sessions).
  var socket = io({ transports: ["websocket"] });
  socket.on("notification", function () {
    if (!badge) { return; }
    // The count lives in the attribute: the text shows it in the page's digits.
    var count = parseInt(badge.getAttribute("data-unread-count") || "0", 10) + 1;
    badge.setAttribute("data-unread-count", String(count));
    badge.textContent = LMS.formatNumber(count);
    badge.hidden = false;
    badge.parentElement.setAttribute(
      "aria-label", LMS.gettext("Notifications, %(num)s unread", { num: LMS.formatNumber(count) }));
  });
  window.lmsSocket = socket;
})();
