// The class room: seat or waitlist place, offers, chat, raised hand and (staff) the roster,
// over the /live Socket.IO namespace. WebSocket only (see static/js/live.js).
(function () {
  "use strict";
  var root = document.getElementById("live-room");
  if (!root || typeof io === "undefined") { return; }
  var classId = parseInt(root.getAttribute("data-class-id"), 10);
  var isStaff = root.getAttribute("data-staff") === "true";
  var statusEl = document.getElementById("seat-status");
  var video = document.getElementById("live-video");
  var chat = document.getElementById("live-chat");
  var takeSeat = document.getElementById("take-seat");
  var joinAgain = document.getElementById("join-again");
  var leaveBtn = document.getElementById("leave-class");
  var handBtn = document.getElementById("raise-hand");
  var messages = document.getElementById("chat-messages");
  var chatForm = document.getElementById("chat-form");
  var chatBody = document.getElementById("chat-body");
  var chatError = document.getElementById("chat-error");
  var timerEl = document.getElementById("seat-timer");
  var rosterSummary = document.getElementById("roster-summary");
  var state = null;
  var left = false;
  var offerTimer = null;

  var socket = io("/live", { transports: ["websocket"], auth: { class_id: classId } });

  function show(el, visible) { if (el) { el.hidden = !visible; } }

  // The live region speaks when its text changes: set it only then (a roster or a
  // waitlist place sent again unchanged says nothing).
  function announce(el, text) { if (el && el.textContent !== text) { el.textContent = text; } }

  function enterRoom() {
    show(video, true);
    show(chat, true);
    var frame = document.getElementById("video-frame");
    if (frame && !frame.src) { frame.src = frame.getAttribute("data-src"); }
  }

  function leaveRoom() {
    show(video, false);
    show(chat, isStaff);
    var frame = document.getElementById("video-frame");
    if (frame) { frame.removeAttribute("src"); }
  }

  function render(seat) {
    if (!seat || seat.class_id !== classId) { return; }
    if (seat.error) { announce(statusEl, seat.error); return; }
    state = seat.state;
    clearInterval(offerTimer);
    show(timerEl, false);
    show(takeSeat, false);
    show(joinAgain, false);
    show(leaveBtn, false);
    show(handBtn, false);
    if (state === "staff") {
      announce(statusEl, LMS.gettext("You are in the class as staff (staff take no seat)."));
      enterRoom();
    } else if (state === "seated") {
      announce(statusEl, LMS.gettext("You are in the class."));
      show(leaveBtn, true);
      show(handBtn, true);
      enterRoom();
    } else if (state === "waiting") {
      // One string on one line: the extractor reads literals, not sums of them.
      announce(statusEl, LMS.gettext("The class is full. You are number %(position)s on the waitlist; stay on this page to be offered a seat.",
        { position: LMS.formatNumber(seat.position) }));
      show(leaveBtn, true);
      leaveRoom();
    } else if (state === "offered") {
      var remaining = seat.offer_expires_in;
      // Said once in the live region; the countdown ticks outside it (not every second aloud).
      announce(statusEl, LMS.ngettext(
        "A seat is free for you: take it within %(num)s second.",
        "A seat is free for you: take it within %(num)s seconds.",
        remaining, { num: LMS.formatNumber(remaining) }));
      var tell = function () {
        timerEl.textContent = LMS.ngettext("%(num)s second left", "%(num)s seconds left",
          remaining, { num: LMS.formatNumber(remaining) });
      };
      tell();
      show(timerEl, true);
      offerTimer = setInterval(function () {
        remaining = Math.max(0, remaining - 1);
        tell();
        if (remaining === 0) { clearInterval(offerTimer); socket.emit("status", null, render); }
      }, 1000);
      show(takeSeat, true);
      show(leaveBtn, true);
      takeSeat.focus();
      leaveRoom();
    } else {
      announce(statusEl, left ? LMS.gettext("You left the class.") :
        LMS.gettext("You are not in the class."));
      show(joinAgain, true);
      leaveRoom();
    }
  }

  function join() { left = false; socket.emit("join", null, render); }

  socket.on("connect", join);
  socket.on("connect_error", function (err) {
    announce(statusEl, (err && err.message) || LMS.gettext("Could not connect to the class."));
  });
  socket.on("disconnect", function () {
    if (!left) { announce(statusEl, LMS.gettext("Connection lost, reconnecting…")); }
  });
  socket.on("seat", render);
  socket.on("removed", function (data) {
    if (data.class_id !== classId) { return; }
    left = true;
    socket.disconnect();
    announce(statusEl, data.message || LMS.gettext("You were removed from the class."));
    leaveRoom();
    show(leaveBtn, false); show(handBtn, false); show(takeSeat, false); show(joinAgain, false);
  });
  socket.on("ended", function (data) {
    if (data.class_id !== classId) { return; }
    left = true;
    socket.disconnect();
    // "over" goes to the whole room in the site's language: this page says it in its own.
    announce(statusEl, data.code === "over" || !data.message ?
      LMS.gettext("This class is over.") : data.message);
    clearInterval(offerTimer);
    show(timerEl, false);
    leaveRoom();
    show(chat, false);
    show(leaveBtn, false); show(handBtn, false); show(takeSeat, false); show(joinAgain, false);
  });

  if (takeSeat) { takeSeat.addEventListener("click", join); }
  if (joinAgain) { joinAgain.addEventListener("click", join); }
  if (leaveBtn) {
    leaveBtn.addEventListener("click", function () {
      left = true;
      socket.emit("leave", null, render);
    });
  }
  if (handBtn) {
    handBtn.addEventListener("click", function () {
      var raised = handBtn.getAttribute("aria-pressed") !== "true";
      socket.emit("hand", { raised: raised }, function (answer) {
        if (answer && !answer.error) {
          handBtn.setAttribute("aria-pressed", answer.raised ? "true" : "false");
          handBtn.textContent = answer.raised ? LMS.gettext("Lower hand") : LMS.gettext("Raise hand");
        }
      });
    });
  }

  // A heartbeat every 10 s: a tab whose heartbeats stop is gone (see presence.py).
  setInterval(function () { if (socket.connected) { socket.emit("heartbeat"); } }, 10000);

  // --- chat ---
  function addMessage(m) {
    if (m.class_id !== classId || messages.querySelector('[data-message-id="' + m.id + '"]')) { return; }
    var li = document.createElement("li");
    li.setAttribute("data-message-id", m.id);
    var who = document.createElement("strong");
    who.textContent = m.author || LMS.gettext("Someone");
    var body = document.createElement("span");
    body.className = "chat-body";
    body.innerHTML = m.body;  // sanitised by the server (lms.markup.sanitize_html)
    li.appendChild(who);
    li.appendChild(document.createTextNode(": "));
    li.appendChild(body);
    if (isStaff) {
      var del = document.createElement("button");
      del.type = "button";
      del.className = "link-button chat-delete";
      del.setAttribute("data-id", m.id);
      del.innerHTML = LMS.gettext('Delete<span class="visually-hidden"> this message</span>');
      li.appendChild(document.createTextNode(" "));
      li.appendChild(del);
    }
    messages.appendChild(li);
    messages.scrollTop = messages.scrollHeight;
  }
  socket.on("chat", addMessage);
  socket.on("chat_deleted", function (data) {
    var li = messages.querySelector('[data-message-id="' + data.id + '"]');
    if (li) { li.remove(); }
  });
  messages.addEventListener("click", function (event) {
    var target = event.target.closest(".chat-delete");
    if (target) { socket.emit("delete_message", { id: parseInt(target.getAttribute("data-id"), 10) }); }
  });
  chatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = chatBody.value.trim();
    if (!text) { chatError.textContent = LMS.gettext("Write a message first."); return; }
    socket.emit("chat", { body: text }, function (answer) {
      if (answer && answer.error) { chatError.textContent = answer.error; return; }
      chatError.textContent = "";
      chatBody.value = "";
      if (answer) { addMessage(answer); }
    });
  });

  // --- the roster (staff) ---
  function fill(listId, people, withHand) {
    var list = document.getElementById(listId);
    if (!list) { return; }
    list.innerHTML = "";
    people.forEach(function (p) {
      var li = document.createElement("li");
      var text = p.present ? p.name : LMS.gettext("%(name)s (away)", { name: p.name });
      if (withHand && p.hand) {
        text = LMS.gettext("%(name)s ✋ hand raised", { name: text });
        li.className = "hand";
      }
      li.textContent = text;
      list.appendChild(li);
    });
    if (!people.length) {
      var none = document.createElement("li");
      none.textContent = LMS.gettext("Nobody");
      list.appendChild(none);
    }
  }
  function renderRoster(r) {
    if (!r || r.class_id !== classId) { return; }
    // Polite: the staff hear the counts change, including hands going up.
    var text = LMS.ngettext(
      "%(seated)s of %(seats)s seats taken, %(num)s waiting.",
      "%(seated)s of %(seats)s seats taken, %(num)s waiting.",
      r.waitlist.length, {
        seated: LMS.formatNumber(r.seated.length),
        seats: LMS.formatNumber(r.seats),
        num: LMS.formatNumber(r.waitlist.length)
      });
    if (r.hands && r.hands.length) {
      text += " " + LMS.ngettext("%(num)s hand raised.", "%(num)s hands raised.", r.hands.length,
        { num: LMS.formatNumber(r.hands.length) });
    }
    announce(rosterSummary, text);
    fill("roster-seated", r.seated, true);
    fill("roster-offered", r.offered, false);
    fill("roster-waitlist", r.waitlist, false);
  }
  if (isStaff) {
    socket.on("roster", renderRoster);
    socket.on("connect", function () { socket.emit("roster", null, renderRoster); });
  }
})();
