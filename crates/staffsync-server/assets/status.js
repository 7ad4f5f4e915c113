// Live status (served as /assets/status.js; see http/web/status.rs). A page that shows a
// queued or running sync has an element #live-status with data-status-url (and, on a
// run's page, data-run-id). While the account's sync is queued or running (or, on a run's
// page, while that run runs) this polls the status every 2 s and puts its message into
// #live-text (and the directory's size into #employee-count); when it is over, it reloads
// the page, which then shows the result as the server renders it. Without script the
// page shows the state it was rendered with and a refresh link.
(function () {
  'use strict';
  var region = document.getElementById('live-status');
  if (!region || !region.dataset.statusUrl) return;
  var url = region.dataset.statusUrl;
  var runId = region.dataset.runId ? Number(region.dataset.runId) : null;
  var text = document.getElementById('live-text');
  var count = document.getElementById('employee-count');
  var every = 2000;
  // A page left open stops asking after 30 minutes (its refresh link still works).
  var until = Date.now() + 30 * 60 * 1000;
  var failures = 0;

  function ongoing(s) {
    if (runId !== null) return !!(s.current_run && s.current_run.id === runId);
    return s.state !== 'idle';
  }

  function next() {
    if (Date.now() < until) window.setTimeout(poll, every);
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 401) return null; // logged out: stop; the next click goes to the login
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (s) {
        if (s === null) return;
        failures = 0;
        if (!ongoing(s)) {
          window.location.reload();
          return;
        }
        if (text && s.message && text.textContent !== s.message) text.textContent = s.message;
        if (count && typeof s.employees === 'number') count.textContent = String(s.employees);
        next();
      })
      .catch(function () {
        // A hiccup (a restart, the network): ask again a little later, a few times.
        failures += 1;
        if (failures <= 5) next();
      });
  }

  region.dataset.live = 'on';
  next();
})();
