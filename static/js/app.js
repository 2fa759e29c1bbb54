// Small progressive behaviour shared by every page; pages work without it.
(function () {
  "use strict";
  // Translations of the strings scripts show, for this page's language (lms.i18n).
  var catalogue = { lang: "en", plurals: ["one", "other"], strings: {} };
  var source = document.getElementById("lms-i18n");
  if (source) { try { catalogue = JSON.parse(source.textContent); } catch (e) { /* English */ } }
  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }
  var LMS = window.LMS = window.LMS || {};
  LMS.language = catalogue.lang;
  // LMS.gettext("Saved") and LMS.gettext("%(name)s joined", {name: n}), as in Python.
  LMS.gettext = function (text, values) {
    var found = catalogue.strings[text];
    return fill(typeof found === "string" && found ? found : text, values);
  };
  // LMS.ngettext("%(num)s file", "%(num)s files", n): the form Intl.PluralRules picks.
  LMS.ngettext = function (singular, plural, n, values) {
    values = Object.assign({ num: n }, values || {});
    var forms = catalogue.strings[singular];
    if (Array.isArray(forms)) {
      var index = catalogue.plurals.indexOf(new Intl.PluralRules(catalogue.lang).select(n));
      if (forms[index]) { return fill(forms[index], values); }
    }
    return fill(n === 1 ? singular : plural, values);
  };
  // Numbers for people, in the page's language (separators). Latin digits, as Babel
  // writes them on the server: a number updated live looks like the rest of the page.
  LMS.formatNumber = function (n, options) {
    return new Intl.NumberFormat(catalogue.lang + "-u-nu-latn", options).format(n);
  };
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
