// The upload drop zone: resumable tus uploads (tus-js-client) with percent, speed,
// time left and cancel, several files at once, and the video's processing status
// afterwards (Socket.IO "task_progress" events, with polling as a fallback).
(function () {
  "use strict";

  var SPEED_WINDOW_MS = 5000;

  // Numbers in the page's language, without grouping (sizes stay short: "1023.5 MB").
  function number(value, digits) {
    return LMS.formatNumber(value, {
      minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false
    });
  }

  function humanSize(bytes) {
    if (bytes < 1024 * 1024) {
      return LMS.gettext("%(size)s KB", { size: number(Math.max(1, Math.round(bytes / 1024)), 0) });
    }
    if (bytes < 1024 * 1024 * 1024) {
      return LMS.gettext("%(size)s MB", { size: number(bytes / 1048576, 1) });
    }
    return LMS.gettext("%(size)s GB", { size: number(bytes / 1073741824, 2) });
  }

  function humanDuration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) { return LMS.gettext("%(seconds)s s", { seconds: number(seconds, 0) }); }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) {
      return LMS.gettext("%(minutes)s min %(seconds)s s",
        { minutes: number(minutes, 0), seconds: number(seconds % 60, 0) });
    }
    return LMS.gettext("%(hours)s h %(minutes)s min",
      { hours: number(Math.floor(minutes / 60), 0), minutes: number(minutes % 60, 0) });
  }

  function percentText(percent) {
    return LMS.formatNumber(percent / 100, { style: "percent", maximumFractionDigits: 0 });
  }

  function timeLeft(seconds) {
    return LMS.gettext("%(time)s left", { time: humanDuration(seconds) });
  }

  function errorMessage(error) {
    // The server's words when it answered (the core's {"error": {"message"}} body).
    var response = error && error.originalResponse;
    if (response) {
      try {
        var body = JSON.parse(response.getBody() || "{}");
        if (body.error && body.error.message) { return body.error.message; }
      } catch (ignored) { /* not JSON */ }
      if (response.getStatus() === 413) { return LMS.gettext("This file is too large."); }
    }
    return LMS.gettext("The upload failed. Check your connection and choose the file again to continue.");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function jsonRequest(method, url, csrf, body) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrf };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || LMS.gettext("The server refused the request."));
        }
        return data;
      });
    });
  }

  // --- one upload row ------------------------------------------------------------

  function UploadRow(list, file) {
    this.item = el("li", "upload-item");
    this.item.setAttribute("data-upload-item", "");
    var top = el("div", "upload-row");
    top.appendChild(el("span", "upload-name",
      LMS.gettext("%(name)s (%(size)s)", { name: file.name, size: humanSize(file.size) })));
    this.cancel = el("button", "button", LMS.gettext("Cancel"));
    this.cancel.type = "button";
    this.cancel.setAttribute("aria-label", LMS.gettext("Cancel the upload of %(name)s", { name: file.name }));
    top.appendChild(this.cancel);
    this.item.appendChild(top);
    this.bar = el("progress");
    this.bar.max = 100;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", LMS.gettext("Upload of %(name)s", { name: file.name }));
    this.item.appendChild(this.bar);
    this.text = el("p", "upload-text", LMS.gettext("Starting…"));
    this.text.setAttribute("data-upload-text", "");
    this.item.appendChild(this.text);
    this.status = el("p", "upload-status");
    this.status.setAttribute("role", "status");
    this.item.appendChild(this.status);
    // The text above changes several times a second: a polite live region says every
    // tenth of the way (not role=status: that one is for what happened to the upload).
    this.live = el("span", "visually-hidden");
    this.live.setAttribute("aria-live", "polite");
    this.item.appendChild(this.live);
    list.appendChild(this.item);
    this.name = file.name;
    this.step = 0;
    this.samples = [];
  }

  UploadRow.prototype.progress = function (sent, total) {
    var now = Date.now();
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > SPEED_WINDOW_MS) {
      this.samples.shift();
    }
    var first = this.samples[0];
    var elapsed = (now - first[0]) / 1000;
    var speed = elapsed > 0.2 ? (sent - first[1]) / elapsed : 0;
    var percent = total ? Math.floor((sent / total) * 100) : 0;
    this.bar.value = percent;
    var parts = [percentText(percent)];
    if (speed > 0) {
      parts.push(LMS.gettext("%(size)s/s", { size: humanSize(speed) }));
      parts.push(timeLeft((total - sent) / speed));
    }
    this.text.textContent = parts.join(" · ");
    var step = Math.floor(percent / 10);
    if (step > this.step && percent < 100) {
      this.step = step;
      this.live.textContent = LMS.gettext("%(name)s: %(percent)s uploaded",
        { name: this.name, percent: percentText(percent) });
    }
    this.item.setAttribute("data-percent", String(percent));
  };

  UploadRow.prototype.done = function (message) {
    this.bar.value = 100;
    this.cancel.hidden = true;
    this.text.textContent = percentText(100);
    this.status.textContent = message;
    this.item.setAttribute("data-upload-state", "done");
  };

  UploadRow.prototype.fail = function (message) {
    this.cancel.hidden = true;
    this.status.textContent = message;
    this.status.className = "upload-status upload-error";
    this.item.setAttribute("data-upload-state", "failed");
  };

  // --- the zone --------------------------------------------------------------------

  function setupZone(zone) {
    var cfg = zone.dataset;
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector("[data-upload-list]");
    var statusBox = document.querySelector("[data-video-status]");
    if (typeof tus === "undefined" || !tus.isSupported) {
      zone.querySelector("[data-upload-unsupported]").hidden = false;
      input.disabled = true;
      return;
    }
    var maxSize = parseInt(cfg.maxSize, 10);

    function fingerprint(file, options) {
      // Per lesson, so the same file sent to two lessons never resumes the other one.
      return Promise.resolve(["lms-upload", cfg.purpose, options.metadata.lesson_id || "",
        file.name, file.type, file.size, file.lastModified, options.endpoint].join("-"));
    }

    function upload(file, lessonId, onFinished) {
      var row = new UploadRow(list, file);
      if (file.size > maxSize) {
        row.fail(LMS.gettext("%(name)s is %(size)s; the largest upload allowed is %(limit)s.",
          { name: file.name, size: humanSize(file.size), limit: cfg.maxSizeLabel }));
        return;
      }
      var tusUpload = new tus.Upload(file, {
        endpoint: cfg.endpoint,
        chunkSize: parseInt(cfg.chunkSize, 10),
        // A dropped connection or a restarting server: keep trying, then give up clearly.
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        metadata: {
          filename: file.name,
          filetype: file.type || "application/octet-stream",
          purpose: cfg.purpose,
          lesson_id: String(lessonId || "")
        },
        headers: { "X-CSRFToken": cfg.csrf },
        fingerprint: fingerprint,
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onShouldRetry: function (error) {
          var status = error.originalResponse ? error.originalResponse.getStatus() : 0;
          // A refusal (too large, not yours ...) will not change on retry; a lock or a
          // network error will.
          return !(status >= 400 && status < 500 && status !== 409 && status !== 423);
        },
        onProgress: function (sent, total) { row.progress(sent, total); },
        onSuccess: function () {
          row.done(LMS.gettext("Uploaded. The video is being prepared for playback."));
          if (onFinished) { onFinished(row); }
        },
        onError: function (error) { row.fail(errorMessage(error)); }
      });
      row.cancel.addEventListener("click", function () {
        row.cancel.disabled = true;
        // abort(true) also terminates the upload on the server (its bytes are freed).
        tusUpload.abort(true).then(function () {
          row.fail(LMS.gettext("Cancelled."));
          row.item.setAttribute("data-upload-state", "cancelled");
        }, function () {
          row.fail(LMS.gettext("Cancelled here; the server will discard the partial file later."));
          row.item.setAttribute("data-upload-state", "cancelled");
        });
      });
      tusUpload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          previous.sort(function (a, b) { return a.creationTime < b.creationTime ? 1 : -1; });
          tusUpload.resumeFromPreviousUpload(previous[0]);
          row.status.textContent = LMS.gettext("Resuming an earlier upload of this file.");
        }
        tusUpload.start();
      });
    }

    function createLesson(file) {
      // Each extra file becomes a video lesson of its own in the same section.
      var title = file.name.replace(/\.[^.]+$/, "").slice(0, 200) || LMS.gettext("Video");
      return jsonRequest("POST", cfg.lessonsUrl, cfg.csrf, { type: "video", title: title });
    }

    function start(files) {
      Array.prototype.forEach.call(files, function (file, index) {
        if (index === 0 || !cfg.lessonsUrl) {
          upload(file, cfg.lessonId, function () { if (statusBox) { watchVideo(statusBox); } });
          return;
        }
        createLesson(file).then(function (lesson) {
          upload(file, lesson.id, function (row) {
            var link = el("a", "", LMS.gettext("Open the lesson “%(title)s”", { title: lesson.title }));
            link.href = cfg.editUrlTemplate.replace("999999999", String(lesson.id));
            row.status.appendChild(document.createTextNode(" "));
            row.status.appendChild(link);
          });
        }, function (error) {
          new UploadRow(list, file).fail(error.message);
        });
      });
    }

    input.addEventListener("change", function () {
      if (input.files && input.files.length) { start(input.files); }
      input.value = "";
    });
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("is-dragging");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("is-dragging"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("is-dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) { start(event.dataTransfer.files); }
    });
    showResumable(zone, cfg);
  }

  function showResumable(zone, cfg) {
    // After a closed tab: say which upload can continue (choosing the file again resumes it).
    var storage = tus.defaultOptions && tus.defaultOptions.urlStorage;
    if (!storage || !storage.findAllUploads) { return; }
    var prefix = "lms-upload-" + cfg.purpose + "-" + (cfg.lessonId || "") + "-";
    storage.findAllUploads().then(function (uploads) {
      var names = uploads.filter(function (u) {
        return u.urlStorageKey && u.urlStorageKey.indexOf("tus::" + prefix) === 0;
      }).map(function (u) { return (u.metadata && u.metadata.filename) || LMS.gettext("a file"); });
      if (names.length) {
        var box = zone.querySelector("[data-upload-resumable]");
        box.textContent = LMS.gettext(
          "The upload of %(name)s was interrupted. Choose the same file again to continue where it stopped.",
          { name: names[0] });
        box.hidden = false;
      }
    }).catch(function () { /* storage unavailable (private mode) */ });
  }

  // --- the video's processing status ---------------------------------------------------

  // Functions: the catalogue is read when the words are shown.
  var STATUS_TEXT = {
    awaiting_upload: function () { return LMS.gettext("No video uploaded yet."); },
    pending: function () { return LMS.gettext("Uploaded; waiting to be processed."); },
    processing: function () { return LMS.gettext("Processing the video…"); },
    ready: function () { return LMS.gettext("Ready: students can watch it."); },
    failed: function () { return LMS.gettext("Processing failed."); }
  };

  function renderStatus(box, video) {
    var text = box.querySelector("[data-video-status-text]");
    var bar = box.querySelector("[data-video-progress]");
    var retry = box.querySelector("[data-video-retry]");
    var task = video.task;
    var words = STATUS_TEXT[video.status] ? STATUS_TEXT[video.status]() : video.status;
    if (video.status === "failed" && video.error) {
      words = LMS.gettext("Processing failed: %(error)s", { error: video.error });
    }
    if (video.status === "pending" && task && task.queue_position) {
      var ahead = task.queue_position - 1;
      words = ahead === 0 ? LMS.gettext("Uploaded; waiting to be processed (next in line).")
        : LMS.ngettext("Uploaded; waiting to be processed (%(count)s ahead in line).",
          "Uploaded; waiting to be processed (%(count)s ahead in line).", ahead,
          { count: number(ahead, 0) });
    }
    if (video.status === "processing" && task) {
      words = LMS.gettext("Processing the video: %(percent)s", { percent: percentText(task.progress) });
      if (task.message) { words += " · " + task.message; }
      if (task.eta_seconds !== null && task.eta_seconds !== undefined) {
        words += " · " + timeLeft(task.eta_seconds);
      }
      bar.hidden = false;
      bar.value = task.progress;
    } else {
      bar.hidden = true;
    }
    text.textContent = words;
    box.setAttribute("data-status", video.status);
    box.dataset.taskId = task ? String(task.id) : "";
    retry.hidden = !video.can_retry;
  }

  function watchVideo(box) {
    if (box.watching) { return; }
    box.watching = true;
    var url = box.dataset.statusUrl;
    var timer = null;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (video) {
          if (!video) { return; }
          renderStatus(box, video);
          if (video.status === "ready" || video.status === "failed" ||
              video.status === "awaiting_upload") {
            box.watching = false;
            return;
          }
          timer = setTimeout(poll, 5000);
        })
        .catch(function () { timer = setTimeout(poll, 10000); });
    }
    if (window.lmsSocket && !box.listening) {
      box.listening = true;
      // Live progress pushed by the transcode job (lms.tasks.report_progress).
      window.lmsSocket.on("task_progress", function (event) {
        if (String(event.task_id) !== box.dataset.taskId) { return; }
        if (event.status === "running") {
          renderStatus(box, {
            status: "processing", can_retry: false, error: null,
            task: { id: event.task_id, progress: event.progress, message: event.message,
              eta_seconds: event.eta, queue_position: null }
          });
        } else {
          clearTimeout(timer);
          box.watching = false;
          watchVideo(box);  // finished or failed: read the final state
        }
      });
    }
    poll();
  }

  function setupStatus(box) {
    var retry = box.querySelector("[data-video-retry]");
    var zone = document.querySelector("[data-upload-zone]");
    retry.addEventListener("click", function () {
      retry.disabled = true;
      jsonRequest("POST", box.dataset.retryUrl, zone ? zone.dataset.csrf : "")
        .then(function (video) { renderStatus(box, video); watchVideo(box); })
        .catch(function (error) {
          box.querySelector("[data-video-status-text]").textContent = error.message;
        })
        .then(function () { retry.disabled = false; });
    });
    var status = box.dataset.status;
    if (status === "pending" || status === "processing") { watchVideo(box); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-upload-zone]"), setupZone);
    Array.prototype.forEach.call(document.querySelectorAll("[data-video-status]"), setupStatus);
  });
})();
