// The sample on a map (Leaflet, vendored). Points are circle markers on a canvas (thousands stay
// fast); flagged records red and drawn on top. Without a tile URL the base is blank and each
// township is named at the centre of its points.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("sample-map");
  if (!box || !window.L) return;
  const points = JSON.parse(document.getElementById("map-points").textContent);
  const map = L.map(box, { preferCanvas: true, zoomSnap: 0.5 });
  const tiles = box.dataset.tiles;
  if (tiles) {
    L.tileLayer(tiles, { attribution: box.dataset.attribution || "", subdomains: "01234567", maxZoom: 18 }).addTo(map);
  }
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const ordered = points.slice().sort((a, b) => a.flags.length - b.flags.length);
  const bounds = [];
  ordered.forEach((p) => {
    const flagged = p.flags.length > 0;
    const marker = L.circleMarker([p.lat, p.lon], {
      radius: flagged ? 7 : 5, weight: flagged ? 2 : 1, color: flagged ? "#8f1d16" : "#0b4f8a",
      fillColor: flagged ? "#d55e00" : "#0072b2", fillOpacity: flagged ? 0.9 : 0.6,
    });
    marker.bindPopup(`<a href="${esc(p.url)}"><b>${esc(p.household)}</b></a> · ${esc(p.township)}<br>${esc(p.state_label)}` +
      (flagged ? `<br><span class="flag">${p.flag_labels.map(esc).join("、")}</span>` : ""));
    marker.addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  if (!tiles) {
    const towns = new Map();
    points.forEach((p) => {
      const t = towns.get(p.township) || { lat: 0, lon: 0, n: 0 };
      t.lat += p.lat; t.lon += p.lon; t.n += 1; towns.set(p.township, t);
    });
    towns.forEach((t, name) => {
      if (!name) return;
      L.marker([t.lat / t.n, t.lon / t.n], {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "town-label", html: `<span>${esc(name)}</span>`, iconSize: null }),
      }).addTo(map);
    });
  }
  if (bounds.length) map.fitBounds(bounds, { padding: [24, 24] });
  else map.setView([35.9, 104.0], 5);
});
