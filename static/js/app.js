// Small progressive behaviour shared by every page; pages work without it.
(function () {
  "use strict";
  // Ask before destructive actions marked with data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  // fetch() helper for pages calling the JSON API with the session cookie.
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.lmsFetch = function (url, options) {
    options = options || {};
    options.headers = Object.assign({ "X-CSRFToken": meta ? meta.content : "",
                                      "Content-Type": "application/json" }, options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options);
  };
})();
