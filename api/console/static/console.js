// fnf-temporal console: the step panel, the iteration picker and live updates while an
// execution runs. No library; every text goes in through textContent, never innerHTML,
// except the server's own escaped fragment of the live region.
(function () {
  "use strict";

  function runsData() {
    var block = document.getElementById("runs-data");
    if (!block) return {};
    try { return JSON.parse(block.textContent || "{}"); } catch (e) { return {}; }
  }

  var selected = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function section(parent, title, body) {
    if (body === "" || body === null || body === undefined) return;
    parent.appendChild(el("h4", null, title));
    parent.appendChild(el("pre", "value", body));
  }

  function showStep(node) {
    var panel = document.getElementById("step-panel");
    if (!panel) return;
    selected = node;
    var button = document.querySelector('g.step[data-node="' + CSS.escape(node) + '"]');
    document.querySelectorAll("g.step.selected").forEach(function (b) { b.classList.remove("selected"); });
    if (button) button.classList.add("selected");
    var runs = runsData()[node] || [];
    document.getElementById("step-title").textContent =
      (button ? button.getAttribute("data-step") : node) + " · " + runs.length + (runs.length === 1 ? " run" : " runs");
    var box = document.getElementById("step-runs");
    box.textContent = "";
    if (!runs.length) box.appendChild(el("p", "empty", "This step was not reached."));
    runs.forEach(function (run, index) {
      var item = el("div", "run status-" + run.status);
      item.setAttribute("data-status", run.status);
      var head = el("p", "run-head");
      head.appendChild(el("b", null, "#" + (index + 1) + " " + (run.caught ? "failed (caught)" : run.status)));
      if (run.within) head.appendChild(el("span", "within", " in " + run.within));
      head.appendChild(el("span", "time", " entered " + run.entered));
      item.appendChild(head);
      section(item, "Input", run.input);
      section(item, "Output", run.output);
      if (run.error) section(item, "Error", run.error + (run.cause ? "\n" + run.cause : ""));
      if (run.attempts && run.attempts.length) {
        item.appendChild(el("h4", null, "Attempts"));
        var list = el("ol", "attempts");
        run.attempts.forEach(function (a) {
          var text = "attempt " + a.number + " started " + a.started + " · " + (a.result || "running");
          if (a.error) text += " · " + a.error + (a.cause ? ": " + a.cause : "");
          list.appendChild(el("li", null, text));
        });
        item.appendChild(list);
      }
      box.appendChild(item);
    });
    panel.hidden = false;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("g.step[data-node]") : null;
    if (target) { event.preventDefault(); showStep(target.getAttribute("data-node")); return; }
    var toggle = event.target instanceof Element ? event.target.closest("button.toggle") : null;
    if (toggle) {
      var row = document.getElementById(toggle.getAttribute("aria-controls"));
      if (row) {
        row.hidden = !row.hidden;
        toggle.setAttribute("aria-expanded", String(!row.hidden));
      }
      return;
    }
    if (event.target instanceof Element && event.target.id === "step-close") {
      document.getElementById("step-panel").hidden = true;
      selected = null;
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.classList.contains("pick") && target.form) {
      target.form.submit();
    }
  });

  var live = document.getElementById("live");
  function running() {
    var head = document.getElementById("exec-head");
    return head && head.getAttribute("data-running") === "true";
  }
  if (live && running()) {
    var busy = false;
    var timer = setInterval(function () {
      if (busy) return;
      var focused = document.activeElement;
      if (focused && live.contains(focused) && focused.tagName !== "BUTTON") return; // typing
      busy = true;
      fetch(live.getAttribute("data-live-url") + location.search, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          // The server's own escaped fragment; DOMParser runs no script while parsing it.
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var open = Array.prototype.map.call(document.querySelectorAll("#events tr.detail-row:not([hidden])"), function (row) {
            return row.id;
          });
          fresh.querySelectorAll("[data-live-part]").forEach(function (part) {
            var here = document.getElementById(part.id);
            if (here) here.innerHTML = part.innerHTML;
          });
          open.forEach(function (id) {
            var row = document.getElementById(id);
            var toggle = document.querySelector('button.toggle[aria-controls="' + id + '"]');
            if (row) row.hidden = false;
            if (toggle) toggle.setAttribute("aria-expanded", "true");
          });
          if (selected) showStep(selected);
          if (!running()) { clearInterval(timer); location.reload(); }
        })
        .catch(function () { /* try again at the next tick */ })
        .then(function () { busy = false; });
    }, 1000);
  }
})();
