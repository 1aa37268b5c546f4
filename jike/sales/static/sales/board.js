// Pipeline board: drag a card to another stage; the server applies the stage rules. A refused move
// shows the reason and the card goes back where it was.
(function () {
  "use strict";
  const board = document.getElementById("pipeline-board");
  if (!board || !window.Sortable) return;
  const alertBox = document.getElementById("board-alert");
  const csrf = board.dataset.csrf;

  function show(message, kind) {
    alertBox.textContent = message;
    alertBox.className = "alert alert-" + kind;
    alertBox.hidden = false;
  }

  function recount(list) {
    const badge = board.querySelector('[data-count-for="' + list.dataset.stage + '"]');
    if (badge) badge.textContent = list.querySelectorAll(".board-card").length;
  }

  function revert(evt) {
    const ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, ref);
    recount(evt.from);
    recount(evt.to);
  }

  board.querySelectorAll(".board-list").forEach(function (list) {
    window.Sortable.create(list, {
      group: "pipeline",
      animation: 120,
      disabled: board.dataset.readonly === "1",
      onEnd: function (evt) {
        if (evt.from === evt.to) return;
        const stage = evt.to.dataset.stage;
        let reason = "";
        if (stage === "lost") {
          reason = window.prompt(board.dataset.lostPrompt) || "";
          if (!reason.trim()) { revert(evt); return; }
        }
        recount(evt.from);
        recount(evt.to);
        const body = new FormData();
        body.append("stage", stage);
        body.append("lost_reason", reason);
        board.dataset.busy = "1";
        fetch(evt.item.dataset.moveUrl, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
          .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
          .then(function (res) {
            if (!res.ok) {
              revert(evt);
              show(res.data.message || "refused", "danger");
            } else {
              evt.item.dataset.stage = res.data.stage;
              const p = evt.item.querySelector(".card-probability");
              if (p) p.textContent = res.data.probability + "%";
              show(board.dataset.movedText, "success");
            }
          })
          .catch(function () { revert(evt); show("network error", "danger"); })
          .finally(function () { board.dataset.busy = "0"; });
      },
    });
  });
})();
