/* The check-in page's service worker (scope /check-in/): it keeps the page shell, its
 * JavaScript and its stylesheet so that the page opens without network. Pages are fetched
 * from the network first and the copy is used only when that fails; the attendee list is not
 * cached here (the page keeps it in IndexedDB), and nothing but GET is ever touched.
 * Logging out sends Clear-Site-Data, which removes this cache with the rest.
 */
"use strict";

var SHELL_CACHE = "roadshow-checkin-shell-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("roadshow-checkin-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isShell(request, url) {
  if (request.method !== "GET" || url.origin !== self.location.origin) return false;
  if (request.mode === "navigate") return url.pathname.indexOf("/check-in/") === 0;
  return /\/static\/(checkin\.js|roadshow\.css)$/.test(url.pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (!isShell(request, url)) return;
  event.respondWith(
    fetch(request).then(function (response) {
      // Only a real page is kept, never a redirect to the login or an error.
      if (response.ok && !response.redirected && response.type === "basic") {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname, { ignoreSearch: true }).then(function (cached) {
        return cached || Response.error();
      });
    })
  );
});
