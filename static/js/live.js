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
    var count = parseInt(badge.textContent || "0", 10) + 1;
    badge.textContent = String(count);
    badge.hidden = false;
    badge.parentElement.setAttribute("aria-label", "Notifications, " + count + " unread");
  });
  window.lmsSocket = socket;
})();
