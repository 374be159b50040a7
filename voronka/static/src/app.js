// Voronka web UI behaviour: toasts, the modal dialog, drag and drop on the board, tabs.
// Everything else is htmx attributes in the templates; the server decides every outcome.
(function () {
  "use strict";

  function modal() { return document.getElementById("modal"); }

  function openModal() {
    const m = modal();
    if (m && !m.open) m.showModal();
    const first = m && m.querySelector("[autofocus], input:not([type=hidden]), select, textarea, button");
    if (first) first.focus();
  }

  function closeModal() {
    const m = modal();
    if (m && m.open) m.close();
  }

  function toast(message, level) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.setAttribute("role", "status");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, level === "error" || level === "warning" ? 7000 : 4000);
  }

  // --- board drag and drop -----------------------------------------------------------------
  let pending = null; // the card being moved: where to put it back if the server refuses

  function revert() {
    if (!pending) return;
    const { item, from, nextSibling } = pending;
    if (nextSibling && nextSibling.parentNode === from) from.insertBefore(item, nextSibling);
    else from.appendChild(item);
    pending = null;
  }

  function boardParams(card) {
    const board = document.getElementById("board");
    return {
      origin: "board",
      filters: board ? board.dataset.filters || "" : "",
      version: card.dataset.version,
    };
  }

  function onDrop(evt) {
    document.body.classList.remove("dragging");
    const card = evt.item;
    if (evt.to === evt.from) return;
    pending = { item: card, from: evt.from, nextSibling: evt.from.children[evt.oldIndex] || null };
    const dealId = card.dataset.deal;
    const params = boardParams(card);
    const zone = evt.to.dataset.zone;
    if (zone) {
      revert(); // the zones are not columns; the card stays until the server closes the deal
      if (zone === "lost") {
        htmx.ajax("GET", "/deals/" + dealId + "/archive/?" + new URLSearchParams(params),
          { target: "#modal", swap: "innerHTML" });
      } else {
        htmx.ajax("POST", "/deals/" + dealId + "/win/", { values: params, swap: "none", source: card });
      }
      return;
    }
    params.to_stage = evt.to.dataset.stage;
    htmx.ajax("POST", "/deals/" + dealId + "/move/", { values: params, swap: "none", source: card });
  }

  function initBoard(root) {
    if (typeof Sortable === "undefined") return;
    const board = document.getElementById("board");
    if (board && board.hasAttribute("data-readonly")) return;  // a reader's board: no drag
    const lists = root.querySelectorAll(".cards[data-stage], .dropzone[data-zone]");
    lists.forEach(function (list) {
      if (list._sortable) return;
      list._sortable = Sortable.create(list, {
        group: { name: "board", pull: true, put: true },
        sort: false,
        draggable: ".card",
        filter: ".more, button",
        preventOnFilter: false,
        delay: 180,
        delayOnTouchOnly: true,
        animation: 120,
        onStart: function () { document.body.classList.add("dragging"); },
        onEnd: onDrop,
      });
    });
  }

  // --- task form tabs on the deal page ----------------------------------------------------
  function initTabs(root) {
    root.querySelectorAll("[data-tabs]").forEach(function (box) {
      if (box._tabs) return;
      box._tabs = true;
      box.querySelectorAll(".tabs button").forEach(function (btn) {
        btn.addEventListener("click", function () {
          box.querySelectorAll(".tabs button").forEach(function (b) { b.classList.toggle("active", b === btn); });
          box.querySelectorAll(".pane").forEach(function (p) { p.classList.toggle("active", p.dataset.pane === btn.dataset.pane); });
        });
      });
    });
  }

  function init(root) {
    initBoard(root);
    initTabs(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    document.body.addEventListener("toast", function (e) { toast(e.detail.message, e.detail.level); });
    document.body.addEventListener("openModal", openModal);
    document.body.addEventListener("closeModal", closeModal);
    document.body.addEventListener("moveRefused", revert);
    document.body.addEventListener("htmx:afterRequest", function () { pending = null; });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      // A dialog's content arrived: show it (answers that swap nothing leave it as it is).
      const swapped = e.detail.xhr && e.detail.xhr.getResponseHeader("HX-Reswap") !== "none";
      if (swapped && e.detail.target && e.detail.target.id === "modal") openModal();
    });
    document.body.addEventListener("htmx:afterSettle", function (e) { init(e.detail.elt || document); });
    document.body.addEventListener("htmx:oobAfterSwap", function (e) { init(e.detail.target || document); });
    document.body.addEventListener("htmx:sendError", function () { revert(); toast(document.body.dataset.offline || "Network error", "error"); });
    document.body.addEventListener("htmx:responseError", function (e) {
      if (e.detail.xhr.status >= 500) { revert(); toast(document.body.dataset.failed || "Error", "error"); }
    });
    document.body.addEventListener("click", function (e) {
      if (e.target.closest("[data-close]")) closeModal();
      if (e.target === modal()) closeModal(); // a click on the backdrop
    });
    const m = modal();
    if (m) m.addEventListener("close", function () { m.innerHTML = ""; });
    // Messages rendered with the page fade away like toasts.
    document.querySelectorAll("#messages .toast").forEach(function (el) {
      setTimeout(function () { el.remove(); }, 5000);
    });
  });
})();
