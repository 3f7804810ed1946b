// "Đi bộ quanh lô" (walk the boundary): the phone's fixes, filtered, thinned and
// smoothed as the server does it (gis/walk.py: same constants, same order), closed into
// a ring and measured as the walk goes. The server repeats all of it on the raw fixes;
// these figures are for the person walking.
const R = 6371008.8;   // mean Earth radius, m
const rad = (d) => d * Math.PI / 180;
export const THIN_M = 2;
export const SMOOTH_MIN = 5;
export const MIN_POINTS = 4;

/** Step 1: the fixes within the accuracy limit and on the globe. */
export function goodFixes(fixes, limitM) {
  return fixes.filter((f) => Number.isFinite(f.accuracy) && f.accuracy >= 0 && f.accuracy <= limitM
    && Math.abs(f.lon) <= 180 && Math.abs(f.lat) <= 90);
}

/** Metres east and north of the walk's mean position (equirectangular), and back. */
function plane(fixes) {
  const lon0 = fixes.reduce((s, f) => s + f.lon, 0) / fixes.length;
  const lat0 = fixes.reduce((s, f) => s + f.lat, 0) / fixes.length;
  const k = Math.PI / 180 * R, cos = Math.cos(rad(lat0));
  return {xy: (f) => [(f.lon - lon0) * k * cos, (f.lat - lat0) * k],
          lonlat: ([x, y]) => [lon0 + x / (k * cos), lat0 + y / k]};
}

/** Step 2: drop points closer than THIN_M to the last one kept, and a tail that has
 * come back onto the first point. */
export function thin(points, stepM = THIN_M) {
  const kept = [];
  for (const p of points) {
    const last = kept[kept.length - 1];
    if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= stepM) kept.push(p);
  }
  while (kept.length > 1 && Math.hypot(kept[kept.length - 1][0] - kept[0][0],
                                       kept[kept.length - 1][1] - kept[0][1]) < stepM) kept.pop();
  return kept;
}

/** Step 3: each point the mean of itself and its two neighbours around the ring. */
export function smooth(points) {
  const n = points.length;
  if (n < SMOOTH_MIN) return points.slice();
  return points.map((p, i) => {
    const a = points[(i - 1 + n) % n], c = points[(i + 1) % n];
    return [(a[0] + p[0] + c[0]) / 3, (a[1] + p[1] + c[1]) / 3];
  });
}

/** Step 4: the ring as [lon, lat] pairs, its first point repeated at the end. */
export function ring(fixes, stepM = THIN_M) {
  if (!fixes.length) return [];
  const local = plane(fixes);
  const points = smooth(thin(fixes.map(local.xy), stepM)).map(local.lonlat);
  if (points.length) points.push(points[0]);
  return points;
}

// WGS84, for measuring: over a plot, a plane scaled by the ellipsoid's radii of
// curvature at the plot gives the geodesic area and perimeter to well under 0.1 %.
const A = 6378137, E2 = 0.00669437999014;

function ellipsoidPlane(points) {
  const lon0 = points[0][0], lat0 = points[0][1], phi = rad(lat0);
  const w = 1 - E2 * Math.sin(phi) ** 2;
  const n = A / Math.sqrt(w), m = A * (1 - E2) / w ** 1.5;
  return (p) => [rad(p[0] - lon0) * n * Math.cos(phi), rad(p[1] - lat0) * m];
}

export function perimeterM(points) {
  if (points.length < 2) return 0;
  const xy = points.map(ellipsoidPlane(points));
  let total = 0;
  for (let i = 1; i < xy.length; i++) total += Math.hypot(xy[i][0] - xy[i - 1][0], xy[i][1] - xy[i - 1][1]);
  return total;
}

/** The area of a closed ring of [lon, lat] pairs, in m². */
export function areaM2(points) {
  if (points.length < 4) return 0;
  const xy = points.map(ellipsoidPlane(points));
  let sum = 0;
  for (let i = 1; i < xy.length; i++) sum += xy[i - 1][0] * xy[i][1] - xy[i][0] * xy[i - 1][1];
  return Math.abs(sum / 2);
}

/** What the walk so far amounts to; `enough` says whether the server can close it. */
export function measure(fixes, limitM, fewest = MIN_POINTS) {
  const good = goodFixes(fixes, limitM);
  const points = ring(good);
  const corners = Math.max(points.length - 1, 0);
  return {good: good.length, dropped: fixes.length - good.length, corners, points,
          enough: good.length >= fewest && corners >= fewest,
          areaM2: corners >= 3 ? areaM2(points) : 0, perimeterM: corners >= 2 ? perimeterM(points) : 0};
}

/** Watch the position with high accuracy; `onFix` gets each fix, `onError` a code. */
export function watch(onFix, onError) {
  if (!navigator.geolocation) { onError('unavailable'); return () => {}; }
  const id = navigator.geolocation.watchPosition(
    (p) => onFix({lon: p.coords.longitude, lat: p.coords.latitude,
                  accuracy: p.coords.accuracy, t: p.timestamp}),
    (e) => onError(e.code === 1 ? 'denied' : 'unavailable'),
    {enableHighAccuracy: true, maximumAge: 0, timeout: 30000});
  return () => navigator.geolocation.clearWatch(id);
}

/** An SVG outline of the ring, scaled to a box of `size` px. */
export function sketch(points, size) {
  if (points.length < 2) return '';
  const lat0 = rad(points[0][1]);
  const xy = points.map(([lon, lat]) => [lon * Math.cos(lat0), -lat]);
  const xs = xy.map((p) => p[0]), ys = xy.map((p) => p[1]);
  const x0 = Math.min(...xs), y0 = Math.min(...ys);
  const span = Math.max(Math.max(...xs) - x0, Math.max(...ys) - y0) || 1;
  const k = (size - 8) / span;
  return xy.map(([x, y]) => `${((x - x0) * k + 4).toFixed(1)},${((y - y0) * k + 4).toFixed(1)}`).join(' ');
}
