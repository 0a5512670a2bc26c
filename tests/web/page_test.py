#!/usr/bin/env python3
"""The web page in a real browser: headless Chromium opens build/web/index.html from disk, sets its
inputs, drops files on it, and reads what it shows; every figure must equal the CLI's
(build/llmmem ... --format json) for the same command line, and no request may leave the machine.

Usage: tests/web/page_test.py BUILD_DIR [--screenshot PNG]

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: fds 3 and 4,
messages separated by NUL; chromium's devtools_pipe_handler.cc), so only Python's standard library
is needed. Network.requestWillBeSent reports every request the page makes, file:// ones included:
the test asserts the file:// loads are seen and that nothing else is requested. Chromium also runs
with --host-resolver-rules="MAP * ~NOTFOUND", so no name resolves even if something tried.
Standard library only; bounded in time (each wait has a deadline, the whole run a watchdog).
"""
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

TIMEOUT = 30.0  # seconds for any one wait
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

failures = []


def check(cond, what):
    if cond:
        print(f"ok: {what}")
    else:
        print(f"FAIL: {what}")
        failures.append(what)


# ---- a small llama GGUF, written as the spec says (llama.cpp docs/gguf.md; ggml gguf-py) ----------
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
TYPE_BYTES = {GGML_F32: (1, 4), GGML_F16: (1, 2), GGML_Q8_0: (32, 34)}  # (values per block, bytes per block)


def gguf_bytes(tokens, data_extra=0):
    """A 2-layer llama (hidden 256, 8 heads, 2 KV heads, FFN 512) with `tokens` vocabulary strings.
    Returns (header bytes, data bytes): the data is zeros, written sparse by the caller."""
    kv = []

    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    def kv_u32(k, v):
        kv.append(s(k) + struct.pack("<II", 4, v))

    kv.append(s("general.architecture") + struct.pack("<I", 8) + s("llama"))
    kv_u32("llama.block_count", 2)
    kv_u32("llama.embedding_length", 256)
    kv_u32("llama.feed_forward_length", 512)
    kv_u32("llama.attention.head_count", 8)
    kv_u32("llama.attention.head_count_kv", 2)
    kv_u32("llama.context_length", 4096)
    kv_u32("llama.vocab_size", tokens)
    kv.append(s("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, tokens) +
              b"".join(s(f"tok{i:07d}") for i in range(tokens)))
    tensors = [("token_embd.weight", [256, tokens], GGML_F16), ("output_norm.weight", [256], GGML_F32),
               ("output.weight", [256, tokens], GGML_Q8_0)]
    for b in range(2):
        tensors += [(f"blk.{b}.attn_norm.weight", [256], GGML_F32), (f"blk.{b}.attn_q.weight", [256, 256], GGML_F16),
                    (f"blk.{b}.attn_k.weight", [256, 64], GGML_F16), (f"blk.{b}.attn_v.weight", [256, 64], GGML_F16),
                    (f"blk.{b}.attn_output.weight", [256, 256], GGML_F16),
                    (f"blk.{b}.ffn_norm.weight", [256], GGML_F32), (f"blk.{b}.ffn_gate.weight", [256, 512], GGML_F16),
                    (f"blk.{b}.ffn_up.weight", [256, 512], GGML_F16), (f"blk.{b}.ffn_down.weight", [512, 256], GGML_F16)]
    infos, offset = [], 0
    for name, dims, t in tensors:
        n = 1
        for d in dims:
            n *= d
        per, size = TYPE_BYTES[t]
        infos.append(s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) +
                     struct.pack("<IQ", t, offset))
        offset += (n // per * size + 31) // 32 * 32  # general.alignment defaults to 32
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)) + b"".join(kv) + b"".join(infos)
    head += b"\0" * (-len(head) % 32)
    return head, offset + data_extra


def write_gguf(path, tokens):
    head, data = gguf_bytes(tokens)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(len(head) + data)  # the tensor data: zeros, sparse on disk
    return len(head)


# ---- Chromium over the DevTools pipe ---------------------------------------------------------------
class Browser:
    def __init__(self, profile):
        def high(fd):  # out of the way of 3 and 4, which the child needs for the pipe
            n = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return n

        to_r, self.to_w = map(high, os.pipe())
        self.from_r, from_w = map(high, os.pipe())
        flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
                 "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
                 "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", "--window-size=1200,900",
                 "about:blank"]
        cmd = " ".join([f"exec {CHROMIUM}"] + [f"'{f}'" for f in flags] + [f"3<&{to_r} 4>&{from_w}"])
        self.proc = subprocess.Popen(["bash", "-c", cmd], pass_fds=(to_r, from_w), stdout=subprocess.DEVNULL,
                                     stderr=None if os.environ.get("LLMMEM_TEST_VERBOSE") else subprocess.DEVNULL,
                                     start_new_session=True)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "DOM"):
            self.call(f"{domain}.enable", {}, self.session)
        # A request the page's Content-Security-Policy blocks never reaches the network log: record
        # the policy's violation reports too (securitypolicyviolation events), in every document.
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__violations = []; document.addEventListener('securitypolicyviolation', "
            "(e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")}, self.session)
        self.violations = []
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False}, self.session)

    def _recv(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self.from_r], [], [], left)
            if ready:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise EOFError("chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + TIMEOUT
        while True:
            m = self._recv(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
            if "method" in m:
                self.events.append(m)

    def js(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      self.session)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def requests(self):
        for m in self.events:
            if m.get("method") == "Network.requestWillBeSent":
                yield m["params"]["request"]["url"]

    def wait_for(self, expression, what):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                v = self.js(expression)
            except RuntimeError:  # the document is being replaced by a navigation
                v = None
            if v:
                return v
            time.sleep(0.05)
        raise TimeoutError(f"waiting for {what}")

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


# What the page shows, read from its elements and their data attributes.
READ = """(() => {
  const $ = (id) => document.getElementById(id);
  const st = $('status');
  const err = $('error');
  return {
    state: st.dataset.state, runs: Number(st.dataset.runs || 0), ms: Number(st.dataset.ms || 0),
    fit_ms: Number(st.dataset.fitMs || 0),
    url: document.body.dataset.url || '', cli: $('cli').textContent,
    error: err.hidden ? null : err.textContent, exit_code: err.dataset.exitCode || null,
    total_text: $('total').textContent, total_bytes: $('total').dataset.bytes,
    fits: $('verdict').dataset.fits, needed: $('verdict').dataset.needed,
    components: [...$('components').tBodies[0].rows].filter((r) => r.dataset.id)
      .map((r) => [r.dataset.id, r.dataset.bytes, r.dataset.hostBytes, r.cells[1].textContent]),
    host_bytes: $('host-total').dataset.bytes,
    bar: [...document.querySelectorAll('#bar .seg')].map((s) => [s.dataset.id, s.dataset.bytes]),
    capacity: (document.querySelector('#bar .cap') || {dataset: {}}).dataset.bytes || null,
    curve: [...document.querySelectorAll('#chart circle')].map((c) => [c.dataset.seqLen, c.dataset.bytes]),
    answers: Object.fromEntries([...$('answers').tBodies[0].rows].filter((r) => r.dataset.key)
      .map((r) => [r.dataset.key, r.dataset.value])),
    explain: $('explain-text').hidden ? null : $('explain-text').textContent,
    model_info: $('model-info').textContent,
  };
})()"""


def page_state(b, after_runs=0):
    """Waits for the page (a new document, not the one a navigation replaces) to finish a recompute
    after `after_runs` of them, and reads it."""
    b.wait_for(f"(() => {{ const s = document.getElementById('status'); return !window.__replaced && s && "
               f"(s.dataset.state === 'error' || (s.dataset.state === 'ready' && Number(s.dataset.runs) > "
               f"{after_runs})); }})()", "the estimate")
    return b.js(READ)


def open_page(b, url):
    b.violations += b.js("window.__violations || []") or []
    b.js("window.__replaced = true")
    b.call("Page.navigate", {"url": url}, b.session)
    return page_state(b)


def set_inputs(b, values):
    """Sets form fields as a user would (value, then an input event) and waits for the recompute."""
    runs = b.js("Number(document.getElementById('status').dataset.runs || 0)")
    script = []
    for k, v in values.items():
        if k == "mode":
            script.append(f"document.querySelector('input[name=mode][value={v}]').checked = true;")
            script.append("document.querySelector('input[name=mode]:checked')"
                          ".dispatchEvent(new Event('input', {bubbles: true}));")
        elif k == "explain":
            script.append(f"document.getElementById('explain').checked = {json.dumps(bool(v))};")
            script.append("document.getElementById('explain').dispatchEvent(new Event('input', {bubbles: true}));")
        else:
            script.append(f"document.getElementById({json.dumps(k)}).value = {json.dumps(str(v))};")
            script.append(f"document.getElementById({json.dumps(k)}).dispatchEvent(new Event('input', {{bubbles: true}}));")
    b.js("(() => {" + "".join(script) + "})()")
    return page_state(b, runs)


# ---- the CLI, for the same command line ------------------------------------------------------------
def cli(llmmem, argv, fmt="json"):
    argv = [a for a in argv if not a.startswith("--format=")]
    r = subprocess.run([llmmem] + argv + [f"--format={fmt}"], capture_output=True, text=True, timeout=TIMEOUT)
    return r


def page_argv(page):
    """The command line the page shows (shell words: the test's values need no quoting)."""
    words = page["cli"].split()
    assert words[0] == "llmmem", page["cli"]
    return words[1:]


def compare_with_cli(llmmem, page, what, model_path=None):
    """The page's figures against the CLI run with the command line the page shows, as the page runs
    it: `infer --plot` (train has no --plot), then `fit` (`fit --train --plot` for training)."""
    argv = page_argv(page)
    if model_path:  # a dropped file: the page read it from its own file system
        argv = [f"--model={model_path}" if a.startswith("--model=") else a for a in argv]
    train = argv[0] == "train"
    r = cli(llmmem, argv + ([] if train else ["--plot"]))
    check(r.returncode == 0, f"{what}: the CLI runs {' '.join(argv)} (exit {r.returncode})")
    if r.returncode != 0:
        print(r.stderr)
        return
    j = json.loads(r.stdout)
    check(page["total_bytes"] == str(j["total_bytes"]),
          f"{what}: total bytes {page['total_bytes']} == CLI {j['total_bytes']}")
    check([c[:3] for c in page["components"]] ==
          [[c["id"], str(c["bytes"]), str(c["host_bytes"])] for c in j["components"]] and
          page["host_bytes"] == str(j["host_total_bytes"]),
          f"{what}: every component's GPU and host bytes equal the CLI's")
    check(page["bar"] == [[c["id"], str(c["bytes"])] for c in j["components"] if c["bytes"] > 0],
          f"{what}: the stacked bar holds the CLI's components")
    check(page["capacity"] == str(j["gpu"]["memory_bytes"]), f"{what}: the bar's GPU line at {page['capacity']}")
    check(page["fits"] == str(j["gpu"]["fits"]).lower(), f"{what}: verdict fits={page['fits']}")
    check(page["needed"] == ("" if j["gpu"]["needed"] is None else str(j["gpu"]["needed"])),
          f"{what}: fewest GPUs in the verdict {page['needed']!r}")
    # The figure as the CLI's table prints it: "  Total   133.09 GiB".
    t = cli(llmmem, argv, fmt="table")
    # ("Total  15.69  0.07 GiB" when a host column follows: the page shows the GPU figure)
    total_line = [ln for ln in t.stdout.splitlines() if ln.strip().startswith("Total ")]
    shown = total_line[0].split()[1] + " GiB" if total_line else None
    check(page["total_text"] == shown, f"{what}: the page shows {page['total_text']!r}, the CLI's table {shown!r}")
    # fit's answers for the same arguments, and for training its curve.
    f = cli(llmmem, ["fit"] + argv[1:] + (["--train", "--plot"] if train else []))
    check(f.returncode == 0, f"{what}: the CLI's fit runs (exit {f.returncode} {f.stderr.strip()})")
    if f.returncode != 0:
        return
    fj = json.loads(f.stdout)
    a = fj["answers"]
    want = {k: ("" if a[k] is None else str(a[k]).lower() if isinstance(a[k], bool) else str(a[k]))
            for k in page["answers"]}
    check(page["answers"] == want and "min_gpus" in page["answers"] and "max_batch" in page["answers"],
          f"{what}: fit's answers {page['answers']} equal the CLI's")
    curve = (fj if train else j)["context_curve"]
    check(page["curve"] == [[str(p["seq_len"]), str(p["bytes"])] for p in curve] and len(curve) > 2,
          f"{what}: the context chart's {len(page['curve'])} points equal the CLI's --plot")
    return j


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    screenshot = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--screenshot" else None
    page = os.path.join(build, "web", "index.html")
    llmmem = os.path.join(build, "llmmem")
    for need in (page, os.path.join(build, "web", "llmmem.js"), llmmem):
        if not os.path.exists(need):
            print(f"missing {need}: build with -DLLMMEM_WEB=ON")
            return 1
    if not CHROMIUM:
        print("chromium not found (Debian package chromium)")
        return 1
    signal.signal(signal.SIGALRM, lambda *_: (print("FAIL: the browser test ran past 240 s"), os._exit(1)))
    signal.alarm(240)
    base = "file://" + urllib.parse.quote(page)
    work = tempfile.mkdtemp(prefix="llmmem_page_")
    b = Browser(os.path.join(work, "profile"))
    try:
        if screenshot:
            open_page(b, base + "?model=llama3.1-8b&seq_len=32768&gpu=rtx4090")
            set_inputs(b, {"batch": "1"})  # once more, warm: the status line shows a typical recompute
            png = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, b.session)
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(png["data"]))
            print(f"wrote {screenshot}")
            return 0

        # 1. Llama-3-70B fp16 from the URL alone: the figure the README quotes, identical to the CLI.
        p = open_page(b, base + "?model=llama3-70b&precision=fp16")
        check(p["state"] == "ready" and p["error"] is None, f"the page starts ({p['state']}, {p['error']})")
        compare_with_cli(llmmem, p, "llama3-70b fp16")
        print(f"   llama3-70b fp16 shows {p['total_text']}; the estimate took {p['ms']} ms, fit {p['fit_ms']} ms")

        # 2. More models and settings, each from a link.
        for query in ("model=mixtral-8x7b&precision=q4_k_m&engine=llama.cpp&seq_len=32768&gpu=rtx4090&gpu_count=2",
                      "model=qwen3-30b-a3b&precision=fp8&kv_precision=fp8&engine=vllm&batch=8&gpu=h100-80gb",
                      "model=gemma3-1b&batch=4&seq_len=8192&gpu=rtx4090",
                      "mode=train&model=llama3-8b&lora_rank=16&precision=nf4-dq&gpu=rtx4090",
                      "mode=train&model=qwen3-8b&optimizer=adamw-8bit&gradient_checkpointing=full&framework=torchtune"
                      "&gpu=a100-80gb&gpu_count=4"):
            p = open_page(b, base + "?" + query)
            check(p["error"] is None, f"{query}: no error ({p['error']})")
            compare_with_cli(llmmem, p, query)

        # 3. Inputs set as a user sets them; the URL they leave reproduces the estimate.
        open_page(b, base)
        p = set_inputs(b, {"model": "qwen3-8b", "precision": "int8", "kv_precision": "fp8", "seq_len": "16384",
                           "batch": "2", "gpu": "l40s", "gpu_count": "2", "explain": True})
        check("model=qwen3-8b" in p["url"] and "gpu_count=2" in p["url"], f"the URL holds the settings: {p['url']}")
        compare_with_cli(llmmem, p, "inputs set in the page")
        t = cli(llmmem, page_argv(p) + ["--explain"], fmt="table")
        check(p["explain"] == t.stdout, "explain shows the CLI's --explain text, formulas included")
        # Recompute time: the estimate runs at once on each change, fit in the next task.
        times = [set_inputs(b, {"batch": str(2 + i % 2)}) for i in range(7)]
        est = sorted(t["ms"] for t in times)[3]
        fit = sorted(t["fit_ms"] for t in times)[3]
        print(f"   median of 7 input changes: the estimate {est} ms, fit's answers {fit} ms")
        check(est < 50, f"an input change recomputes the estimate in {est} ms (median), under 50 ms")
        p = set_inputs(b, {"batch": "2"})
        again = open_page(b, p["url"])
        same = {k: again[k] for k in ("total_bytes", "components", "curve", "answers", "cli", "explain")}
        check(same == {k: p[k] for k in same}, "opening the URL reproduces the estimate")

        # 4. An error is the CLI's message and exit code.
        p = open_page(b, base + "?model=llama3-70c")
        r = cli(llmmem, ["infer", "--model=llama3-70c", "--batch=1", "--seq-len=2048", "--gpu=h100-80gb:1", "--plot"])
        check(p["error"] == r.stderr.strip() and p["exit_code"] == str(r.returncode),
              f"an unknown model shows the CLI's message: {p['error']!r} (exit {p['exit_code']})")

        # 5. A GGUF dropped onto the page (a DataTransfer, as a drag and drop delivers it).
        small = os.path.join(work, "tiny-llama.gguf")
        write_gguf(small, 1000)
        with open(small, "rb") as f:
            data = base64.b64encode(f.read()).decode()
        open_page(b, base + "?seq_len=4096")
        before = b.js("Number(document.getElementById('status').dataset.runs)")
        b.js(f"""(() => {{
          const bytes = Uint8Array.from(atob({json.dumps(data)}), (c) => c.charCodeAt(0));
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], 'tiny-llama.gguf'));
          document.body.dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}}));
        }})()""")
        p = page_state(b, before)
        check(p["error"] is None and "--model=/drop/" in p["cli"], f"a dropped GGUF is estimated: {p['cli']}")
        compare_with_cli(llmmem, p, "dropped GGUF", model_path=small)

        # 5b. A config.json with a model.safetensors beside it, dropped together: the folder is estimated,
        # the safetensors file read up to the end of its header.
        folder = os.path.join(work, "st-model")
        os.makedirs(folder)
        shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..", "models", "qwen2.5-0.5b.json"),
                    os.path.join(folder, "config.json"))
        st_header = json.dumps({"model.embed_tokens.weight": {"dtype": "BF16", "shape": [4096, 896],
                                                               "data_offsets": [0, 4096 * 896 * 2]}}).encode()
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(st_header)) + st_header)
            f.truncate(8 + len(st_header) + 4096 * 896 * 2)
        files = []
        for name in ("config.json", "model.safetensors"):
            with open(os.path.join(folder, name), "rb") as f:
                head = f.read(8 + len(st_header)) if name.endswith(".safetensors") else f.read()
            size = os.path.getsize(os.path.join(folder, name))
            files.append((name, base64.b64encode(head).decode(), size))
        before = b.js("Number(document.getElementById('status').dataset.runs)")
        # The safetensors file is handed over as its header followed by a zero-filled Blob of the
        # tensor data's size (what a File of that size holds), so the test need not pass the data in.
        b.js(f"""(() => {{
          const dt = new DataTransfer();
          for (const [name, data, size] of {json.dumps(files)}) {{
            const head = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            dt.items.add(new File([head, new Blob([new ArrayBuffer(size - head.length)])], name));
          }}
          document.body.dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}}));
        }})()""")
        p = page_state(b, before)
        check(p["error"] is None and "--model=/drop/" in p["cli"] and ".safetensors" not in p["cli"],
              f"a dropped config.json + model.safetensors is estimated as a folder: {p['cli']}")
        compare_with_cli(llmmem, p, "dropped config.json + safetensors", model_path=folder)
        read = b.js("Number(document.getElementById('drop').dataset.bytesRead)")
        check(read < 1 << 20, f"the page read {read} bytes of the two files (config.json and a header)")

        # 6. A large GGUF chosen with the file picker: its 16 MiB+ header is read in widening slices,
        # its 1 GiB of tensor data never.
        big = os.path.join(work, "big-vocab.gguf")
        header = write_gguf(big, 1_400_000)
        size = os.path.getsize(big)
        before = b.js("Number(document.getElementById('status').dataset.runs)")
        node = b.call("DOM.querySelector", {"nodeId": b.call("DOM.getDocument", {}, b.session)["root"]["nodeId"],
                                            "selector": "#file"}, b.session)["nodeId"]
        b.call("DOM.setFileInputFiles", {"files": [big], "nodeId": node}, b.session)
        p = page_state(b, before)
        check(p["error"] is None, f"a GGUF with a {header}-byte header is estimated ({p['error']})")
        compare_with_cli(llmmem, p, "picked GGUF", model_path=big)
        read = b.js("Number(document.getElementById('drop').dataset.bytesRead)")
        check(header < read < size, f"the page read {read} bytes of the {size}-byte file (header {header})")

        # 7. Nothing but the page's own files was requested, and nothing was attempted and blocked.
        b.violations += b.js("window.__violations || []") or []
        check(not b.violations, f"no request blocked by the page's Content-Security-Policy: {b.violations}")
        urls = list(b.requests())
        local = [u for u in urls if u.startswith("file:")]
        other = [u for u in urls if not u.startswith(("file:", "data:", "about:", "blob:"))]
        check(any(u.endswith("/llmmem.js") for u in local) and any(u.endswith("/app.js") for u in local),
              f"the request log sees the page's own {len(local)} file loads")
        check(not other, f"no network request: {other}")
    finally:
        b.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
