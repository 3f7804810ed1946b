// The screens that show and make entries: home (areas, batches, the queue), a diary
// entry, a harvest, a marked point, and fixing a refused entry.
import * as store from './db.js';
import {fieldInput, readForm} from './forms.js';
import {shrink} from './photo.js';
import {el, label, localIso, number, t, today} from './ui.js';
import {requestSync, save, show, signOut, toast, route} from './app.js';

const UNITS = ['KGM', 'TNE'];   // until the phone has the server's rules
const KIND_WORDS = {diary: 'kind_diary', harvest: 'kind_harvest', boundary: 'kind_boundary', point: 'kind_point'};

function stepOf(snapshot, name) {
  return ((snapshot.rules || {}).steps || []).find((s) => s.step === name);
}

function summary(entry, snapshot) {
  const p = entry.payload || {};
  if (entry.kind === 'diary') {
    const step = stepOf(snapshot, p.step);
    return [step ? label(step.label) : p.step, entry.shown || subjectName(snapshot, p)]
      .filter(Boolean).join(' — ');
  }
  if (entry.kind === 'harvest') {
    const unit = ruleOf(((snapshot.rules || {}).harvest || {}).fields, 'unit', {});
    return `${p.lot_code || ''} ${number(p.quantity, 1)} ${label((unit.labels || {})[p.unit] || p.unit)}`.trim();
  }
  if (entry.kind === 'boundary') return `${p.name} (${p.fixes.length} ${t('fixes')})`;
  return `${t('point_' + p.kind)} ${p.note || ''}`.trim();
}

function subjectName(snapshot, p) {
  if (p.area_id) {
    const area = (snapshot.areas || []).find((a) => a.id === p.area_id);
    return area ? area.code || area.name : `#${p.area_id}`;
  }
  const batch = (snapshot.batches || []).find((b) => b.id === p.batch_id);
  return batch ? batch.lot_code : p.batch_id ? `#${p.batch_id}` : '';
}

function queueItem(entry, snapshot) {
  const reason = entry.reason ? label(entry.reason) : null;
  const changed = entry.changed ? label(entry.changed) : null;
  return el('li', {class: `entry ${entry.status}`, 'data-key': entry.key, 'data-kind': entry.kind},
    el('b', {}, t(KIND_WORDS[entry.kind] || entry.kind)), ' ', summary(entry, snapshot),
    el('span', {class: 'state'}, t(`state_${entry.status}`)),
    // A conflict's reason already says what changed: it is shown once, under the label.
    changed ? el('p', {class: 'reason changed'}, t('changed_on_server'), ' ', changed)
      : reason ? el('p', {class: 'reason'}, reason) : null,
    (entry.held || []).map((h) => el('p', {class: 'hold'}, t('put_on_hold', {lot: h.lot_code}), ' ', label(h.reason))),
    entry.status === 'refused' ? el('p', {class: 'actions'},
      el('a', {class: 'button', href: `#/fix/${entry.seq}`}, t('fix')),
      el('button', {type: 'button', class: 'discard', onclick: async () => {
        if (!confirm(t('discard_confirm'))) return;
        await store.dropEntry(entry.seq);
        route();
      }}, t('discard'))) : null);
}

export async function home({device, snapshot}) {
  const all = (await store.entries()).sort((a, b) => b.seq - a.seq);
  const open = all.filter((e) => e.status !== 'sent');
  const sent = all.filter((e) => e.status === 'sent').slice(0, 20);
  const refused = device.refused;
  show(
    refused ? el('div', {class: 'banner refused', role: 'alert', id: 'device-refused'},
      el('p', {}, label(refused) || t('device_refused')),
      el('button', {type: 'button', onclick: signOut}, t('sign_in_again'))) : null,
    el('nav', {class: 'actions-grid'},
      el('a', {class: 'button', href: '#/diary', id: 'go-diary'}, t('new_diary')),
      el('a', {class: 'button', href: '#/harvest', id: 'go-harvest'}, t('new_harvest')),
      el('a', {class: 'button', href: '#/walk', id: 'go-walk'}, t('walk')),
      el('a', {class: 'button', href: '#/point', id: 'go-point'}, t('mark_point'))),
    el('section', {id: 'queue'}, el('h2', {}, t('queue')),
      open.length ? el('ul', {class: 'entries'}, open.map((e) => queueItem(e, snapshot)))
        : el('p', {class: 'muted'}, t('queue_empty')),
      el('button', {type: 'button', id: 'send-now', onclick: () => requestSync().then(route)}, t('send_now'))),
    el('section', {id: 'areas'}, el('h2', {}, t('areas')), el('ul', {class: 'plain'},
      (snapshot.areas || []).map((a) => el('li', {}, el('b', {}, a.code || t('no_code')), ' ',
        a.name, ' · ', a.crop, ' ', el('span', {class: `badge ${a.status}`}, a.status))))),
    el('section', {id: 'batches'}, el('h2', {}, t('open_batches')), el('ul', {class: 'plain'},
      (snapshot.batches || []).map((b) => el('li', {}, el('b', {}, b.lot_code), ' ', b.product || '',
        b.hold_reason ? el('p', {class: 'hold'}, t('on_hold'), ' ', label(b.hold_reason)) : null)))),
    sent.length ? el('section', {id: 'sent'}, el('h2', {}, t('sent')),
      el('ul', {class: 'entries'}, sent.map((e) => queueItem(e, snapshot)))) : null,
    el('p', {class: 'muted'}, t('signed_in_as', {name: (device.user || {}).name || '',
      org: (device.user || {}).organization || '', phone: device.name || ''}), ' ',
      el('button', {type: 'button', class: 'link', onclick: () => confirm(t('sign_out_confirm')) && signOut()},
        t('sign_out'))),
  );
}

function subjectSelect(snapshot, needs, payload) {
  const wantAreas = !needs || needs.includes('area'), wantBatches = !needs || needs.includes('batch');
  const chosen = payload.area_id ? `area:${payload.area_id}` : payload.batch_id ? `batch:${payload.batch_id}` : '';
  const option = (value, text) => el('option', {value, selected: value === chosen}, text);
  return el('p', {class: 'field'}, el('label', {for: 'subject'}, t('subject'), ' *'),
    el('select', {id: 'subject', name: 'subject', required: true}, option('', '—'),
      wantAreas ? el('optgroup', {label: t('areas')}, (snapshot.areas || []).map((a) =>
        option(`area:${a.id}`, `${a.code || t('no_code')} ${a.name}`))) : null,
      wantBatches ? el('optgroup', {label: t('open_batches')}, (snapshot.batches || []).map((b) =>
        option(`batch:${b.id}`, b.lot_code))) : null),
    el('span', {class: 'error', id: 'subject-error', role: 'alert'}));
}

function photoInput(maxPx, photos) {
  const previews = el('span', {class: 'previews'});
  const input = el('input', {id: 'photo', name: 'photo', type: 'file', accept: 'image/*',
                             capture: 'environment'});
  input.addEventListener('change', async () => {
    for (const file of input.files) {
      try {
        const shrunk = await shrink(file, maxPx);
        photos.push({key: crypto.randomUUID(), blob: shrunk.blob, width: shrunk.width,
                     height: shrunk.height, thumb: shrunk.thumb});
        previews.append(el('img', {src: shrunk.thumb, alt: t('photo'), class: 'thumb'}));
      } catch (e) {
        toast(t('not_a_photo', {name: file.name}), 'error');
      }
    }
    input.value = '';
  });
  return el('p', {class: 'field'}, el('label', {for: 'photo', class: 'button'}, t('take_photo')), input, previews);
}

export function diary({snapshot, arg}, initial = null, replacing = null) {
  const steps = (snapshot.rules || {}).steps || [];
  const payload = (initial && initial.payload) || {};
  const chosen = payload.step || arg;
  const step = steps.find((s) => s.step === chosen);
  if (!step) {
    return show(el('h1', {}, t('new_diary')), el('p', {}, t('pick_step')),
      el('nav', {class: 'steps'}, steps.map((s) =>
        el('a', {class: 'button', href: `#/diary/${s.step}`, 'data-step': s.step}, label(s.label)))),
      steps.length ? null : el('p', {class: 'error'}, t('no_rules')));
  }
  const photos = [];
  const maxPx = (snapshot.limits || {}).photo_max_px || 1600;
  const when = payload.event_time ? payload.event_time.slice(0, 16) : localIso().slice(0, 16);
  const form = el('form', {id: 'entry-form', novalidate: true},
    el('h1', {}, label(step.label)),
    subjectSelect(snapshot, step.needs, payload),
    el('p', {class: 'field'}, el('label', {for: 'event-time'}, t('when')),
      el('input', {id: 'event-time', name: 'event_time', type: 'datetime-local', value: when, required: true})),
    step.fields.map((f) => fieldInput(f, (payload.details || {})[f.name])),
    photoInput(maxPx, photos),
    el('button', {type: 'submit', class: 'primary'}, t('save')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const subject = form.elements.subject.value;
    form.querySelector('#subject-error').textContent = subject ? '' : t('required', {field: t('subject')});
    const read = readForm(form, step.fields);
    if (!subject || read.errors) return;
    const [kind, id] = subject.split(':');
    const at = new Date(form.elements.event_time.value);
    const body = {step: step.step, event_time: localIso(at), [`${kind}_id`]: Number(id),
                  details: read.values, photo_keys: [...(payload.photo_keys || []), ...photos.map((p) => p.key)]};
    const shown = form.elements.subject.selectedOptions[0].textContent;
    await save('diary', body, photos, replacing, shown);
  });
  show(form);
}

function ruleOf(fields, name, fallback) {
  return (fields || []).find((f) => f.name === name) || fallback;
}

export function harvest({snapshot}, initial = null, replacing = null) {
  const p = (initial && initial.payload) || {};
  const rules = ((snapshot.rules || {}).harvest || {}).fields;
  const quantityRule = ruleOf(rules, 'quantity', {name: 'quantity', type: 'number', required: true,
                                                  min: 0, min_inclusive: false});
  const lotRule = ruleOf(rules, 'lot_code', {name: 'lot_code', type: 'text', max_length: 20});
  const unitRule = ruleOf(rules, 'unit', {name: 'unit', type: 'text', choices: UNITS, default: 'KGM'});
  const areaIds = new Set(p.area_ids || []);
  const form = el('form', {id: 'harvest-form', novalidate: true},
    el('h1', {}, t('new_harvest')),
    el('fieldset', {}, el('legend', {}, t('areas'), ' *'),
      (snapshot.areas || []).map((a) => el('label', {class: 'check'},
        el('input', {type: 'checkbox', name: 'area_ids', value: a.id, checked: areaIds.has(a.id)}),
        ` ${a.code || t('no_code')} ${a.name}`))),
    el('p', {class: 'field'}, el('label', {for: 'product'}, t('product'), ' *'),
      el('select', {id: 'product', name: 'product_id', required: true}, el('option', {value: ''}, '—'),
        (snapshot.products || []).map((x) => el('option', {value: x.id, selected: x.id === p.product_id}, label(x.name))))),
    fieldInput({...lotRule, label: null, name: 'lot_code', hint: null}, p.lot_code),
    fieldInput(quantityRule, p.quantity),
    fieldInput(unitRule, p.unit),
    el('p', {class: 'field'}, el('label', {for: 'harvest-date'}, t('harvest_date'), ' *'),
      el('input', {id: 'harvest-date', name: 'harvest_date', type: 'date', value: p.harvest_date || today(), required: true})),
    el('p', {class: 'error', id: 'harvest-error', role: 'alert'}),
    el('button', {type: 'submit', class: 'primary'}, t('save')));
  const lotLabel = form.querySelector('label[for=f-lot_code]');
  lotLabel.textContent = t('lot_code');
  lotLabel.after(el('small', {}, t('lot_code_hint')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const areas = [...form.querySelectorAll('[name=area_ids]:checked')].map((i) => Number(i.value));
    const read = readForm(form, [lotRule, quantityRule, unitRule]);
    const problems = [
      !areas.length && t('pick_area'), !form.elements.product_id.value && t('required', {field: t('product')}),
      !form.elements.harvest_date.value && t('required', {field: t('harvest_date')}),
    ].filter(Boolean);
    form.querySelector('#harvest-error').textContent = problems.join(' ');
    if (problems.length || read.errors) return;
    const body = {area_ids: areas, product_id: Number(form.elements.product_id.value),
                  harvest_date: form.elements.harvest_date.value, unit: 'KGM', ...read.values};
    await save('harvest', body, [], replacing);
  });
  show(form);
}

export function point({snapshot}, initial = null, replacing = null) {
  const p = {...((initial && initial.payload) || {})};
  const where = el('output', {id: 'position'}, p.lat ? `${p.lat.toFixed(6)}, ${p.lon.toFixed(6)} (±${number(p.accuracy)} m)` : '');
  const form = el('form', {id: 'point-form', novalidate: true},
    el('h1', {}, t('mark_point')),
    el('p', {class: 'field'}, el('label', {for: 'point-kind'}, t('point_kind')),
      el('select', {id: 'point-kind', name: 'kind'}, ['observation', 'packing_house'].map((k) =>
        el('option', {value: k, selected: p.kind === k}, t('point_' + k))))),
    el('p', {class: 'field'}, el('label', {for: 'point-name'}, t('point_name')),
      el('input', {id: 'point-name', name: 'name', value: p.name || '', maxlength: 200})),
    el('p', {}, el('button', {type: 'button', id: 'locate', onclick: () => {
      where.textContent = t('locating');
      navigator.geolocation.getCurrentPosition((pos) => {
        Object.assign(p, {lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy});
        where.textContent = `${p.lat.toFixed(6)}, ${p.lon.toFixed(6)} (±${number(p.accuracy)} m)`;
      }, () => { where.textContent = t('no_position'); }, {enableHighAccuracy: true, timeout: 30000, maximumAge: 0});
    }}, t('here')), ' ', where),
    el('p', {class: 'field'}, el('label', {for: 'note'}, t('note')),
      el('textarea', {id: 'note', name: 'note', maxlength: 500}, p.note || '')),
    el('p', {class: 'error', id: 'point-error', role: 'alert'}),
    el('button', {type: 'submit', class: 'primary'}, t('save')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const limit = (snapshot.limits || {}).fix_accuracy_m || 10;
    const error = form.querySelector('#point-error');
    if (p.lat == null) { error.textContent = t('no_position'); return; }
    if (p.accuracy > limit) { error.textContent = t('too_inaccurate', {n: limit}); return; }
    await save('point', {kind: form.elements.kind.value, lon: p.lon, lat: p.lat,
                         accuracy: p.accuracy, note: form.elements.note.value.trim(),
                         name: form.elements.name.value.trim() || null}, [], replacing);
  });
  show(form);
}

/** A refused entry opened in its own form; saving it queues it again under a new key. */
export async function fix(context) {
  const entry = (await store.entries()).find((e) => String(e.seq) === context.arg);
  if (!entry) { location.hash = '#/'; return; }
  const forms = {diary, harvest, point};
  if (forms[entry.kind]) return forms[entry.kind](context, entry, entry.seq);
  const {walkScreen} = await import('./walk-screen.js');
  return walkScreen(context, entry, entry.seq);
}
