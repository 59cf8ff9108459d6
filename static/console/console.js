/* The operators' console: live approvals badge and queue, decision page shortcuts and checks.
   Plain JavaScript, no library: polling a small JSON summary keeps gunicorn's sync workers free
   (a stream would hold one worker per open tab). */
(function () {
  "use strict";

  function pollQueue() {
    var badge = document.getElementById("approvals-badge");
    if (!badge) { return; }
    var seconds = Math.max(1, parseInt(badge.dataset.refreshSeconds, 10) || 10);
    var liveQueue = document.body.classList.contains("live-queue");
    function refresh() {
      if (document.hidden) { return; }
      fetch(badge.dataset.summaryUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (summary) {
          if (!summary) { return; }
          document.getElementById("approvals-count").textContent = summary.count;
          badge.classList.toggle("waiting", summary.count > 0);
          badge.classList.toggle("overdue", summary.overdue > 0);
          if (summary.signature === badge.dataset.signature) { return; }
          badge.dataset.signature = summary.signature;
          if (liveQueue) {
            var selected = document.querySelectorAll("#result_list input.action-select:checked").length;
            var note = document.getElementById("queue-live-note");
            if (selected === 0) { window.location.reload(); }
            else if (note) { note.textContent = "The queue changed (" + summary.count + " waiting); reload when you are done with your selection."; }
          }
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }
    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", refresh);
  }

  function decisionPage() {
    var form = document.getElementById("decision-form");
    if (!form) { return; }
    var comment = document.getElementById("id_comment");
    var error = document.getElementById("decision-error");
    function showError(text) { error.textContent = text; error.hidden = false; comment.focus(); }
    // One decision per click: after the first submit the buttons are disabled. The server is
    // idempotent on the form's key anyway, so a second request only replays the first.
    form.addEventListener("submit", function (event) {
      var clicked = event.submitter || form.querySelector("button[value=approve]");
      if (form.dataset.sent) { event.preventDefault(); return; }
      if (clicked.value === "reject" && !comment.value.trim()) {
        event.preventDefault();
        showError("A rejection needs a comment saying why: write it here, then press Reject again.");
        return;
      }
      form.dataset.sent = "1";
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = clicked.name; hidden.value = clicked.value;
      form.appendChild(hidden);
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    });
    document.addEventListener("keydown", function (event) {
      var typing = event.target === comment;
      if (typing && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault(); document.getElementById("reject-button").click(); return;
      }
      if (typing || event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (event.key === "a") { event.preventDefault(); document.getElementById("approve-button").click(); }
      else if (event.key === "r") { event.preventDefault(); comment.focus(); }
      else if (event.key === "Escape") { window.location.href = document.querySelector(".breadcrumbs a:nth-of-type(3)").href; }
    });
  }

  function mediaChecks() {
    // A clip that does not load must not look like a clip that is merely short.
    var warning = document.getElementById("media-error");
    if (!warning) { return; }
    var failed = [];
    function fail(element) {
      var url = element.getAttribute("src");
      var broken = element.tagName === "VIDEO" ? element.error !== null : element.naturalWidth === 0;
      if (!broken || failed.indexOf(url) >= 0) { return; }
      failed.push(url);
      var box = element.closest(".artifact");
      if (box) { box.classList.add("media-failed"); }
      warning.querySelector(".media-error-urls").textContent = failed.join(", ");
      warning.hidden = false;
      document.body.dataset.mediaFailed = String(failed.length);
    }
    document.querySelectorAll(".under-review video, .under-review img").forEach(function (element) {
      element.addEventListener("error", function () { fail(element); });
      // It may have failed before this script ran (the error event is gone by then).
      if (element.tagName === "VIDEO" && element.error) { fail(element); }
      if (element.tagName === "IMG" && element.complete && element.naturalWidth === 0) { fail(element); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { pollQueue(); decisionPage(); mediaChecks(); });
})();
