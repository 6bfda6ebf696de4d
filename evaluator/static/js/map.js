// Points on a map (Leaflet, vendored): the sample map of an evaluation and the map of a
// programme's units, one code. The page gives a box (#sample-map: data-tiles, data-attribution)
// and a JSON island (#map-points) of points: lat, lon, url, title, subtitle, lines (text lines),
// alert (a warning line), kind (its colours: --map-<kind> and --map-<kind>-line in the page's
// CSS, so the legend and the markers share one definition), area (a name: without tiles, each
// area is named at the centre of its points; above it with data-markers="large", the units'
// map, whose few markers a name must not hide). Markers are circles on a canvas (thousands
// stay fast), drawn in the given order (the last on top).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("sample-map");
  if (!box || !window.L) return;
  const points = JSON.parse(document.getElementById("map-points").textContent);
  const map = L.map(box, { preferCanvas: true, zoomSnap: 0.5 });
  box.leafletMap = map;  // for the browser tests (and the console): where a marker is drawn
  const tiles = box.dataset.tiles;
  if (tiles) {
    L.tileLayer(tiles, { attribution: box.dataset.attribution || "", subdomains: "01234567", maxZoom: 18 }).addTo(map);
  }
  const css = getComputedStyle(box);
  const colour = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const large = box.dataset.markers === "large";
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const bounds = [];
  points.forEach((p) => {
    const strong = Boolean(p.alert);
    const marker = L.circleMarker([p.lat, p.lon], {
      radius: (large ? 9 : 5) + (strong ? 2 : 0), weight: large || strong ? 2 : 1,
      color: colour(`--map-${p.kind}-line`, "#0b4f8a"), fillColor: colour(`--map-${p.kind}`, "#0072b2"),
      fillOpacity: large || strong ? 0.9 : 0.6,
    });
    marker.bindPopup(`<a href="${esc(p.url)}"><b>${esc(p.title)}</b></a>` + (p.subtitle ? ` · ${esc(p.subtitle)}` : "") +
      (p.lines || []).map((line) => `<br>${esc(line)}`).join("") +
      (strong ? `<br><span class="flag">${esc(p.alert)}</span>` : ""));
    marker.addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  if (!tiles) {
    // the names go under the markers (a pane below the canvas), so no name hides a point
    map.createPane("areas").style.zIndex = 350;
    const areas = new Map();
    points.forEach((p) => {
      const t = areas.get(p.area) || { lat: 0, lon: 0, n: 0 };
      t.lat += p.lat; t.lon += p.lon; t.n += 1; areas.set(p.area, t);
    });
    areas.forEach((t, name) => {
      if (!name) return;
      L.marker([t.lat / t.n, t.lon / t.n], {
        interactive: false, keyboard: false, pane: "areas",
        icon: L.divIcon({ className: "town-label", html: `<span>${esc(name)}</span>`, iconSize: null }),
      }).addTo(map);
    });
  }
  // room for the area names beside the outermost markers
  if (bounds.length) map.fitBounds(bounds, { padding: large ? [72, 48] : [24, 24], maxZoom: 16 });
  else map.setView([35.9, 104.0], 5);
});
