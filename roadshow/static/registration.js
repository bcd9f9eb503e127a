// Registration form: add and remove attendee rows in place, up to the event's maximum.
// Without JavaScript the same buttons send the form and the server adds or removes the row.
(function () {
  "use strict";

  function renumber(row, index) {
    var number = String(index + 1);
    row.id = "attendee-" + index;
    row.querySelectorAll("input").forEach(function (input) {
      var part = input.name.replace(/^.*-/, "");
      var id = "attendees-" + index + "-" + part;
      var label = row.querySelector('label[for="' + input.id + '"]');
      var error = row.querySelector('[id="' + input.id + '-error"]');
      if (label) {
        label.htmlFor = id;
        label.textContent = label.textContent.replace(/\d+/, number);
      }
      if (error) {
        error.id = id + "-error";
        input.setAttribute("aria-describedby", error.id);
      }
      input.id = id;
      input.name = id;
    });
    var remove = row.querySelector("button.remove-attendee");
    if (remove) {
      remove.value = String(index);
      remove.textContent = remove.textContent.replace(/\d+/, number);
    }
  }

  function setUp(fieldset) {
    var list = fieldset.querySelector(".attendee-rows");
    var template = fieldset.querySelector("template#attendee-row-template");
    var add = fieldset.querySelector("button.add-attendee");
    var maximum = parseInt(fieldset.getAttribute("data-maximum"), 10) || 1;
    if (!list || !template || !add) {
      return;
    }

    function rows() {
      return list.querySelectorAll(".attendee-row");
    }

    function refresh() {
      rows().forEach(renumber);
      add.hidden = rows().length >= maximum;
    }

    add.addEventListener("click", function (event) {
      event.preventDefault();
      if (rows().length >= maximum) {
        return;
      }
      var row = template.content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      refresh();
      row.querySelector("input").focus();
    });

    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.remove-attendee");
      if (!button) {
        return;
      }
      event.preventDefault();
      var row = button.closest(".attendee-row");
      var previous = row.previousElementSibling;
      row.remove();
      refresh();
      var target = add.hidden ? null : add;
      if (previous) {
        target = previous.querySelector("input");
      }
      if (target) {
        target.focus();
      }
    });
  }

  function followSummaryLinks(summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (field) {
        event.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      }
    });
  }

  function start() {
    document.querySelectorAll("fieldset.attendees[data-maximum]").forEach(setUp);
    var summary = document.getElementById("error-summary");
    if (summary) {
      followSummaryLinks(summary);
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
