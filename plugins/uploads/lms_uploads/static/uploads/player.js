// The video lesson's player: hls.js (or Safari's own HLS), a quality menu,
// playback speed, keyboard controls, resume, and watch progress reported to
// the lessons plugin (POST /api/v1/lessons/<id>/progress) about every 10 s
// and on pause or leaving the page.
(function () {
  "use strict";

  var REPORT_EVERY_MS = 10000;
  var RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function setUp(box) {
    var video = box.querySelector("video");
    var quality = box.querySelector(".video-quality");
    var speed = box.querySelector(".video-speed");
    var levelNote = box.querySelector(".video-level");
    var errorBox = box.querySelector(".video-error");
    var masterUrl = box.getAttribute("data-master-url");
    var progressUrl = box.getAttribute("data-progress-url");
    var canTrack = box.getAttribute("data-can-track") === "true";
    var resumeAt = parseFloat(box.getAttribute("data-resume")) || 0;
    var duration = parseFloat(box.getAttribute("data-duration")) || 0;
    // Seconds watched before this visit (the server keeps the largest total).
    var watchedBefore = parseFloat(box.getAttribute("data-watched")) || 0;
    var hls = null;
    var recoveries = 0;  // in a row: reset once a segment loads again
    var reloads = 0;

    // Near the end, start again from the beginning rather than "resume" 2 s before the end.
    if (duration && resumeAt > duration - 5) { resumeAt = 0; }

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
    }

    // --- watched seconds: each second of the video counted once, while it plays ---
    // A seek to the end adds nothing: only time the video actually played counts.
    var seen = new Set();
    var lastTime = null;
    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (!video.paused && !video.seeking && lastTime !== null) {
        var step = now - lastTime;
        // timeupdate fires every ~250 ms; a larger jump is a seek, not watching.
        if (step > 0 && step < 1.5 * Math.max(1, video.playbackRate)) {
          for (var s = Math.floor(lastTime); s < Math.floor(now); s++) { seen.add(s); }
        }
      }
      lastTime = now;
    });
    video.addEventListener("seeking", function () { lastTime = null; });
    video.addEventListener("playing", function () { lastTime = video.currentTime; });

    var lastSent = null;
    function report(leaving) {
      if (!canTrack || !progressUrl) { return; }
      var body = {
        position: Math.floor(video.currentTime || 0),
        watched_seconds: Math.floor(watchedBefore + seen.size)
      };
      var key = body.position + "/" + body.watched_seconds;
      if (key === lastSent) { return; }
      lastSent = key;
      fetch(progressUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!leaving,  // the request outlives the page being closed
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body)
      }).catch(function () { lastSent = null; });
    }
    var timer = null;
    video.addEventListener("play", function () {
      if (!timer) { timer = window.setInterval(function () { report(false); }, REPORT_EVERY_MS); }
    });
    video.addEventListener("pause", function () {
      window.clearInterval(timer);
      timer = null;
      report(false);
    });
    video.addEventListener("ended", function () { report(false); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { report(true); }
    });
    window.addEventListener("pagehide", function () { report(true); });

    // --- quality menu ---
    function levelLabel(level) {
      if (level.height) { return level.height + "p"; }
      return level.name || LMS.gettext("%(rate)s kbps", { rate: LMS.formatNumber(Math.round(level.bitrate / 1000)) });
    }
    function fillQuality(levels) {
      var order = levels.map(function (level, index) { return { level: level, index: index }; });
      order.sort(function (a, b) { return (b.level.height || 0) - (a.level.height || 0); });
      order.forEach(function (item) {
        var option = document.createElement("option");
        option.value = String(item.index);
        option.textContent = levelLabel(item.level);
        quality.appendChild(option);
      });
    }
    function noteLevel(index) {
      if (!hls || index < 0 || !hls.levels[index]) { return; }
      var label = levelLabel(hls.levels[index]);
      levelNote.textContent = hls.autoLevelEnabled ? LMS.gettext("Auto: %(quality)s", { quality: label })
        : LMS.gettext("Playing %(quality)s", { quality: label });
      box.setAttribute("data-level", label);
    }
    quality.addEventListener("change", function () {
      if (!hls) { return; }
      var index = parseInt(quality.value, 10);
      // currentLevel switches now (flushing the buffer); -1 hands back to the automatic choice.
      hls.currentLevel = index;
      if (index >= 0) { noteLevel(index); } else { levelNote.textContent = LMS.gettext("Auto"); }
    });

    // --- speed ---
    function setRate(rate) {
      video.playbackRate = rate;
      speed.value = String(rate);
    }
    speed.addEventListener("change", function () { setRate(parseFloat(speed.value)); });

    // --- keyboard, when the player has focus (the page's own keys stay free elsewhere) ---
    box.addEventListener("keydown", function (event) {
      if (event.target.tagName === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) { return; }
      var handled = true;
      switch (event.key) {
        case " ": case "k": case "K":
          if (event.target !== video && event.key === " ") { handled = false; break; }
          if (video.paused) { video.play(); } else { video.pause(); }
          break;
        case "ArrowLeft": video.currentTime = Math.max(0, video.currentTime - 5); break;
        case "ArrowRight": video.currentTime = Math.min(video.duration || Infinity, video.currentTime + 5); break;
        case "j": case "J": video.currentTime = Math.max(0, video.currentTime - 10); break;
        case "l": case "L": video.currentTime = Math.min(video.duration || Infinity, video.currentTime + 10); break;
        case "ArrowUp": video.volume = Math.min(1, video.volume + 0.1); break;
        case "ArrowDown": video.volume = Math.max(0, video.volume - 0.1); break;
        case "m": case "M": video.muted = !video.muted; break;
        case "f": case "F":
          if (document.fullscreenElement) { document.exitFullscreen(); } else if (video.requestFullscreen) { video.requestFullscreen(); }
          break;
        case "c": case "C":
          var tracks = video.textTracks;
          if (tracks.length) {
            var showing = -1;
            for (var i = 0; i < tracks.length; i++) { if (tracks[i].mode === "showing") { showing = i; } }
            for (var j = 0; j < tracks.length; j++) { tracks[j].mode = "disabled"; }
            // Cycle: off -> first language -> second ... -> off.
            if (showing + 1 < tracks.length) { tracks[showing + 1].mode = "showing"; }
          }
          break;
        case "<": setRate(RATES[Math.max(0, RATES.indexOf(video.playbackRate) - 1)] || 1); break;
        case ">": setRate(RATES[Math.min(RATES.length - 1, RATES.indexOf(video.playbackRate) + 1)] || 1); break;
        default: handled = false;
      }
      if (handled) { event.preventDefault(); }
    });

    // --- loading ---
    // A segment link answered 403 has expired (or the student lost access): retrying
    // the same link cannot help, so fail at once and let the recovery below fetch
    // fresh playlists (which the server checks again).
    function fragPolicy() {
      var base = window.Hls.DefaultConfig.fragLoadPolicy.default;
      var errorRetry = Object.assign({}, base.errorRetry, {
        shouldRetry: function (config, count, isTimeout, response, retry) {
          return response && response.code === 403 ? false : retry;
        }
      });
      return { default: Object.assign({}, base, { errorRetry: errorRetry }) };
    }

    function startHls(startAt) {
      hls = new window.Hls({
        startPosition: startAt > 0 ? startAt : -1,
        capLevelToPlayerSize: false,
        fragLoadPolicy: fragPolicy()
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, function (_event, data) {
        if (quality.options.length === 1) { fillQuality(data.levels); }
        box.setAttribute("data-ready", "true");
      });
      hls.on(window.Hls.Events.LEVEL_SWITCHED, function (_event, data) { noteLevel(data.level); });
      hls.on(window.Hls.Events.FRAG_LOADED, function () { recoveries = 0; });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        // Segment links expire (a video paused for hours): a refused segment means
        // the playlists must be loaded again (hls.js would only try other rungs).
        var expired = data.details === window.Hls.ErrorDetails.FRAG_LOAD_ERROR &&
          data.response && data.response.code === 403;
        if (!data.fatal && !expired) { return; }
        if ((expired || data.type === window.Hls.ErrorTypes.NETWORK_ERROR) && recoveries < 3) {
          recoveries += 1;
          var at = video.currentTime;
          var wasPlaying = !video.paused;
          var level = parseInt(quality.value, 10);
          hls.destroy();
          startHls(at);
          reloads += 1;
          box.setAttribute("data-reloads", String(reloads));
          hls.once(window.Hls.Events.MANIFEST_PARSED, function () {
            if (level >= 0) { hls.currentLevel = level; }
            if (wasPlaying) { video.play(); }
          });
          return;
        }
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR && recoveries < 3) {
          recoveries += 1;
          hls.recoverMediaError();
          return;
        }
        showError(LMS.gettext("The video cannot be played right now. Reload the page to try again."));
      });
      hls.loadSource(masterUrl);
      hls.attachMedia(video);
    }

    if (window.Hls && window.Hls.isSupported()) {
      startHls(resumeAt);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      // Safari (and iOS) play HLS themselves, choosing the quality on their own.
      quality.closest(".video-control").hidden = true;
      video.src = masterUrl;
      video.addEventListener("loadedmetadata", function () {
        if (resumeAt > 0) { video.currentTime = resumeAt; }
        box.setAttribute("data-ready", "true");
      }, { once: true });
    } else {
      showError(LMS.gettext("Your browser cannot play this video. Try a recent version of Firefox, Chrome, Edge or Safari."));
    }
    box.lmsPlayer = { video: video, hls: function () { return hls; }, report: report };
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".video-player[data-master-url]"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
