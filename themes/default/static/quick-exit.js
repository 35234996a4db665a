/* Quick exit: leave for the admin's neutral page and keep the forum out of Back.
   Without JavaScript the link still works as a plain link. */
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  var exitUrl = link.getAttribute("href");
  var START = "kindred-history-start";
  var LEAVING = "kindred-leaving";

  function store(key, value) {
    try { if (value === null) { sessionStorage.removeItem(key); } else { sessionStorage.setItem(key, value); } } catch (e) { /* storage off */ }
  }
  function read(key) {
    try { return sessionStorage.getItem(key); } catch (e) { return null; }
  }
  function finish() {
    store(LEAVING, null);
    store(START, null);
    document.documentElement.classList.add("leaving");
    window.location.replace(exitUrl);
  }

  // The first forum page of this tab: history entries before it are not ours.
  if (read(START) === null) { store(START, String(window.history.length)); }

  function leave() {
    document.documentElement.classList.add("leaving");
    var start = parseInt(read(START) || "0", 10);
    var steps = window.history.length - start;
    if (start > 0 && steps > 0) {
      // Walk back to the first forum entry, which then replaces itself with the exit page,
      // so Back from there leads to whatever came before the forum.
      store(LEAVING, "1");
      window.history.go(-steps);
      window.setTimeout(finish, 600);
    } else {
      finish();
    }
  }

  function onShow() { if (read(LEAVING) === "1") { finish(); } }
  window.addEventListener("pageshow", onShow);
  onShow();

  link.addEventListener("click", function (event) {
    event.preventDefault();
    leave();
  });

  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) { presses = []; leave(); }
  });
}());
