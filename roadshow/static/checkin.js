/* The check-in page at the door, also without network.
 *
 * The event's attendee list is kept in IndexedDB ("roadshow-checkin") so that search and code
 * look-up keep working offline. Every scan, undo and walk-in first goes into a local queue
 * (IndexedDB too) with its own ref (a UUID) and the device's time, is shown at once, and is
 * sent in order when the network is there: on the "online" event and every 15 seconds. An item
 * leaves the queue only on a definite answer (2xx; 404 for an undo; other 4xx are shown and
 * dropped), so that each reaches the server exactly once; the server recognises a ref it has
 * seen. When the list cannot be fetched because the user is logged out, the device's copy is
 * removed.
 */
(function () {
  "use strict";

  var DB_NAME = "roadshow-checkin";
  var SHELL_CACHE = "roadshow-checkin-shell-v1";
  var RETRY_MS = 15000;

  var root = document.getElementById("check-in");
  if (!root) return;
  var eventId = Number(root.dataset.eventId);
  var urls = {
    attendees: root.dataset.attendeesUrl,
    checkIns: root.dataset.checkInsUrl,
    walkIns: root.dataset.walkInsUrl,
    sw: root.dataset.swUrl,
  };
  var strings = JSON.parse(root.dataset.strings);
  var lang = document.documentElement.lang || "de";
  var csrfToken = root.dataset.csrfToken;

  var state = { attendees: [], queue: [], offline: !navigator.onLine, flushing: false };

  var el = {
    counter: root.querySelector("[data-counter]"),
    banner: root.querySelector("[data-banner]"),
    scanForm: root.querySelector("[data-scan-form]"),
    code: root.querySelector("[data-code]"),
    camera: root.querySelector("[data-camera]"),
    video: root.querySelector("[data-video]"),
    result: root.querySelector("[data-result]"),
    searchSection: root.querySelector("[data-search-section]"),
    search: root.querySelector("[data-search]"),
    list: root.querySelector("[data-list]"),
    walkIn: root.querySelector("[data-walk-in-form]"),
    walkInSection: root.querySelector("[data-walk-in-section]"),
  };

  function t(key, values) {
    return (strings[key] || key).replace(/\{(\w+)\}/g, function (_, name) {
      return values && name in values ? String(values[name]) : "";
    });
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  function newRef() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (crypto.getRandomValues(new Uint8Array(1))[0] & 15);
      return (c === "x" ? r : (r & 3) | 8).toString(16);
    });
  }

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  /* ---- IndexedDB ---- */

  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("lists", { keyPath: "eventId" });
          db.createObjectStore("queue", { keyPath: "ref" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function store(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  function saveList(data) {
    return store("lists", "readwrite", function (s) { return s.put({ eventId: eventId, data: data }); });
  }
  function loadList() {
    return store("lists", "readonly", function (s) { return s.get(eventId); });
  }
  function loadQueue() {
    return store("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(function (i) { return i.eventId === eventId; })
        .sort(function (a, b) { return a.seq - b.seq; });
    });
  }
  function putQueued(item) {
    return store("queue", "readwrite", function (s) { return s.put(item); });
  }
  function dropQueued(ref) {
    return store("queue", "readwrite", function (s) { return s.delete(ref); });
  }
  function clearDevice() {
    return store("lists", "readwrite", function (s) { return s.clear(); })
      .then(function () { return store("queue", "readwrite", function (s) { return s.clear(); }); })
      .then(function () { if (window.caches) return caches.delete(SHELL_CACHE); });
  }

  /* ---- the list shown on the page ---- */

  function byId(id) {
    for (var i = 0; i < state.attendees.length; i++) if (state.attendees[i].id === id) return state.attendees[i];
    return null;
  }
  function byCode(code) {
    var wanted = code.trim().toUpperCase();
    for (var i = 0; i < state.attendees.length; i++) {
      var a = state.attendees[i];
      if (a.code && a.code.toUpperCase() === wanted) return a;
    }
    return null;
  }

  /* What waits in the queue is shown as already done on this device. */
  function applyQueue() {
    state.queue.forEach(function (item) {
      if (item.kind === "check_in") {
        var a = item.body.attendee_id ? byId(item.body.attendee_id) : byCode(item.body.code || "");
        if (a && !a.checked_in_at) { a.checked_in_at = item.at; a.pending = item.ref; }
      } else if (item.kind === "undo") {
        var u = byId(item.attendeeId);
        if (u) { u.checked_in_at = null; u.check_in_id = null; }
      } else if (item.kind === "walk_in" && !byId(item.tempId)) {
        state.attendees.push({ id: item.tempId, name: item.body.name, company: item.body.company,
          email: item.body.email, code: null, checked_in_at: item.at, check_in_id: null,
          method: "walk_in", pending: item.ref });
      }
    });
  }

  function render() {
    var checked = state.attendees.filter(function (a) { return a.checked_in_at; }).length;
    el.counter.textContent = t("counter", { checked: checked, expected: state.attendees.length });
    var waiting = state.queue.length;
    if (state.offline) {
      el.banner.textContent = !waiting ? t("offline_none")
        : waiting === 1 ? t("offline_one") : t("offline", { count: waiting });
    } else {
      el.banner.textContent = waiting === 1 ? t("online_waiting_one")
        : t("online_waiting", { count: waiting });
    }
    el.banner.dataset.waiting = String(waiting);
    el.banner.hidden = !(state.offline || waiting);
    el.banner.classList.toggle("offline", state.offline);
    renderList();
  }

  function renderList() {
    var query = fold(el.search.value.trim());
    var rows = state.attendees.filter(function (a) {
      return !query || fold(a.name).indexOf(query) >= 0 || fold(a.company).indexOf(query) >= 0;
    }).sort(function (a, b) { return a.name.localeCompare(b.name, lang); }).slice(0, 100);
    el.list.textContent = "";
    if (!rows.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = t("no_results");
      el.list.appendChild(none);
      return;
    }
    rows.forEach(function (a) {
      var li = document.createElement("li");
      li.dataset.attendeeId = String(a.id);
      if (a.checked_in_at) li.className = "checked-in";
      var who = document.createElement("span");
      who.className = "who";
      var name = document.createElement("strong");
      name.textContent = a.name;
      who.appendChild(name);
      if (a.company) {
        var company = document.createElement("span");
        company.className = "company";
        company.textContent = a.company;
        who.appendChild(company);
      }
      li.appendChild(who);
      var button = document.createElement("button");
      button.type = "button";
      if (a.checked_in_at) {
        var when = document.createElement("span");
        when.className = "when";
        when.textContent = t(a.pending ? "checked_at_pending" : "checked_at", { time: clock(a.checked_in_at) });
        if (a.pending) li.classList.add("pending");
        li.appendChild(when);
        button.className = "secondary undo";
        button.textContent = t("undo");
        button.addEventListener("click", function () { undo(a); });
      } else {
        button.textContent = t("check_in");
        button.addEventListener("click", function () { checkIn({ attendee_id: a.id }, a); });
      }
      li.appendChild(button);
      el.list.appendChild(li);
    });
  }

  function say(text, kind) {
    el.result.textContent = text;
    el.result.className = "check-in-result " + (kind || "");
  }

  /* ---- actions ---- */

  var seq = Date.now();
  function enqueue(item) {
    item.seq = seq++;
    item.eventId = eventId;
    state.queue.push(item);
    return putQueued(item);
  }

  function checkIn(body, attendee) {
    if (attendee && attendee.checked_in_at) {
      say(t("already", { name: attendee.name, time: clock(attendee.checked_in_at) }), "already");
      return Promise.resolve();
    }
    if (!attendee && state.offline) {
      say(t("unknown", { code: body.code }), "bad");
      return Promise.resolve();
    }
    var item = { kind: "check_in", ref: newRef(), at: new Date().toISOString(), body: body };
    if (attendee) { attendee.checked_in_at = item.at; attendee.pending = item.ref; }
    return enqueue(item).then(function () {
      render();
      return flush();
    }).then(function () {
      var waiting = state.queue.some(function (i) { return i.ref === item.ref; });
      if (attendee && waiting) say(t("checked_in_offline", { name: attendee.name }), "pending");
    });
  }

  function undo(attendee) {
    var pending = state.queue.filter(function (i) { return i.ref === attendee.pending; })[0];
    var done;
    if (pending) {
      // Never sent: it is simply forgotten (a walk-in with it, as nobody was registered).
      state.queue = state.queue.filter(function (i) { return i !== pending; });
      if (pending.kind === "walk_in") {
        state.attendees = state.attendees.filter(function (a) { return a !== attendee; });
      }
      done = dropQueued(pending.ref);
    } else if (attendee.check_in_id) {
      done = enqueue({ kind: "undo", ref: newRef(), at: new Date().toISOString(),
        attendeeId: attendee.id, checkInId: attendee.check_in_id });
    } else {
      done = Promise.resolve();
    }
    attendee.checked_in_at = null;
    attendee.check_in_id = null;
    attendee.pending = null;
    say(t("undone", { name: attendee.name }), "undone");
    return done.then(function () { render(); return flush(); });
  }

  function walkIn(form) {
    var body = {
      name: form.elements.name.value.trim(),
      email: form.elements.email.value.trim(),
      company: form.elements.company.value.trim(),
      town: form.elements.town.value.trim(),
      override_capacity: form.elements.override_capacity.checked,
    };
    showFieldErrors({});
    var missing = {};
    ["name", "email", "company", "town"].forEach(function (f) { if (!body[f]) missing[f] = [t("required")]; });
    if (Object.keys(missing).length) { showFieldErrors(missing); return Promise.resolve(); }
    var item = { kind: "walk_in", ref: newRef(), at: new Date().toISOString(), body: body,
      tempId: "walk-in-" + newRef() };
    return enqueue(item).then(function () {
      applyQueue();
      render();
      return flush();
    }).then(function () {
      var still = state.queue.some(function (i) { return i.ref === item.ref; });
      if (still) {
        say(t("walked_in_offline", { name: body.name }), "pending");
        form.reset();
      } else if (!item.failed) {
        form.reset();
      }
    });
  }

  function showFieldErrors(fields) {
    el.walkIn.querySelectorAll("[data-error]").forEach(function (p) {
      var messages = fields[p.dataset.error];
      p.textContent = messages ? [].concat(messages).join(" ") : "";
      p.hidden = !messages;
      var field = p.closest(".field");
      if (field) field.classList.toggle("has-error", !!messages);
    });
  }

  /* ---- talking to the server ---- */

  function request(item) {
    var url, method = "POST", payload;
    if (item.kind === "check_in") {
      url = urls.checkIns;
      payload = Object.assign({ ref: item.ref, at: item.at }, item.body);
    } else if (item.kind === "undo") {
      url = urls.checkIns.replace(/\/?$/, "/") + item.checkInId;
      method = "DELETE";
    } else {
      url = urls.walkIns;
      payload = Object.assign({ ref: item.ref, at: item.at }, item.body);
    }
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: payload ? JSON.stringify(payload) : undefined,
    });
  }

  function readJson(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text); } catch (e) { return { _text: text }; }
    });
  }

  function loggedOut(response) {
    return response.type === "opaqueredirect" || response.status === 401 || response.status === 403;
  }

  function isCsrfFailure(response, data) {
    return response.status === 400 && !!data && data.reason === "csrf";
  }

  /* Send what waits, in order; stop at the first failure of the network or the server. */
  function flush() {
    if (state.flushing) return Promise.resolve();
    state.flushing = true;
    var csrfRetried = false;
    function next() {
      var item = state.queue[0];
      if (!item) return Promise.resolve();
      return request(item).then(function (response) {
        return readJson(response).then(function (data) {
          if (loggedOut(response)) return forgetDevice();
          if (isCsrfFailure(response, data) && !csrfRetried) {
            csrfRetried = true;
            return refreshList().then(next);
          }
          if (response.status >= 500) { state.offline = false; throw new Error("server"); }
          state.offline = false;
          answered(item, response, data);
          state.queue.shift();
          return dropQueued(item.ref).then(function () { render(); return next(); });
        });
      });
    }
    return next().catch(function (error) {
      if (error instanceof TypeError) state.offline = true;  // no network
    }).then(function () {
      state.flushing = false;
      render();
    });
  }

  function answered(item, response, data) {
    var ok = response.status >= 200 && response.status < 300;
    if (item.kind === "check_in") {
      var attendee = item.body.attendee_id ? byId(item.body.attendee_id)
        : (data.attendee && byId(data.attendee.id)) || byCode(item.body.code || "");
      if (ok) {
        if (attendee) {
          attendee.checked_in_at = data.checked_in_at;
          attendee.check_in_id = data.check_in_id;
          attendee.pending = null;
        }
        var name = (data.attendee && data.attendee.name) || (attendee && attendee.name) || "";
        if (data.already) say(t("already", { name: name, time: clock(data.checked_in_at) }), "already");
        else say(t("checked_in", { name: name }), "good");
      } else {
        if (attendee && attendee.pending === item.ref) { attendee.checked_in_at = null; attendee.pending = null; }
        if (response.status === 404) say(t("unknown", { code: item.body.code || "" }), "bad");
        else say(t("rejected", { message: data.error || response.status }), "bad");
      }
    } else if (item.kind === "undo") {
      if (!ok && response.status !== 404) say(t("rejected", { message: data.error || response.status }), "bad");
    } else {
      var temp = byId(item.tempId);
      if (ok) {
        if (temp) {
          temp.id = data.attendee.id;
          temp.name = data.attendee.name || temp.name;
          temp.checked_in_at = data.checked_in_at;
          temp.check_in_id = data.check_in_id;
          temp.pending = null;
        }
        say(t("walked_in", { name: (data.attendee && data.attendee.name) || item.body.name }), "good");
      } else {
        item.failed = true;
        state.attendees = state.attendees.filter(function (a) { return a !== temp; });
        restoreWalkIn(item.body);
        var fields = data.fields || {};
        if (!data.fields) fields._form = [data.error || String(response.status)];
        showFieldErrors(fields);
        say(t("rejected", { message: data.error || response.status }), "bad");
      }
    }
  }

  /* A walk-in refused by the server comes back into the form, as it was typed. */
  function restoreWalkIn(body) {
    var form = el.walkIn;
    ["name", "email", "company", "town"].forEach(function (f) { form.elements[f].value = body[f] || ""; });
    form.elements.override_capacity.checked = !!body.override_capacity;
  }

  function forgetDevice() {
    state.attendees = [];
    state.queue = [];
    return clearDevice().then(function () {
      say(t("logged_out"), "bad");
      render();
      throw new Error("logged out");
    });
  }

  function refreshList() {
    return fetch(urls.attendees, { credentials: "same-origin", redirect: "manual",
      headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (loggedOut(response)) return forgetDevice();
        if (!response.ok) throw new Error("server");
        return response.json().then(function (data) {
          state.offline = false;
          if (data.csrf_token) csrfToken = data.csrf_token;
          return saveList(data).then(function () { useList(data); });
        });
      });
  }

  /* A fetch that failed for want of network (a TypeError) means offline. */
  function noteOffline(error) {
    if (error instanceof TypeError) state.offline = true;
    render();
  }

  function useList(data) {
    state.attendees = (data.attendees || []).map(function (a) { return Object.assign({}, a); });
    applyQueue();
    render();
  }

  function start() {
    el.scanForm.hidden = false;
    el.searchSection.hidden = false;
    el.walkInSection.hidden = false;
    el.camera.hidden = !("BarcodeDetector" in window);
    el.code.focus();  // a USB or Bluetooth scanner types into whatever has the focus
    return loadQueue().then(function (queue) {
      state.queue = queue;
      return loadList();
    }).then(function (saved) {
      if (saved) useList(saved.data);
      return refreshList().catch(noteOffline);
    }).then(function () {
      root.dataset.ready = "true";
      return flush();
    });
  }

  /* ---- camera ---- */

  var scanning = null;
  function startCamera() {
    if (scanning) { stopCamera(); return; }
    var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128", "code_39"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      el.video.srcObject = stream;
      el.video.hidden = false;
      el.video.play();
      scanning = setInterval(function () {
        detector.detect(el.video).then(function (codes) {
          if (!codes.length) return;
          var code = codes[0].rawValue;
          stopCamera();
          handleCode(code);
        }).catch(function () {});
      }, 250);
    }).catch(function () { say(t("camera_failed"), "bad"); });
  }
  function stopCamera() {
    clearInterval(scanning);
    scanning = null;
    var stream = el.video.srcObject;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    el.video.srcObject = null;
    el.video.hidden = true;
  }

  function handleCode(raw) {
    var code = raw.trim();
    if (!code) return;
    var attendee = byCode(code);
    checkIn({ code: code }, attendee);
  }

  /* ---- wiring ---- */

  el.scanForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var code = el.code.value;
    el.code.value = "";
    handleCode(code);
    el.code.focus();
  });
  el.camera.addEventListener("click", startCamera);
  el.search.addEventListener("input", renderList);
  el.walkIn.addEventListener("submit", function (e) {
    e.preventDefault();
    walkIn(el.walkIn);
  });
  window.addEventListener("online", function () {
    state.offline = false;
    flush().then(function () { return refreshList().catch(function () {}); });
  });
  window.addEventListener("offline", function () { state.offline = true; render(); });
  /* Every 15 s: send what waits; once a minute, also fetch the list to see other devices' check-ins. */
  var ticks = 0;
  setInterval(function () {
    ticks += 1;
    if (state.queue.length) flush();
    else if (ticks % 4 === 0 && !state.flushing) refreshList().catch(noteOffline);
  }, RETRY_MS);

  if ("serviceWorker" in navigator && urls.sw) {
    navigator.serviceWorker.register(urls.sw, { scope: "/check-in/" }).then(function () {
      // The page that registered the worker was fetched before it ran: keep a copy now.
      if (!window.caches) return;
      var css = document.querySelector("link[rel=stylesheet]");
      var js = document.querySelector("script[src]");
      return caches.open(SHELL_CACHE).then(function (cache) {
        return cache.addAll([location.pathname, css && css.href, js && js.src].filter(Boolean));
      });
    }).catch(function () {});
  }

  window.roadshowCheckIn = { flush: flush, state: state };
  start();
})();
