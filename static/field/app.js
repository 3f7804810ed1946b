// The field app (ứng dụng hiện trường): sign the phone in, show the producer's areas,
// open batches and the queue, and open the screens that make entries. Everything a
// screen saves goes to the phone's queue first; the queue is sent when there is a
// connection (on open, on focus, when the phone comes online, by Background Sync).
import * as store from './db.js';
import {CHANNEL, refreshSnapshot, syncQueue} from './sync.js';
import {el, label, language, setLanguage, t} from './ui.js';

const main = document.getElementById('screen');
const status = document.getElementById('sync-status');

export function show(...nodes) {
  main.replaceChildren(...nodes.flat().filter((node) => node != null));
  window.scrollTo(0, 0);
}

export function toast(text, kind = 'ok') {
  const note = el('p', {class: `toast ${kind}`, role: 'status'}, text);
  document.getElementById('toasts').replaceChildren(note);
  setTimeout(() => note.remove(), 5000);
}

/** Save an entry on the phone (one IndexedDB transaction), then try to send it. */
export async function save(kind, payload, photos = [], replacing = null, shown = null) {
  const started = performance.now();
  // `shown` names the subject for the phone's list (a batch may leave the snapshot).
  const entry = {key: crypto.randomUUID(), kind, made_at: new Date().toISOString(), payload, shown};
  await store.enqueue(entry, photos);
  document.body.dataset.saveMs = (performance.now() - started).toFixed(1);
  if (replacing != null) await store.dropEntry(replacing);
  toast(t(navigator.onLine ? 'saved_sending' : 'saved_offline'));
  location.hash = '#/';
  requestSync();
}

export async function requestSync() {
  const registration = 'serviceWorker' in navigator && await navigator.serviceWorker.getRegistration('/field/');
  if (registration && registration.sync) {
    registration.sync.register('field-queue').catch(() => {});
  }
  if (navigator.onLine) {
    status.textContent = t('sending');
    await syncQueue();
  }
}

async function renderStatus() {
  const all = await store.entries();
  const waiting = all.filter((e) => e.status === 'waiting').length;
  const refused = all.filter((e) => e.status === 'refused').length;
  status.textContent = [
    navigator.onLine ? t('online') : t('offline'),
    t('n_waiting', {n: waiting}), refused ? t('n_refused', {n: refused}) : null,
  ].filter(Boolean).join(' · ');
  status.className = refused ? 'refused' : waiting ? 'waiting' : '';
}

async function signIn() {
  // Drawn once: a later route() (the boot's second one, a sync message) must not wipe
  // what the person is typing.
  if (document.getElementById('signin')) return;
  const form = el('form', {id: 'signin', class: 'card', novalidate: true},
    el('h1', {}, t('sign_in_title')),
    el('p', {}, t('sign_in_intro')),
    el('p', {class: 'field'}, el('label', {for: 'email'}, t('email')),
      el('input', {id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true})),
    el('p', {class: 'field'}, el('label', {for: 'password'}, t('password')),
      el('input', {id: 'password', name: 'password', type: 'password',
                   autocomplete: 'current-password', required: true})),
    el('p', {class: 'field'}, el('label', {for: 'phone-name'}, t('phone_name')),
      el('input', {id: 'phone-name', name: 'name', value: t('my_phone'), maxlength: 60})),
    el('p', {class: 'error', id: 'signin-error', role: 'alert'}),
    el('button', {type: 'submit', class: 'primary'}, t('sign_in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = form.querySelector('#signin-error');
    // A second submit (a double tap, or a tap landing while the first answer is on its
    // way) must not sign in again nor show a refusal over a phone already signed in.
    if (form.dataset.busy) return;
    if (await store.getMeta('device')) { location.hash = '#/'; route(); return; }
    if (!navigator.onLine) { error.textContent = t('sign_in_offline'); return; }
    form.dataset.busy = '1';
    const body = Object.fromEntries(new FormData(form));
    try {
      const response = await fetch('/field/api/devices', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'Accept-Language': language()},
        body: JSON.stringify(body)});
      const answer = await response.json().catch(() => ({}));
      if (response.status !== 201) {
        error.textContent = label(answer.error && {vi: answer.error.message_vi, en: answer.error.message_en})
          || (answer.error && answer.error.message) || t('sign_in_failed');
        return;
      }
      await store.setMeta('device', {token: answer.token, device_id: answer.device_id,
        expires_at: answer.expires_at, user: answer.user, name: body.name});
      await refreshSnapshot();
      location.hash = '#/';
      route();
      requestSync();
    } catch (e) {
      error.textContent = t('sign_in_offline');
    } finally {
      delete form.dataset.busy;
    }
  });
  show(form);
}

// The screens load after the first one is drawn: on a slow line every module in the
// first wave of requests costs time before anything shows (the worker keeps them all).
const screens = () => import('./screens.js');
const ROUTES = {
  '': () => screens().then((m) => m.home), diary: () => screens().then((m) => m.diary),
  harvest: () => screens().then((m) => m.harvest), point: () => screens().then((m) => m.point),
  fix: () => screens().then((m) => m.fix),
  walk: () => import('./walk-screen.js').then((m) => m.walkScreen),
};

export async function route() {
  const device = await store.getMeta('device');
  const [name, arg] = location.hash.replace(/^#\/?/, '').split('/');
  await renderStatus();
  if (!device || !device.token) return signIn();
  const snapshot = await store.getMeta('snapshot');
  const screen = await (ROUTES[name] || ROUTES[''])();
  return screen({device, snapshot: snapshot || {}, arg});
}

export function signOut() {
  return store.setMeta('device', undefined).then(() => store.setMeta('snapshot', undefined))
    .then(() => { location.hash = '#/'; route(); });
}

function showLanguage() {
  document.querySelectorAll('[data-lang]').forEach((link) =>
    link.toggleAttribute('aria-current', link.dataset.lang === language()));
  document.querySelectorAll('[data-word]').forEach((node) => { node.textContent = t(node.dataset.word); });
}

function boot() {
  document.querySelectorAll('[data-lang]').forEach((link) => link.addEventListener('click', (e) => {
    e.preventDefault();
    setLanguage(link.dataset.lang);
    showLanguage();
    document.getElementById('signin')?.remove();   // redrawn in the new language
    route();
  }));
  setLanguage(language());
  showLanguage();
  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => requestSync());
  window.addEventListener('offline', renderStatus);
  window.addEventListener('focus', () => requestSync());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') requestSync();
  });
  new BroadcastChannel(CHANNEL).onmessage = (event) => {
    // The home screen shows the answers at once; a form being filled is left alone.
    if (!/^#\/(walk|diary|harvest|point|fix)/.test(location.hash)) route();
    else renderStatus();
  };
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/field/sw.js', {scope: '/field/', type: 'module'})
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => registration.active.postMessage(
        {type: 'version', version: document.body.dataset.version}))
      .catch(() => {});
  }
  screens();   // fetched while the person reads the first screen
  route().then(() => requestSync()).then(() => route());
}

boot();
