// The phone's own store (IndexedDB): the device token, the last snapshot, the queue of
// entries waiting to be sent, their photos and the walk in progress. Used by the page
// and by the service worker alike, so it touches neither window nor document.
const NAME = 'agritrace-field';
let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore('meta');
        // `seq` keeps the order entries were made in: they are sent in that order.
        const queue = db.createObjectStore('queue', {keyPath: 'seq', autoIncrement: true});
        queue.createIndex('key', 'key', {unique: true});
        db.createObjectStore('photos', {keyPath: 'key'});
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

function done(tx, value) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(value && 'result' in value ? value.result : value);
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

export async function getMeta(name) {
  const tx = (await open()).transaction('meta');
  return done(tx, tx.objectStore('meta').get(name));
}

export async function setMeta(name, value) {
  const tx = (await open()).transaction('meta', 'readwrite');
  if (value === undefined) tx.objectStore('meta').delete(name);
  else tx.objectStore('meta').put(value, name);
  return done(tx);
}

/** Queue an entry, and the photos it names, in one transaction. */
export async function enqueue(entry, photos = []) {
  const tx = (await open()).transaction(['queue', 'photos'], 'readwrite');
  for (const photo of photos) tx.objectStore('photos').put(photo);
  const added = tx.objectStore('queue').add({status: 'waiting', ...entry});
  return done(tx, added);
}

export async function entries() {
  const tx = (await open()).transaction('queue');
  return done(tx, tx.objectStore('queue').getAll());
}

export async function putEntry(entry) {
  const tx = (await open()).transaction('queue', 'readwrite');
  return done(tx, tx.objectStore('queue').put(entry));
}

/** Drop an entry and the photos no other entry names. */
export async function dropEntry(seq) {
  const tx = (await open()).transaction(['queue', 'photos'], 'readwrite');
  const queue = tx.objectStore('queue');
  const all = await new Promise((resolve) => { queue.getAll().onsuccess = (e) => resolve(e.target.result); });
  const gone = all.find((e) => e.seq === seq);
  queue.delete(seq);
  const kept = new Set(all.filter((e) => e.seq !== seq).flatMap(photoKeys));
  for (const key of gone ? photoKeys(gone) : []) {
    if (!kept.has(key)) tx.objectStore('photos').delete(key);
  }
  return done(tx);
}

export function photoKeys(entry) {
  return (entry.payload && entry.payload.photo_keys) || [];
}

export async function getPhoto(key) {
  const tx = (await open()).transaction('photos');
  return done(tx, tx.objectStore('photos').get(key));
}

export async function putPhoto(photo) {
  const tx = (await open()).transaction('photos', 'readwrite');
  return done(tx, tx.objectStore('photos').put(photo));
}
