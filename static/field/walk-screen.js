// "Đi bộ quanh lô": record the fixes while the person walks the plot, show the area and
// perimeter as the walk goes, and keep the walk as a draft on the phone after each fix,
// so that a reload or a flat battery loses nothing.
import * as store from './db.js';
import {measure, sketch, watch} from './walk.js';
import {el, number, t} from './ui.js';
import {save, show} from './app.js';

let stopWatching = null;

export async function walkScreen({snapshot}, initial = null, replacing = null) {
  if (stopWatching) { stopWatching(); stopWatching = null; }
  const limits = snapshot.limits || {};
  const limitM = limits.fix_accuracy_m || 10;
  const fewest = limits.walk_min_points || 4;
  const draft = (initial && {...initial.payload}) || await store.getMeta('walk')
    || {name: '', crop: '', fixes: []};
  const stats = el('dl', {class: 'stats', id: 'walk-stats'});
  const drawing = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  drawing.setAttribute('viewBox', '0 0 200 200');
  drawing.setAttribute('class', 'sketch');
  const polygon = document.createElementNS('http://www.w3.org/2000/svg', 'polygon');
  drawing.append(polygon);
  const error = el('p', {class: 'error', id: 'walk-error', role: 'alert'});

  const render = () => {
    const m = measure(draft.fixes, limitM, fewest);
    polygon.setAttribute('points', sketch(m.points, 200));
    stats.replaceChildren(
      el('dt', {}, t('good_fixes')), el('dd', {id: 'good-fixes'}, m.good),
      el('dt', {}, t('dropped_fixes', {n: limitM})), el('dd', {id: 'dropped-fixes'}, m.dropped),
      el('dt', {}, t('area')), el('dd', {id: 'walk-area'}, `${number(m.areaM2 / 10000, 3)} ha`),
      el('dt', {}, t('perimeter')), el('dd', {id: 'walk-perimeter'}, `${number(m.perimeterM)} m`));
    return m;
  };
  const keep = () => (initial ? null : store.setMeta('walk', draft));
  const start = el('button', {type: 'button', id: 'walk-start', class: 'primary'}, t('walk_start'));
  const stop = el('button', {type: 'button', id: 'walk-stop', hidden: true}, t('walk_stop'));
  start.addEventListener('click', () => {
    error.textContent = '';
    stopWatching = watch((fix) => { draft.fixes.push(fix); render(); keep(); },
                         (code) => { error.textContent = t(`gps_${code}`); });
    start.hidden = true; stop.hidden = false;
  });
  stop.addEventListener('click', () => {
    if (stopWatching) stopWatching();
    stopWatching = null;
    start.hidden = false; stop.hidden = true;
    start.textContent = t('walk_continue');
  });
  const form = el('form', {id: 'walk-form', novalidate: true},
    el('h1', {}, t('walk')), el('p', {class: 'muted'}, t('walk_intro', {n: limitM})),
    el('p', {class: 'field'}, el('label', {for: 'walk-name'}, t('area_name'), ' *'),
      el('input', {id: 'walk-name', name: 'name', value: draft.name, required: true, maxlength: 200,
                   oninput: (e) => { draft.name = e.target.value; keep(); }})),
    el('p', {class: 'field'}, el('label', {for: 'walk-crop'}, t('crop'), ' *'),
      el('input', {id: 'walk-crop', name: 'crop', value: draft.crop, required: true, maxlength: 100,
                   oninput: (e) => { draft.crop = e.target.value; keep(); }})),
    el('p', {class: 'walk-buttons'}, start, stop,
      el('button', {type: 'button', id: 'walk-clear', onclick: () => {
        if (draft.fixes.length && !confirm(t('walk_clear_confirm'))) return;
        draft.fixes = []; render(); keep();
      }}, t('walk_clear'))),
    stats, drawing, error,
    el('button', {type: 'submit', class: 'primary', id: 'walk-save'}, t('walk_save')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const m = render();  // the same count as the screen shows
    const problems = [!draft.name.trim() && t('required', {field: t('area_name')}),
      !draft.crop.trim() && t('required', {field: t('crop')}),
      !m.enough && t('too_few_fixes', {n: fewest, good: m.good, limit: limitM})].filter(Boolean);
    error.textContent = problems.join(' ');
    if (problems.length) return;
    if (stopWatching) { stopWatching(); stopWatching = null; }
    await save('boundary', {name: draft.name.trim(), crop: draft.crop.trim(), fixes: draft.fixes,
                            accuracy_limit_m: limitM}, [], replacing);
    if (!initial) await store.setMeta('walk', undefined);
  });
  window.addEventListener('hashchange', () => { if (stopWatching) { stopWatching(); stopWatching = null; } },
                          {once: true});
  render();
  show(form);
}
