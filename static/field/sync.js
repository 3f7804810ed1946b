// Sending the queue: photos first, then the entries that name them, in the order they
// were made, a hundred at a time. Runs in the page and in the service worker
// (Background Sync); a lock keeps the two from sending at once. The server answers
// each entry on its own: accepted (or a duplicate of one it already has) leaves the
// queue's waiting list, refused stays with the reason until fixed or discarded.
import * as store from './db.js';

const BATCH = 100;
const MAX_BYTES = 900 * 1024;   // under the server's 1 MB limit, with room to spare
export const CHANNEL = 'agritrace-field';

function tell(message) {
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(message);
  channel.close();
}

// A request on a dying connection is given up after this long, so that the queue is
// not held by it: the entries simply wait for the next chance.
const WAIT_MS = 30000;

async function call(device, path, init = {}) {
  const headers = {Authorization: `Device ${device.token}`, ...(init.headers || {})};
  const response = await fetch(path, {...init, headers, credentials: 'omit',
                                      signal: AbortSignal.timeout(WAIT_MS)});
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.status === 401) {
    const error = (body && body.error) || {};
    await store.setMeta('device', {...device, refused: {code: error.code || 'device_refused',
      vi: error.message_vi || error.message, en: error.message_en || error.message}});
    throw new DeviceRefused(error.message);
  }
  return {status: response.status, body};
}

export class DeviceRefused extends Error {}

function reasonOf(body, status) {
  const error = (body && body.error) || {};
  const en = error.message_en || error.message || `HTTP ${status}`;
  return {vi: error.message_vi || en, en};
}

async function sendPhotos(device, waiting) {
  const refused = new Map();
  for (const key of new Set(waiting.flatMap(store.photoKeys))) {
    const photo = await store.getPhoto(key);
    if (!photo || photo.sent) continue;
    const form = new FormData();
    form.append('key', key);
    form.append('photo', photo.blob, `${key}.jpg`);
    const {status, body} = await call(device, '/field/api/photos', {method: 'POST', body: form});
    if (status >= 500) throw new Error(`photos: HTTP ${status}`);
    if (status < 300) await store.putPhoto({...photo, sent: true, id: body && body.id});
    else refused.set(key, reasonOf(body, status));
  }
  return refused;
}

function batches(waiting) {
  const out = [];
  let current = [], bytes = 0;
  for (const entry of waiting) {
    const size = JSON.stringify(wire(entry)).length;
    if (current.length && (current.length === BATCH || bytes + size > MAX_BYTES)) {
      out.push(current); current = []; bytes = 0;
    }
    current.push(entry); bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

async function sendEntries(device, waiting) {
  for (const group of batches(waiting)) {
    const {status, body} = await call(device, '/field/api/entries', {
      method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({entries: group.map(wire)})});
    if (status >= 500 || !body || !Array.isArray(body.results)) {
      if (status >= 400 && status < 500) {   // the whole request refused: say so on each
        for (const entry of group) {
          await store.putEntry({...entry, status: 'refused', reason: reasonOf(body, status)});
        }
        continue;
      }
      throw new Error(`entries: HTTP ${status}`);
    }
    const byKey = new Map(body.results.map((r) => [r.key, r]));
    for (const entry of group) {
      const result = byKey.get(entry.key);
      if (!result) continue;
      const sent = result.status === 'accepted' || result.status === 'duplicate';
      await store.putEntry({...entry, status: sent ? 'sent' : 'refused', id: result.id,
        answer: result.status, reason: result.reason || null, changed: result.changed || null,
        held: result.held || [],
        sent_at: new Date().toISOString()});
    }
  }
}

function wire(entry) {
  return {key: entry.key, kind: entry.kind, made_at: entry.made_at, payload: entry.payload};
}

async function sendAll() {
  const device = await store.getMeta('device');
  if (!device || !device.token || device.refused) return {sent: 0};
  const waiting = (await store.entries()).filter((e) => e.status === 'waiting')
    .sort((a, b) => a.seq - b.seq);
  if (!waiting.length) return {sent: 0};
  const refusedPhotos = await sendPhotos(device, waiting);
  const ready = [];
  for (const entry of waiting) {
    const bad = store.photoKeys(entry).map((k) => refusedPhotos.get(k)).find(Boolean);
    if (bad) await store.putEntry({...entry, status: 'refused', reason: bad});
    else ready.push(entry);
  }
  await sendEntries(device, ready);
  return {sent: ready.length};
}

/** Send what waits, once at a time across the page and the worker. Never throws for a
 * lost connection: the entries simply wait for the next chance. */
export async function syncQueue() {
  const run = async () => {
    try {
      const result = await sendAll();
      await refreshSnapshot();
      tell({type: 'synced', ...result});
      return result;
    } catch (error) {
      tell({type: 'sync-failed', message: String(error && error.message)});
      return {error};
    }
  };
  if (self.navigator && navigator.locks) return navigator.locks.request('field-sync', run);
  return run();
}

/** The producer's areas, open batches and the diary rules, kept for offline use. */
export async function refreshSnapshot() {
  const device = await store.getMeta('device');
  if (!device || !device.token || device.refused) return null;
  const {status, body} = await call(device, '/field/api/snapshot');
  if (status !== 200) return null;
  await store.setMeta('snapshot', {...body, fetched_at: new Date().toISOString()});
  return body;
}
