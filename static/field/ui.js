// Small helpers for the screens: elements, the words of the chosen language (both
// languages come with the page, so switching works offline), numbers and dates.
const WORDS = JSON.parse(document.getElementById('words').textContent);
let lang = localStorage.getItem('field-lang') || document.documentElement.lang || 'vi';
if (!WORDS[lang]) lang = 'vi';

export function language() { return lang; }

export function setLanguage(code) {
  lang = WORDS[code] ? code : 'vi';
  localStorage.setItem('field-lang', lang);
  document.documentElement.lang = lang;
}

/** A sentence of the page's catalogue, with %(name)s filled in. */
export function t(key, values = {}) {
  const text = WORDS[lang][key] ?? WORDS.en[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_m, name) => String(values[name] ?? ''));
}

/** A {vi, en} label from the server, in the chosen language. */
export function label(value) {
  if (value == null) return '';
  if (typeof value === 'string') return value;
  return value[lang] || value.vi || value.en || '';
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name in node && typeof value !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function number(value, digits = 0) {
  return new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB',
    {maximumFractionDigits: digits, minimumFractionDigits: digits}).format(value);
}

/** Now as an ISO time with the phone's offset, e.g. 2026-12-06T07:30:00+07:00. */
export function localIso(date = new Date()) {
  const offset = -date.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${offset >= 0 ? '+' : '-'}${pad(offset / 60)}:${pad(offset % 60)}`;
}

export function today() { return localIso().slice(0, 10); }
