// The field app's service worker, served as /field/sw.js so that its scope is /field/.
// The shell (page, scripts, styles, icons) is kept in a cache, so the app opens with no
// connection; the API is never cached (the page keeps its data in IndexedDB).
// Background Sync sends the queue when the phone is back online, even with the app
// closed. The page comes from the network when it can and tells the worker the digest
// of the shell's files (its data-version): a new digest refreshes the cached files.
import {syncQueue} from '/static/field/sync.js';

const CACHE = 'field-shell';
const PAGE = '/field/';
const SHELL = [PAGE, '/field/manifest.webmanifest',
  ...['field.css', 'app.js', 'ui.js', 'db.js', 'sync.js', 'forms.js', 'screens.js', 'photo.js',
      'walk.js', 'walk-screen.js', 'icons/icon-192.png', 'icons/icon-512.png',
      'icons/maskable-512.png'].map((name) => `/static/field/${name}`)];
const VERSION_KEY = '/field/.shell-version';
// A page that takes longer than this on a weak connection comes from the cache; the
// fresh copy still lands in the cache for next time.
const PAGE_WAIT_MS = 3000;

async function fill(version) {
  const cache = await caches.open(CACHE);
  await cache.addAll(SHELL.map((url) => new Request(url, {cache: 'reload'})));
  if (version) await cache.put(VERSION_KEY, new Response(version));
}

self.addEventListener('install', (event) => {
  event.waitUntil(fill(null).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type !== 'version' || !data.version) return;
  event.waitUntil(caches.open(CACHE).then((cache) => cache.match(VERSION_KEY))
    .then((kept) => (kept ? kept.text() : null))
    // Just installed (nothing known yet): the files are fresh, only the digest is new.
    .then((known) => (known === data.version ? null : known === null
      ? caches.open(CACHE).then((cache) => cache.put(VERSION_KEY, new Response(data.version)))
      : fill(data.version)))
    .catch(() => {}));
});

async function page(request) {
  const cache = await caches.open(CACHE);
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(PAGE, response.clone());
    return response;
  });
  fresh.catch(() => {});
  const late = new Promise((resolve) => setTimeout(resolve, PAGE_WAIT_MS));
  try {
    const first = await Promise.race([fresh, late]);
    if (first) return first;
  } catch (e) { /* offline: the cached page */ }
  return (await cache.match(PAGE)) || fresh;
}

async function asset(request) {
  const cached = await caches.match(request, {ignoreSearch: true});
  return cached || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/field/api/')) return;
  if (event.request.mode === 'navigate' && url.pathname.startsWith(PAGE)) {
    event.respondWith(page(event.request));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(asset(event.request));
  }
});

self.addEventListener('sync', (event) => {
  // A failed run throws, so that the browser tries again later.
  // An open page sends the queue itself (on open, focus and `online`); the worker sends
  // it when the app is closed.
  if (event.tag !== 'field-queue') return;
  event.waitUntil(self.clients.matchAll({type: 'window'}).then((pages) => (pages.length ? null
    : syncQueue().then((result) => { if (result && result.error) throw result.error; }))));
});
