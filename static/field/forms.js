// The diary's forms, made from the rules the server sends (the same source as its own
// checks): each field's type, whether it is required, its limits and choices. The
// server checks everything again when the entry arrives.
import {el, t, label} from './ui.js';

const NUMERIC = new Set(['integer', 'number', 'float', 'decimal']);

export function fieldInput(field, value) {
  const id = `f-${field.name}`;
  let input;
  if (field.choices && field.choices.length) {
    input = el('select', {id, name: field.name},
      el('option', {value: ''}, '—'),
      ...field.choices.map((code) => el('option', {value: code,
        selected: String(code) === String(value ?? field.default ?? '')},
        label((field.labels || {})[code] || code))));
  } else if (field.type === 'boolean') {
    input = el('input', {id, name: field.name, type: 'checkbox', checked: !!value});
  } else if (field.type === 'date') {
    input = el('input', {id, name: field.name, type: 'date', value: value ?? ''});
  } else {
    const numeric = NUMERIC.has(field.type);
    input = el(field.max_length > 200 ? 'textarea' : 'input', {id, name: field.name,
      type: 'text', value: value ?? '',
      inputmode: numeric ? (field.type === 'integer' ? 'numeric' : 'decimal') : null,
      maxlength: field.max_length || null});
  }
  input.required = !!field.required;
  return el('p', {class: 'field'},
    el('label', {for: id}, label(field.label || field.name), field.required ? ' *' : ''),
    input,
    field.hint ? el('small', {}, label(field.hint)) : null,
    el('span', {class: 'error', id: `${id}-error`, role: 'alert'}));
}

/** A number typed the Vietnamese way (12,5) or the English way (12.5). */
export function parseNumber(text) {
  const clean = String(text).trim().replace(/\s/g, '');
  if (!/^-?\d+([.,]\d+)?$/.test(clean)) return NaN;
  return Number(clean.replace(',', '.'));
}

/** One field's value, or the sentence saying what is wrong with it. */
export function check(field, raw) {
  const name = label(field.label || field.name);
  if (field.type === 'boolean') return {value: !!raw};
  const text = raw == null ? '' : String(raw).trim();
  if (!text) {
    return field.required ? {error: t('required', {field: name})} : {value: undefined};
  }
  if (field.choices && field.choices.length) {
    if (!field.choices.map(String).includes(text)) return {error: t('not_a_choice', {field: name})};
    return {value: text};
  }
  if (NUMERIC.has(field.type)) {
    const n = parseNumber(text);
    if (Number.isNaN(n) || (field.type === 'integer' && !Number.isInteger(n))) {
      return {error: t(field.type === 'integer' ? 'whole_number' : 'number', {field: name})};
    }
    const above = field.min_inclusive === false ? n <= field.min : n < field.min;
    if (field.min != null && above) return {error: t('too_small', {field: name, min: field.min})};
    const below = field.max_inclusive === false ? n >= field.max : n > field.max;
    if (field.max != null && below) return {error: t('too_large', {field: name, max: field.max})};
    return {value: n};
  }
  if (field.max_length && text.length > field.max_length) {
    return {error: t('too_long', {field: name, n: field.max_length})};
  }
  if (field.min_length && text.length < field.min_length) {
    return {error: t('too_short', {field: name, n: field.min_length})};
  }
  if (field.pattern && !matches(field.pattern, text)) return {error: t('pattern', {field: name})};
  return {value: text};
}

/** A server pattern that JavaScript cannot read is left to the server. */
function matches(pattern, text) {
  try { return new RegExp(`^(?:${pattern})$`, 'u').test(text); } catch (e) { return true; }
}

/** Every field of `form` checked against `fields`: {values} or {errors}; each error is
 * also shown under its field. */
export function readForm(form, fields) {
  const values = {}, errors = {};
  for (const field of fields) {
    const input = form.elements[field.name];
    const raw = input ? (input.type === 'checkbox' ? input.checked : input.value) : '';
    const {value, error} = check(field, raw);
    const slot = form.querySelector(`#f-${field.name}-error`);
    if (slot) slot.textContent = error || '';
    if (input && input.setAttribute) input.setAttribute('aria-invalid', error ? 'true' : 'false');
    if (error) errors[field.name] = error;
    else if (value !== undefined) values[field.name] = value;
  }
  return Object.keys(errors).length ? {errors} : {values};
}
