function gan1dPlayer(root) {
  "use strict";
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const data = JSON.parse(root.querySelector("script.gan1d-data").textContent);
  const bytes = (text) => {
    const raw = atob(text), out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  };
  const steps = (text) => new Uint16Array(bytes(text).buffer);
  const range = data.range;
  const coord = (u, axis) => u === 65535 ? NaN : range[axis][0] + (u / 65534) * (range[axis][1] - range[axis][0]);
  const points = steps(data.points), kinds = bytes(data.kinds);
  const arrows = data.arrows ? steps(data.arrows) : null;
  const verdict = data.heatmap ? bytes(data.heatmap.verdict) : null;
  const mesh = data.manifold ? steps(data.manifold.xy) : null;
  const plane = root.querySelector(".gan1d-plane"), panel = root.querySelector(".gan1d-panel");
  const slider = root.querySelector(".gan1d-frame"), button = root.querySelector(".gan1d-play");
  const epochLabel = root.querySelector(".gan1d-epoch"), outsideLabel = root.querySelector(".gan1d-outside");
  const switches = {};
  root.querySelectorAll("input[data-layer]").forEach((box) => { switches[box.dataset.layer] = box; });
  const on = (name) => Boolean(switches[name] && switches[name].checked);
  const ratio = window.devicePixelRatio || 1;
  const setup = (canvas) => {
    const width = canvas.width, height = canvas.height;
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
    const context = canvas.getContext("2d");
    context.scale(ratio, ratio);
    return {context, width, height};
  };
  const P = setup(plane), Q = setup(panel);
  const box = {left: 52, top: 10, right: P.width - 84, bottom: P.height - 38};
  const [[x0, x1], [y0, y1]] = data.limits;
  const px = (x) => box.left + (x - x0) / (x1 - x0) * (box.right - box.left);
  const py = (y) => box.bottom - (y - y0) / (y1 - y0) * (box.bottom - box.top);
  const font = (size, weight) => (weight || "") + " " + size + "px system-ui, sans-serif";
  const lut = data.colors.verdict.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  let cells = null, cellImage = null;
  if (data.heatmap) {
    cells = document.createElement("canvas");
    cells.width = cells.height = data.heatmap.cells;
    cellImage = cells.getContext("2d").createImageData(cells.width, cells.height);
  }

  function polyline(context, xy) {
    let open = false;
    for (const [x, y] of xy) {
      if (x === null || y === null) { open = false; continue; }
      if (open) context.lineTo(px(x), py(y)); else { context.moveTo(px(x), py(y)); open = true; }
    }
  }

  function drawHeatmap(c, frame) {
    const n = data.heatmap.cells, offset = frame * n * n, pixels = cellImage.data;
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const color = lut[verdict[offset + row * n + col]], at = ((n - 1 - row) * n + col) * 4;
        pixels[at] = color[0]; pixels[at + 1] = color[1]; pixels[at + 2] = color[2]; pixels[at + 3] = 255;
      }
    }
    cells.getContext("2d").putImageData(cellImage, 0, 0);
    const [[a0, a1], [b0, b1]] = data.heatmap.plane;
    c.imageSmoothingEnabled = true;
    c.drawImage(cells, px(a0), py(b1), px(a1) - px(a0), py(b0) - py(b1));
    c.strokeStyle = "#333"; c.lineWidth = 1.2; c.setLineDash([5, 4]);
    c.beginPath();
    for (const line of data.heatmap.boundary[frame]) polyline(c, line);
    c.stroke(); c.setLineDash([]);
  }

  function drawColorbar(c) {
    const left = box.right + 12, width = 12, top = box.top, bottom = box.bottom;
    const gradient = c.createLinearGradient(0, bottom, 0, top);
    data.colors.verdict.forEach((hex, i) => gradient.addColorStop(i / 255, hex));
    c.fillStyle = gradient; c.fillRect(left, top, width, bottom - top);
    c.strokeStyle = "#444"; c.lineWidth = 1; c.strokeRect(left, top, width, bottom - top);
    c.fillStyle = "#222"; c.font = font(12); c.textAlign = "left"; c.textBaseline = "middle";
    c.fillText("real", left + width + 4, top + 6); c.fillText("0.5", left + width + 4, (top + bottom) / 2);
    c.fillText("fake", left + width + 4, bottom - 6);
    c.save(); c.translate(left + width + 44, (top + bottom) / 2); c.rotate(-Math.PI / 2);
    c.textAlign = "center"; c.fillText(data.labels.verdict, 0, 0); c.restore();
  }

  function marker(c, x, y, kind) {
    const r = 6;
    c.beginPath();
    if (kind === 1) { c.moveTo(x - r, y); c.lineTo(x + r * 0.6, y - r * 0.8); c.lineTo(x + r * 0.6, y + r * 0.8); }
    else if (kind === 2) { c.moveTo(x + r, y); c.lineTo(x - r * 0.6, y - r * 0.8); c.lineTo(x - r * 0.6, y + r * 0.8); }
    else if (kind === 3) { c.moveTo(x, y + r); c.lineTo(x - r * 0.8, y - r * 0.6); c.lineTo(x + r * 0.8, y - r * 0.6); }
    else { c.moveTo(x, y - r); c.lineTo(x - r * 0.8, y + r * 0.6); c.lineTo(x + r * 0.8, y + r * 0.6); }
    c.closePath(); c.fill(); c.stroke();
  }

  function drawPlane(frame) {
    const c = P.context;
    c.clearRect(0, 0, P.width, P.height);
    c.fillStyle = "#fff"; c.fillRect(0, 0, P.width, P.height);
    c.save();
    c.beginPath(); c.rect(box.left, box.top, box.right - box.left, box.bottom - box.top); c.clip();
    if (on("heatmap")) drawHeatmap(c, frame);
    if (on("manifold")) {
      const lines = data.manifold.lines, samples = data.manifold.samples, base = frame * lines * samples * 2;
      c.strokeStyle = data.colors.manifold; c.lineWidth = 0.9; c.beginPath();
      for (let l = 0; l < lines; l++) {
        const xy = [];
        for (let s = 0; s < samples; s++) {
          const at = base + (l * samples + s) * 2, x = coord(mesh[at], 0), y = coord(mesh[at + 1], 1);
          xy.push(Number.isFinite(x) && Number.isFinite(y) ? [x, y] : [null, null]);
        }
        polyline(c, xy);
      }
      c.stroke();
    }
    if (data.curve) { c.strokeStyle = data.colors.curve; c.lineWidth = 1.2; c.beginPath(); polyline(c, data.curve); c.stroke(); }
    c.fillStyle = data.colors.real;
    for (const [x, y] of data.real) { c.beginPath(); c.arc(px(x), py(y), 2.6, 0, 2 * Math.PI); c.fill(); }
    const n = data.width, base = frame * n;
    if (on("gradients")) {
      c.strokeStyle = data.colors.push; c.lineWidth = 1.4; c.beginPath();
      for (let i = 0; i < n; i++) {
        const at = (base + i) * 4;
        const ax = coord(arrows[at], 0), ay = coord(arrows[at + 1], 1), bx = coord(arrows[at + 2], 0), by = coord(arrows[at + 3], 1);
        if ([ax, ay, bx, by].every(Number.isFinite)) { c.moveTo(px(ax), py(ay)); c.lineTo(px(bx), py(by)); }
      }
      c.stroke();
    }
    c.restore();
    c.fillStyle = data.colors.generated; c.strokeStyle = "#6b3000"; c.lineWidth = 0.7;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const kind = kinds[base + i];
      if (kind === 5) { outside += 1; continue; }
      const x = px(coord(points[(base + i) * 2], 0)), y = py(coord(points[(base + i) * 2 + 1], 1));
      if (kind === 0) { c.beginPath(); c.arc(x, y, 3.2, 0, 2 * Math.PI); c.fill(); c.stroke(); }
      else { outside += 1; marker(c, x, y, kind); }
    }
    c.strokeStyle = "#444"; c.lineWidth = 1; c.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
    c.fillStyle = "#222"; c.font = font(12); c.textAlign = "center"; c.textBaseline = "top";
    for (const [v, label] of data.xticks) { c.fillText(label, px(v), box.bottom + 5); c.fillRect(px(v), box.bottom, 1, 4); }
    c.fillText("x", (box.left + box.right) / 2, box.bottom + 21);
    c.textAlign = "right"; c.textBaseline = "middle";
    for (const [v, label] of data.yticks) { c.fillText(label, box.left - 6, py(v)); c.fillRect(box.left - 4, py(v), 4, 1); }
    c.save(); c.translate(12, (box.top + box.bottom) / 2); c.rotate(-Math.PI / 2); c.textAlign = "center"; c.fillText("y", 0, 0); c.restore();
    if (on("heatmap")) drawColorbar(c);
    outsideLabel.textContent = outside ? outside + " of " + n + " generated points are beyond the edges (marked ◂ ▸ ▴ ▾)" : "";
  }

  function chart(c, top, bottom, limits, log, ticks) {
    const left = 44, right = Q.width - 10;
    const last = data.last_epoch;
    const tx = (e) => left + e / last * (right - left);
    const f = (v) => log ? Math.log10(v) : v;
    const ty = (v) => bottom - (f(v) - f(limits[0])) / (f(limits[1]) - f(limits[0])) * (bottom - top);
    c.strokeStyle = "#444"; c.lineWidth = 1; c.strokeRect(left, top, right - left, bottom - top);
    c.fillStyle = "#222"; c.font = font(11); c.textAlign = "right"; c.textBaseline = "middle";
    for (const [v, label] of ticks) if (v >= limits[0] && v <= limits[1]) c.fillText(label, left - 4, ty(v));
    return {tx, ty, left, right};
  }

  function line(c, axes, xs, ys, count, color, top, bottom) {
    c.save(); c.beginPath(); c.rect(axes.left, top, axes.right - axes.left, bottom - top); c.clip();
    c.strokeStyle = color; c.lineWidth = 1.4; c.beginPath();
    let open = false;
    for (let i = 0; i < count; i++) {
      if (ys[i] === null) { open = false; continue; }
      const X = axes.tx(xs[i]), Y = axes.ty(ys[i]);
      if (open) c.lineTo(X, Y); else { c.moveTo(X, Y); open = true; }
    }
    c.stroke(); c.restore();
  }

  function drawPanel(frame) {
    const c = Q.context, epoch = data.epochs[frame];
    c.clearRect(0, 0, Q.width, Q.height);
    c.fillStyle = "#fff"; c.fillRect(0, 0, Q.width, Q.height);
    if (data.losses) {
      const L = data.losses, top = 24, bottom = 200;
      c.fillStyle = "#222"; c.font = font(13, "600"); c.textAlign = "left"; c.textBaseline = "alphabetic";
      c.fillText("losses", 44, 17);
      const axes = chart(c, top, bottom, L.limits, false, L.yticks);
      line(c, axes, L.x, L.d, L.counts[frame], "#d62728", top, bottom);
      line(c, axes, L.x, L.g, L.counts[frame], "#2ca02c", top, bottom);
      c.fillStyle = "#d62728"; c.font = font(11); c.textAlign = "right"; c.fillText(data.labels.losses[0], axes.right - 4, top + 12);
      c.fillStyle = "#2ca02c"; c.fillText(data.labels.losses[1], axes.right - 4, top + 26);
      c.fillStyle = "#333"; c.fillRect(axes.tx(epoch), top, 1.2, bottom - top);
    }
    if (data.quality) {
      const S = data.quality, top = 244, bottom = 352;
      c.fillStyle = "#222"; c.font = font(13, "600"); c.textAlign = "left"; c.textBaseline = "alphabetic";
      const value = S.values[frame];
      c.fillText(S.name + (value === null ? "" : ": " + Number(value).toPrecision(3)), 44, 237);
      const axes = chart(c, top, bottom, S.limits, S.log, S.yticks);
      line(c, axes, data.epochs, S.values, frame + 1, "#222", top, bottom);
      c.fillStyle = "#333"; c.fillRect(axes.tx(epoch), top, 1.2, bottom - top);
      c.textAlign = "center"; c.textBaseline = "top"; c.font = font(11);
      for (const [v, label] of data.xticks_epochs) c.fillText(label, axes.tx(v), bottom + 4);
      c.fillText("epoch", (axes.left + axes.right) / 2, bottom + 20);
    }
  }

  let frame = 0, playing = true, timer = null;
  function show(index) {
    frame = Math.max(0, Math.min(data.frames - 1, index));
    slider.value = String(frame);
    epochLabel.textContent = "epoch " + data.epochs[frame];
    drawPlane(frame);
    panel.style.display = on("losses") ? "" : "none";
    if (on("losses")) drawPanel(frame);
  }
  function tick() {
    if (!playing) return;
    if (!root.isConnected) { playing = false; return; }
    show(frame + 1 >= data.frames ? 0 : frame + 1);
    timer = setTimeout(tick, frame === data.frames - 1 ? data.hold_ms : 1000 / data.fps);
  }
  function play(state) {
    playing = state;
    button.textContent = playing ? "Pause" : "Play";
    clearTimeout(timer);
    if (playing) timer = setTimeout(tick, 1000 / data.fps);
  }
  button.addEventListener("click", () => play(!playing));
  slider.addEventListener("input", () => { play(false); show(Number(slider.value)); });
  Object.values(switches).forEach((box) => box.addEventListener("change", () => show(frame)));
  show(0);
  play(true);
}
