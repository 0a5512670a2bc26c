// The page around llmmem's core (llmmem.js: the library and the CLI's front end as WebAssembly).
// Every figure and message comes from the core: this file only gathers the inputs into the CLI's
// named arguments, runs the commands (infer/train --plot, fit) in JSON, and draws what they answer.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  // The settings, as URL keys and the CLI's argument names. Values are strings, as typed.
  const DEFAULTS = {
    mode: 'infer', model: 'llama3-8b', precision: '', kv_precision: '', engine: '', batch: '1', seq_len: '2048',
    lora_rank: '0', optimizer: '', framework: '', gradient_checkpointing: '', gpu: 'h100-80gb', gpu_count: '1',
    explain: '',
  };
  const FIELDS = Object.keys(DEFAULTS);
  const COLORS = ['#2557d6', '#e8913a', '#3aa17e', '#c2417f', '#7a5cc7', '#c9a227', '#4aa3c9', '#8c6d4f', '#5f6b7a',
    '#d65f5f', '#6fa83a', '#a05fd6'];

  let core = null;      // the WebAssembly module
  let dropped = null;   // {label, path}: the model read from dropped files, in the module's memory file system
  let drops = 0;
  let pending = false;
  let runs = 0;

  // ---- the core -------------------------------------------------------------------------------
  function run(command, args) {
    const answer = core.ccall('llmmem_run', 'string', ['string'], [JSON.stringify({ command, args })]);
    return JSON.parse(answer);
  }
  function runJson(command, args) {
    const r = run(command, Object.assign({}, args, { format: 'json' }));
    if (r.exit_code === 0) r.json = JSON.parse(r.stdout);
    return r;
  }
  function sizes(counts) {
    return JSON.parse(core.ccall('llmmem_format_sizes', 'string', ['string', 'string'],
      [JSON.stringify(counts), 'binary']));
  }
  function errorLine(r) {
    return (r.stderr || r.stdout || '').trim() || `llmmem exited with code ${r.exit_code}`;
  }

  // ---- state <-> form <-> URL -----------------------------------------------------------------
  function readForm() {
    const s = {};
    for (const k of FIELDS) {
      if (k === 'mode') s.mode = document.querySelector('input[name="mode"]:checked').value;
      else if (k === 'explain') s.explain = $('explain').checked ? '1' : '';
      else s[k] = $(k).value.trim();
    }
    if (dropped) s.model = dropped.catalog;  // a link cannot carry a local file: it keeps the catalog model
    return s;
  }
  function setSelect(el, value) {
    // A value from a link that the list lacks is kept, so the core names what is wrong with it.
    if (value && ![...el.options].some((o) => o.value === value)) el.add(new Option(value, value));
    el.value = value;
  }
  function writeForm(s) {
    for (const k of FIELDS) {
      const v = s[k];
      if (k === 'mode') {
        for (const r of document.querySelectorAll('input[name="mode"]')) r.checked = r.value === v;
      } else if (k === 'explain') {
        $('explain').checked = v !== '' && v !== '0' && v !== 'false';
      } else if ($(k).tagName === 'SELECT') {
        setSelect($(k), v);
      } else {
        $(k).value = v;
      }
    }
    syncSlider();
  }
  function stateFromUrl() {
    const s = Object.assign({}, DEFAULTS);
    const take = (text) => {
      for (const [k, v] of new URLSearchParams(text)) if (FIELDS.includes(k)) s[k] = v;
    };
    take(location.search);
    take(location.hash.replace(/^#/, ''));  // where a browser refused the query (some file:// pages)
    return s;
  }
  function urlFromState(s) {
    const q = new URLSearchParams();
    for (const k of FIELDS) if (s[k] !== DEFAULTS[k]) q.set(k, s[k]);
    return q.toString();
  }
  function saveUrl(s) {
    const q = urlFromState(s);
    const url = location.pathname + (q ? '?' + q : '');
    try {
      history.replaceState(null, '', url);
    } catch (e) {
      location.hash = q;
    }
    document.body.dataset.url = location.href;
  }

  // The context slider is logarithmic (2^value tokens); the typed field takes any count the CLI
  // takes ("32k" too).
  function syncSlider() {
    const n = Number($('seq_len').value.replace(/k$/i, '')) * (/k$/i.test($('seq_len').value) ? 1024 : 1);
    if (Number.isFinite(n) && n > 0) $('seq_len_slider').value = String(Math.log2(n));
  }

  // ---- the estimate -----------------------------------------------------------------------------
  function argsFor(s) {
    const a = { model: dropped ? dropped.path : s.model, batch: s.batch, seq_len: s.seq_len };
    if (s.precision) a.precision = s.precision;
    if (s.kv_precision) a.kv_precision = s.kv_precision;
    if (s.mode === 'infer' && s.engine) a.engine = s.engine;
    if (s.mode === 'train') {
      if (s.lora_rank && s.lora_rank !== '0') a.lora_rank = s.lora_rank;
      if (s.optimizer) a.optimizer = s.optimizer;
      if (s.framework) a.framework = s.framework;
      if (s.gradient_checkpointing) a.gradient_checkpointing = s.gradient_checkpointing;
    }
    if (s.gpu) a.gpu = `${s.gpu}:${s.gpu_count || 1}`;
    return a;
  }

  // One input change: the estimate at once (it takes well under a frame), then fit's searches once
  // the inputs rest for FIT_DELAY ms, so dragging the slider or typing never waits for them. `train`
  // has no --plot: for training, the curve is fit --train --plot's.
  const FIT_DELAY = 120;
  let generation = 0;
  function recompute() {
    pending = false;
    const s = readForm();
    $('training').hidden = s.mode !== 'train';
    $('engine-row').hidden = s.mode !== 'infer';
    saveUrl(s);
    const gen = ++generation;
    const st = $('status');
    st.dataset.state = 'computing';
    const t0 = performance.now();
    const args = argsFor(s);
    const main = runJson(s.mode, Object.assign(s.mode === 'infer' ? { plot: true } : {}, args));
    const ms = performance.now() - t0;
    show(s, main);
    setTimeout(() => {
      if (gen !== generation) return;
      const t1 = performance.now();
      let fit = null, explained = null;
      if (main.exit_code === 0) {
        fit = runJson('fit', Object.assign(s.mode === 'train' ? { train: true, plot: true } : {}, args));
        if (s.explain) explained = run(s.mode, Object.assign({ explain: true }, args));
      }
      const fitMs = performance.now() - t1;
      showFit(s, main, fit, explained);
      runs += 1;
      st.dataset.state = 'ready';
      st.dataset.runs = String(runs);
      st.dataset.ms = ms.toFixed(1);
      st.dataset.fitMs = fitMs.toFixed(1);
      st.textContent = `Computed in your browser: the estimate in ${ms.toFixed(1)} ms, fit's answers in ` +
        `${fitMs.toFixed(1)} ms. Nothing is sent anywhere.`;
    }, FIT_DELAY);
  }
  function schedule() {
    if (pending || !core) return;
    pending = true;
    requestAnimationFrame(recompute);
  }

  // ---- drawing ----------------------------------------------------------------------------------
  // Styles are set through the CSSOM (an object), never as a style attribute, which the page's
  // Content-Security-Policy (style-src 'self') refuses.
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'style') Object.assign(e.style, v);
      else e.setAttribute(k, v);
    }
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function layoutText(l) {
    return l ? `tp=${l.tp} pp=${l.pp} dp=${l.dp}` + (l.ep > 1 ? ` ep=${l.ep}` : '') + (l.zero ? ` zero=${l.zero}` : '')
      : '';
  }
  function shellWord(w) {
    return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
  }

  function show(s, main) {
    const results = $('results');
    const err = $('error');
    const cliArgs = (main.argv || []).filter((a) => a !== '--format=json' && a !== '--plot');
    $('cli').textContent = 'llmmem ' + cliArgs.map(shellWord).join(' ');
    if (main.exit_code !== 0) {
      err.hidden = false;
      err.textContent = errorLine(main);
      err.dataset.exitCode = String(main.exit_code);
      results.classList.add('stale');
      $('total').dataset.bytes = '';
      return;
    }
    err.hidden = true;
    err.textContent = '';
    delete err.dataset.exitCode;
    results.classList.remove('stale');
    const j = main.json;
    const gpu = j.gpu;
    const comps = j.components;
    const curve = s.mode === 'infer' ? j.context_curve || [] : [];
    const capacity = gpu ? gpu.memory_bytes : null;
    // One call formats every figure with the CLI's formatter.
    const counts = [j.total_bytes, capacity || 0, j.host_total_bytes || 0, ...comps.map((c) => c.bytes),
      ...comps.map((c) => c.host_bytes || 0), ...curve.map((p) => p.bytes)];
    const f = sizes(counts);
    const n = comps.length;
    const fTotal = f[0], fCap = f[1], fHost = f[2], fComp = f.slice(3, 3 + n), fCompHost = f.slice(3 + n, 3 + 2 * n),
      fCurve = f.slice(3 + 2 * n);

    const m = j.model || {};
    const params = m.parameters ? ` · ${(m.parameters / 1e9).toFixed(2)} B parameters` : '';
    $('model-info').textContent = (m.hf_id ? m.hf_id : m.name || '') + params +
      (j.engine ? ` · engine ${j.engine.name}` : '');

    const layout = j.settings && j.settings.layout;
    const perGpu = layout && layout.tp * layout.pp * layout.dp > 1;
    $('total-caption').textContent = perGpu ? `Per GPU (${layoutText(layout)})` : 'Total';
    $('total').textContent = fTotal;
    $('total').dataset.bytes = String(j.total_bytes);
    const host = j.host_total_bytes || 0;
    $('host-total').textContent = host > 0 ? `+ ${fHost} in host memory` : '';
    $('host-total').dataset.bytes = String(host);

    const v = $('verdict');
    if (gpu) {
      const where = `${gpu.count} × ${gpu.name} (${fCap}${gpu.count > 1 ? ' each' : ''})`;
      const needed = gpu.needed ? `needs ${gpu.needed}` + (gpu.needed_layout ? ` (${layoutText(gpu.needed_layout)})` : '')
        : 'does not fit on any count searched';
      v.textContent = gpu.fits ? `fits on ${where}` : `does not fit on ${where}: ${needed}`;
      v.dataset.fits = String(gpu.fits);
      v.dataset.needed = gpu.needed === null || gpu.needed === undefined ? '' : String(gpu.needed);
    } else {
      v.textContent = '';
      v.dataset.fits = '';
      v.dataset.needed = '';
    }

    drawBar(comps, fComp, j.total_bytes, capacity, fCap);
    drawComponents(comps, fComp, fCompHost, fTotal, fHost, j, s.explain);
    if (s.mode === 'infer') drawChart(curve, fCurve, capacity, fCap, Number(j.settings.seq_len));

    const notes = $('notes');
    notes.replaceChildren();
    for (const n of [...(j.notes || []), ...((gpu && gpu.notes) || [])]) notes.append(el('li', {}, n));
  }

  // What follows the estimate: fit's answers, the training curve, the --explain text.
  function showFit(s, main, fit, explained) {
    drawAnswers(fit, s);
    if (s.mode === 'train') {
      const j = fit && fit.exit_code === 0 ? fit.json : null;
      const curve = (j && j.context_curve) || [];
      const capacity = j && j.gpu ? j.gpu.memory_bytes : null;
      const f = sizes([capacity || 0, ...curve.map((p) => p.bytes)]);
      drawChart(curve, f.slice(1), capacity, f[0], Number(s.seq_len));
    }
    if (main.exit_code !== 0) {
      $('answers').tBodies[0].replaceChildren();
      $('chart').replaceChildren();
    }
    const ex = $('explain-text');
    ex.hidden = !explained;
    ex.textContent = explained ? (explained.exit_code === 0 ? explained.stdout : errorLine(explained)) : '';
  }

  function drawBar(comps, fComp, total, capacity, fCap) {
    const bar = $('bar');
    bar.replaceChildren();
    const scale = Math.max(total, capacity || 0) * 1.04 || 1;
    let x = 0;
    comps.forEach((c, i) => {
      if (c.bytes <= 0) return;
      const w = (100 * c.bytes) / scale;
      bar.append(el('div', {
        class: 'seg', style: { left: `${(100 * x) / scale}%`, width: `${w}%`, background: COLORS[i % COLORS.length] },
        title: `${c.label}: ${fComp[i]}`, 'data-id': c.id, 'data-bytes': String(c.bytes),
      }));
      x += c.bytes;
    });
    if (capacity) {
      const cap = el('div', { class: 'cap', style: { left: `${(100 * capacity) / scale}%` }, 'data-bytes': String(capacity) });
      cap.append(el('span', {}, `GPU: ${fCap}`));
      bar.append(cap);
    }
  }

  function drawComponents(comps, fComp, fCompHost, fTotal, fHost, j, explain) {
    const table = $('components');
    table.classList.toggle('gpu-only', !(j.host_total_bytes > 0));
    const body = table.tBodies[0];
    body.replaceChildren();
    comps.forEach((c, i) => {
      const tr = el('tr', { 'data-id': c.id, 'data-bytes': String(c.bytes), 'data-host-bytes': String(c.host_bytes || 0) });
      const name = el('td');
      name.append(el('span', { class: 'swatch', style: { background: COLORS[i % COLORS.length] } }), c.label);
      if (explain) {
        const inputs = Object.entries(c.inputs || {}).map(([k, v]) => `${k}=${v}`).join(', ');
        name.append(el('span', { class: 'formula' }, `= ${c.formula}` + (inputs ? `\n  with ${inputs}` : '') +
          `\n  = ${c.bytes} bytes`));
      }
      tr.append(name, el('td', { class: 'num' }, fComp[i]), el('td', { class: 'num host' }, fCompHost[i]));
      body.append(tr);
    });
    const tr = el('tr', { class: 'total', 'data-bytes': String(j.total_bytes) });
    tr.append(el('td', {}, 'Total'), el('td', { class: 'num' }, fTotal), el('td', { class: 'num host' }, fHost));
    body.append(tr);
  }

  // fit's answers, under the questions the CLI's table asks.
  function drawAnswers(fit, s) {
    const body = $('answers').tBodies[0];
    body.replaceChildren();
    if (!fit) return;
    if (fit.exit_code !== 0) {
      const tr = el('tr');
      tr.append(el('td', { colspan: '2' }, errorLine(fit)));
      body.append(tr);
      return;
    }
    const a = fit.json.answers;
    const g = fit.json.gpu;
    const none = 'none';
    const rows = [
      ['fits', `batch ${s.batch} at context ${s.seq_len} on the GPUs given`, a.fits === undefined ? undefined
        : (a.fits ? 'fits' : 'does not fit')],
      ['max_seq_len', `longest context at batch ${s.batch}`, a.max_seq_len === undefined ? undefined
        : (a.max_seq_len === null ? none : `${a.max_seq_len} tokens` +
          (a.max_seq_len_limited_by === 'model' ? ' (the model\'s limit)' : ''))],
      ['max_batch', `largest batch at context ${s.seq_len}`, a.max_batch === null ? none : a.max_batch],
      ['max_concurrent_requests', 'concurrent requests (KV pool)', a.max_concurrent_requests === null ? none
        : a.max_concurrent_requests],
      ['min_gpus', `fewest GPUs of this kind${g ? ' (' + g.name + ')' : ''}`, a.min_gpus === undefined ? undefined
        : (a.min_gpus === null ? none : `${a.min_gpus}` + (a.min_gpus_layout ? ` (${layoutText(a.min_gpus_layout)})` : ''))],
      ['best_precision', 'best precision that fits', a.best_precision === null ? none : a.best_precision],
    ];
    for (const [key, question, answer] of rows) {
      if (answer === undefined) continue;
      const tr = el('tr', { 'data-key': key, 'data-value': a[key] === null ? '' : String(a[key]) });
      tr.append(el('td', {}, question), el('td', {}, String(answer)));
      body.append(tr);
    }
  }

  function tokens(n) {
    if (n >= 1048576 && n % 1048576 === 0) return `${n / 1048576}M`;
    if (n >= 1024 && n % 1024 === 0) return `${n / 1024}k`;
    return String(n);
  }

  function drawChart(curve, fCurve, capacity, fCap, seqLen) {
    const c = $('chart');
    c.replaceChildren();
    if (!curve.length) return;
    const W = 640, H = 230, L = 62, R = 16, T = 14, B = 34;
    const xs = curve.map((p) => Math.log2(p.seq_len));
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
    const top = Math.max(...curve.map((p) => p.bytes), capacity || 0) * 1.1;
    const X = (n) => L + ((Math.log2(n) - x0) / (x1 - x0)) * (W - L - R);
    const Y = (b) => H - B - (b / top) * (H - T - B);
    // Axis ticks in GiB at a round step (the figures themselves come from the core).
    const gib = top / 2 ** 30;
    const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find((v) => gib / v <= 6) || 10000;
    for (let g = 0; g <= gib; g += step) {
      const y = Y(g * 2 ** 30);
      c.append(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y, y2: y }));
      c.append(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, `${g} GiB`));
    }
    c.append(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    for (const p of curve) {
      c.append(svg('text', { x: X(p.seq_len), y: H - B + 16, 'text-anchor': 'middle' }, tokens(p.seq_len)));
    }
    c.append(svg('text', { x: (L + W - R) / 2, y: H - 2, 'text-anchor': 'middle' }, 'context length (tokens)'));
    if (capacity) {
      const y = Y(capacity);
      c.append(svg('line', { class: 'gpu', x1: L, x2: W - R, y1: y, y2: y, 'data-bytes': String(capacity) }));
      c.append(svg('text', { x: W - R, y: y - 5, 'text-anchor': 'end' }, `GPU ${fCap}`));
    }
    if (seqLen >= 2 ** x0 && seqLen <= 2 ** x1) {
      c.append(svg('line', { class: 'now', x1: X(seqLen), x2: X(seqLen), y1: T, y2: H - B }));
    }
    c.append(svg('polyline', { class: 'curve', points: curve.map((p) => `${X(p.seq_len)},${Y(p.bytes)}`).join(' ') }));
    curve.forEach((p, i) => {
      const dot = svg('circle', {
        class: p.fits === false ? 'no' : 'fits', cx: X(p.seq_len), cy: Y(p.bytes), r: 4,
        'data-seq-len': String(p.seq_len), 'data-bytes': String(p.bytes),
      });
      dot.append(svg('title', {}, `${p.seq_len} tokens: ${fCurve[i]}`));
      c.append(dot);
    });
  }

  // ---- files dropped onto the page ----------------------------------------------------------------
  // Only headers are read (Blob.slice), into the module's in-memory file system, where the CLI's
  // readers take them as files: `infer --model /drop/N/model.gguf`. A header file is written with
  // its real size as the size stat() reports (the readers check the tensors against it) but holds
  // only the bytes read; a reader that needs more fails on the read and the slice is widened.
  const MIB = 1024 * 1024;
  const SAFETENSORS_MAX_HEADER = 100000000;  // huggingface/safetensors safetensors/src/tensor.rs MAX_HEADER_SIZE
  const GGUF_FIRST_SLICE = 16 * MIB;          // GGUF metadata + tensor infos: a few MiB for large vocabularies

  function writeHeader(path, bytes, size) {
    core.FS.writeFile(path, bytes);
    const node = core.FS.lookupPath(path).node;
    const ops = node.node_ops;
    node.node_ops = Object.assign({}, ops, {
      getattr(n) {
        const attr = ops.getattr(n);
        attr.size = size;
        return attr;
      },
    });
  }
  let bytesRead = 0;  // of the files last dropped, all slices counted ($('drop').dataset.bytesRead)
  async function bytesOf(file, end) {
    const bytes = new Uint8Array(await file.slice(0, Math.min(end, file.size)).arrayBuffer());
    bytesRead += bytes.length;
    return bytes;
  }
  function baseName(name) {
    const n = String(name).split(/[\\/]/).pop().replace(/[\u0000-\u001f]/g, '');
    return n === '' || n === '.' || n === '..' ? 'file' : n;
  }

  async function takeFiles(list) {
    const files = [...list];
    if (!files.length || !core) return;
    // The previous drop's files go: a GGUF header can be tens of MiB of the module's memory.
    if (drops > 0) {
      const old = `/drop/${drops}`;
      for (const name of core.FS.readdir(old)) if (name !== '.' && name !== '..') core.FS.unlink(`${old}/${name}`);
      core.FS.rmdir(old);
    }
    drops += 1;
    bytesRead = 0;
    const dir = `/drop/${drops}`;
    core.FS.mkdirTree(dir);
    let gguf = null, config = null, safetensors = [], index = null, first = null;
    const widen = [];  // GGUF files read in part: [path, file, bytes read]
    for (const file of files) {
      const name = baseName(file.name);
      const path = `${dir}/${name}`;
      const head = await bytesOf(file, 9);
      const isGguf = head.length >= 4 && String.fromCharCode(...head.slice(0, 4)) === 'GGUF';
      if (isGguf || /\.gguf$/i.test(name)) {
        const take = Math.min(file.size, GGUF_FIRST_SLICE);
        writeHeader(path, await bytesOf(file, take), file.size);
        widen.push([path, file, take]);
        if (!gguf) gguf = path;
      } else if (/\.safetensors$/i.test(name)) {
        // safetensors: u64 little-endian header length N, then N bytes of JSON (the format's README).
        let n = 0;
        for (let i = 7; i >= 0; --i) n = n * 256 + (head[i] || 0);
        writeHeader(path, await bytesOf(file, 8 + Math.min(n, SAFETENSORS_MAX_HEADER)), file.size);
        safetensors.push(path);
      } else {
        if (file.size > 64 * MIB) throw new Error(`${name}: ${file.size} bytes is too large for a JSON file`);
        core.FS.writeFile(path, await bytesOf(file, file.size));
        if (name === 'config.json') config = path;
        else if (name === 'model.safetensors.index.json') index = path;
      }
      if (!first) first = path;
    }
    // Widen a GGUF slice while its reader runs out of bytes ("read failed at offset"), up to the file.
    for (const [path, file, taken] of widen) {
      let take = taken;
      for (;;) {
        const r = runJson('inspect', { path });
        if (r.exit_code === 0 || take >= file.size || !/read failed at offset/.test(r.stderr)) break;
        take = Math.min(file.size, take * 4);
        writeHeader(path, await bytesOf(file, take), file.size);
      }
    }
    let model = first;
    if (gguf) model = gguf;
    else if (config && (index || safetensors.some((p) => p.endsWith('/model.safetensors')) || !safetensors.length)) {
      model = dir;
    } else if (safetensors.length) model = safetensors[0];
    const catalog = dropped ? dropped.catalog : $('model').value.trim();
    dropped = { path: model, label: files.map((f) => baseName(f.name)).join(', '), catalog };
    $('drop').dataset.bytesRead = String(bytesRead);
    $('model').value = dropped.label;
    $('model').disabled = true;
    $('clear-file').hidden = false;
    schedule();
  }
  function dropError(e) {
    const err = $('error');
    err.hidden = false;
    err.textContent = `llmmem: error: ${e.message || e}`;
  }

  // ---- start ------------------------------------------------------------------------------------
  function fill(select, items) {
    for (const [value, text] of items) select.add(new Option(text, value));
  }

  function start(module) {
    core = module;
    const models = runJson('models', {});
    const gpus = runJson('gpus', {});
    const precisions = runJson('precisions', {});
    const choices = JSON.parse(core.ccall('llmmem_choices', 'string', [], []));
    for (const r of [models, gpus, precisions]) if (r.exit_code !== 0) throw new Error(errorLine(r));
    const list = $('model-list');
    for (const m of models.json.models) {
      if (m.supported === false) continue;
      list.append(el('option', { value: m.name }, `${m.description} (${(m.parameters / 1e9).toFixed(1)} B)`));
    }
    fill($('gpu'), gpus.json.gpus.map((g) => [g.id, `${g.name} (${g.marketing})`]));
    fill($('precision'), precisions.json.precisions.filter((p) => p.kind === 'weights')
      .map((p) => [p.name, `${p.name}: ${p.description}`]));
    fill($('kv_precision'), precisions.json.precisions.filter((p) => p.kind === 'kv-cache')
      .map((p) => [p.name, `${p.name}: ${p.description}`]));
    fill($('engine'), choices.engines.map((e) => [e.id, e.name]));
    fill($('framework'), choices.frameworks.map((f) => [f.id, f.name]));
    fill($('optimizer'), choices.optimizers.map((o) => [o, o]));
    fill($('gradient_checkpointing'), choices.gradient_checkpointing.map((g) => [g, g]));
    writeForm(stateFromUrl());

    const form = $('inputs');
    form.addEventListener('input', (e) => {
      if (e.target.id === 'seq_len_slider') {
        $('seq_len').value = String(Math.round(2 ** Number(e.target.value)));
      } else if (e.target.id === 'seq_len') {
        syncSlider();
      }
      if (e.target.id !== 'file') schedule();
    });
    form.addEventListener('change', (e) => {
      if (e.target.id !== 'file') schedule();
    });
    form.addEventListener('submit', (e) => e.preventDefault());
    $('file').addEventListener('change', (e) => takeFiles(e.target.files).catch(dropError));
    $('clear-file').addEventListener('click', () => {
      $('model').value = dropped.catalog;
      dropped = null;
      $('model').disabled = false;
      $('clear-file').hidden = true;
      schedule();
    });
    const zone = document.body;
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      $('drop').classList.add('over');
    });
    zone.addEventListener('dragleave', () => $('drop').classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      $('drop').classList.remove('over');
      if (e.dataTransfer && e.dataTransfer.files.length) takeFiles(e.dataTransfer.files).catch(dropError);
    });
    recompute();
  }

  function fail(e) {
    const st = $('status');
    st.dataset.state = 'error';
    st.textContent = `The estimator did not start: ${e && e.message ? e.message : e}`;
  }

  if (typeof createLlmmem !== 'function') {
    fail('llmmem.js is missing: build the page (see web/README.md)');
  } else {
    createLlmmem().then((m) => {
      try {
        start(m);
      } catch (e) {
        fail(e);
      }
    }, fail);
  }
})();
