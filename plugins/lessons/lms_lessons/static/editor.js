// Drag-and-drop reordering in the course editor (SortableJS). Without JavaScript,
// or without SortableJS, the Up/Down buttons (plain forms) do the same job.
(function () {
  "use strict";
  var root = document.querySelector(".curriculum-editor");
  if (!root || typeof window.Sortable === "undefined" || !window.lmsFetch || !window.LMS) { return; }
  var status = root.querySelector("[data-reorder-status]");
  var slug = root.getAttribute("data-course-slug");

  function say(message) { if (status) { status.textContent = message; } }

  function childIds(list, attribute) {
    return Array.prototype.filter.call(list.children, function (el) {
      return el.hasAttribute(attribute);
    }).map(function (el) { return parseInt(el.getAttribute(attribute), 10); });
  }

  function post(url, ids) {
    return window.lmsFetch(url, { method: "POST", body: JSON.stringify({ ids: ids }) })
      .then(function (response) {
        if (response.ok) { return response; }
        return response.json().then(function (body) {
          throw new Error((body.error && body.error.message) || LMS.gettext("The new order could not be saved."));
        });
      });
  }

  function saveLessons(list) {
    return post("/api/v1/sections/" + list.getAttribute("data-section-id") + "/lessons/reorder",
                childIds(list, "data-lesson-id"));
  }

  function done(chain) {
    root.setAttribute("data-saving", "true");
    chain.then(function () {
      say(LMS.gettext("The new order is saved."));
      root.setAttribute("data-saving", "false");
    }).catch(function (error) {
      // The page no longer matches the database: show what is really stored.
      say(LMS.gettext("%(error)s Reloading the page.", { error: error.message }));
      window.alert(error.message);
      window.location.reload();
    });
  }

  Array.prototype.forEach.call(root.querySelectorAll("[data-lessons]"), function (list) {
    window.Sortable.create(list, {
      group: "lessons",
      handle: ".drag-handle",
      draggable: "[data-lesson-id]",
      animation: 150,
      // Pointer events instead of native drag events: the same on touch screens and desktops.
      forceFallback: true,
      onEnd: function (event) {
        if (event.from === event.to && event.oldIndex === event.newIndex) { return; }
        var chain = saveLessons(event.to);
        if (event.from !== event.to) {
          // The destination first: it takes the lesson, then the source lists what is left.
          chain = chain.then(function () { return saveLessons(event.from); });
        }
        done(chain);
      }
    });
  });

  var sections = root.querySelector("[data-sections]");
  if (sections) {
    window.Sortable.create(sections, {
      handle: ".section-handle",
      draggable: "[data-section-id]",
      animation: 150,
      forceFallback: true,
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) { return; }
        done(post("/api/v1/courses/" + encodeURIComponent(slug) + "/sections/reorder",
                  childIds(sections, "data-section-id")));
      }
    });
  }
  root.classList.add("can-drag");
})();
