// The browser side of mcp_notebook's MCP Apps host: an anywidget view that shows one App.
//
// The protocol with the App is the official host implementation, AppBridge from
// @modelcontextprotocol/ext-apps. What the App asks of the host (tool calls, resource reads,
// messages, model context, links, downloads, logs) is forwarded over the widget's comm to the
// kernel, which answers with the notebook's own connection to the server (AppSession in
// mcp_notebook/apps/_session.py). Only sizing, display mode and theme are handled here.
//
// Sandbox: where the page is on a loopback host and the kernel serves the sandbox proxy, the App
// runs in the spec's double iframe: a proxy frame from the kernel's loopback port under the other
// loopback name (another origin and another cookie host), holding the App in an opaque-origin
// srcdoc frame that inherits the proxy's Content-Security-Policy header. Otherwise (Binder,
// JupyterHub) the App runs in an opaque-origin srcdoc frame directly, with its policy as the first
// element of its document. Never allow-same-origin for the App, never allow-top-navigation,
// allow-popups or allow-downloads: links and downloads go through the kernel and the user's yes.

import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

const APP_SANDBOX = "allow-scripts allow-forms";
const PROXY_SANDBOX = "allow-scripts allow-same-origin allow-forms";
const PROXY_WAIT_MS = 4000; // then the proxy is taken as unreachable: srcdoc instead
const TEARDOWN_WAIT_MS = 2000; // how long an App may take to answer ui/resource-teardown
const MIN_HEIGHT = 40;
const START_HEIGHT = 160;
const OTHER_LOOPBACK = { "127.0.0.1": "localhost", localhost: "127.0.0.1", "[::1]": "127.0.0.1" };

// JupyterLab's theme variables, offered to the App under the spec's standard names.
const STYLE_VARIABLES = {
  "--color-background-primary": "--jp-layout-color0",
  "--color-background-secondary": "--jp-layout-color1",
  "--color-background-tertiary": "--jp-layout-color2",
  "--color-text-primary": "--jp-content-font-color1",
  "--color-text-secondary": "--jp-content-font-color2",
  "--color-text-tertiary": "--jp-content-font-color3",
  "--color-text-danger": "--jp-error-color1",
  "--color-text-success": "--jp-success-color1",
  "--color-text-warning": "--jp-warn-color1",
  "--color-text-info": "--jp-info-color1",
  "--color-border-primary": "--jp-border-color1",
  "--color-border-secondary": "--jp-border-color2",
  "--color-border-tertiary": "--jp-border-color3",
  "--color-ring-primary": "--jp-brand-color1",
  "--font-sans": "--jp-ui-font-family",
  "--font-mono": "--jp-code-font-family",
  "--font-text-md-size": "--jp-content-font-size1",
  "--border-radius-sm": "--jp-border-radius",
};

const CSS = `
.mcpnb-app { border: 1px solid var(--jp-border-color2, #ddd); border-radius: 4px; margin: 2px 0;
  background: var(--jp-layout-color0, #fff); color: var(--jp-content-font-color1, #111); }
.mcpnb-app[data-border="false"] { border-color: transparent; }
.mcpnb-app:fullscreen { display: flex; flex-direction: column; }
.mcpnb-app:fullscreen .mcpnb-app-frame { flex: 1; }
.mcpnb-app:fullscreen .mcpnb-app-frame iframe { height: 100% !important; }
.mcpnb-app-bar { display: flex; gap: 8px; align-items: center; padding: 2px 6px;
  font: 12px var(--jp-ui-font-family, sans-serif); color: var(--jp-ui-font-color2, #666);
  border-bottom: 1px solid var(--jp-border-color3, #eee); }
.mcpnb-app-title { font-weight: 600; color: var(--jp-ui-font-color1, #333); }
.mcpnb-app-bar .mcpnb-app-spacer { flex: 1; }
.mcpnb-app-bar button, .mcpnb-app-ask button { font: inherit; cursor: pointer; padding: 1px 8px;
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: 3px;
  background: var(--jp-layout-color1, #f5f5f5); color: var(--jp-ui-font-color1, #333); }
.mcpnb-app-ask { display: flex; gap: 8px; align-items: center; padding: 4px 6px;
  font: 13px var(--jp-ui-font-family, sans-serif); background: var(--jp-warn-color3, #fff3cd);
  color: var(--jp-ui-font-color1, #333); border-bottom: 1px solid var(--jp-border-color2, #ddd); }
.mcpnb-app-ask-text { flex: 1; overflow-wrap: anywhere; }
.mcpnb-app-frame iframe { display: block; width: 100%; border: 0; background: transparent; }
.mcpnb-app-closed { padding: 6px 8px; font: 12px var(--jp-ui-font-family, sans-serif);
  color: var(--jp-ui-font-color2, #666); }
`;

// PostMessageTransport, minus one cost: it logs every window message that is not its frame's,
// with the event, and pages post plenty (Lumino schedules work with postMessage: thousands a
// second in Voilà). Messages from other windows are dropped here before it sees them.
class FrameTransport extends PostMessageTransport {
  constructor(frameWindow) {
    super(frameWindow, frameWindow);
    const listen = this.messageListener;
    this.messageListener = (event) => {
      if (event.source === frameWindow) listen(event);
    };
  }
}

function addStyle() {
  if (document.getElementById("mcpnb-app-style")) return;
  const style = document.createElement("style");
  style.id = "mcpnb-app-style";
  style.textContent = CSS;
  document.head.appendChild(style);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function randomId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `v${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

function theme() {
  const light = document.body.dataset.jpThemeLight;
  if (light === "true") return "light";
  if (light === "false") return "dark";
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function styleVariables() {
  const computed = getComputedStyle(document.body);
  const variables = {};
  for (const [name, source] of Object.entries(STYLE_VARIABLES)) {
    const value = computed.getPropertyValue(source).trim();
    if (value) variables[name] = value;
  }
  return variables;
}

class AppView {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.id = randomId();
    this.pending = new Map(); // request id -> {resolve, reject}
    this.nextId = 0;
    this.bridge = null;
    this.frame = null;
    this.state = "loading";
    this.cleanups = [];
    this.displayMode = "inline";
  }

  // -- the page ----------------------------------------------------------------------------------

  start() {
    addStyle();
    const m = this.model;
    this.root = element("div", "mcpnb-app");
    this.root.dataset.state = "loading";
    if (m.get("prefers_border") === false) this.root.dataset.border = "false";
    const bar = element("div", "mcpnb-app-bar");
    bar.append(element("span", "mcpnb-app-title", m.get("title")), element("span", "mcpnb-app-kind", "MCP App"));
    const connects = m.get("connects_to");
    if (connects && connects.length) {
      bar.append(element("span", "mcpnb-app-connects", `· connects to ${connects.join(", ")}`));
    }
    this.sandboxNote = element("span", "mcpnb-app-sandbox");
    bar.append(this.sandboxNote, element("span", "mcpnb-app-spacer"));
    if (document.fullscreenEnabled) {
      const full = element("button", "mcpnb-app-fullscreen", "Full screen");
      full.title = "Show the App full screen (Esc returns)";
      full.addEventListener("click", () => this.toggleFullscreen());
      bar.append(full);
    }
    this.asks = element("div", "mcpnb-app-asks");
    this.frameHost = element("div", "mcpnb-app-frame");
    this.root.append(bar, this.asks, this.frameHost);
    this.el.append(this.root);

    const onMessage = (msg) => this.onKernelMessage(msg);
    const onResult = () => this.sendResult();
    const onCancelled = () => this.sendCancelled();
    m.on("msg:custom", onMessage);
    m.on("change:tool_result", onResult);
    m.on("change:tool_cancelled", onCancelled);
    this.cleanups.push(() => {
      m.off("msg:custom", onMessage);
      m.off("change:tool_result", onResult);
      m.off("change:tool_cancelled", onCancelled);
    });
    const onFullscreen = () => this.onFullscreenChange();
    document.addEventListener("fullscreenchange", onFullscreen);
    this.cleanups.push(() => document.removeEventListener("fullscreenchange", onFullscreen));
    const themeWatch = new MutationObserver(() => this.updateContext());
    themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
    const sizeWatch = new ResizeObserver(() => this.updateContext());
    sizeWatch.observe(this.frameHost);
    this.cleanups.push(() => themeWatch.disconnect(), () => sizeWatch.disconnect());

    if (m.get("closed")) {
      this.showClosed(m.get("closed"));
      return;
    }
    const proxy = this.proxyUrl();
    if (proxy) this.openProxied(proxy);
    else this.openDirect();
  }

  proxyUrl() {
    const mode = this.model.get("sandbox");
    const port = this.model.get("proxy_port");
    const path = this.model.get("proxy_path");
    const other = OTHER_LOOPBACK[location.hostname];
    if (mode === "srcdoc" || !port || !path || !other) return null;
    return `http://${other}:${port}${path}?host=${encodeURIComponent(location.origin)}`;
  }

  makeFrame(sandbox) {
    const frame = document.createElement("iframe");
    frame.setAttribute("sandbox", sandbox);
    frame.setAttribute("title", `MCP App: ${this.model.get("title")}`);
    frame.style.height = `${START_HEIGHT}px`;
    this.frameHost.replaceChildren(frame);
    this.frame = frame;
    return frame;
  }

  // A frame has a window only once it is in the page, and anywidget renders before the view is
  // attached: wait for it, then connect the bridge to that window (never to null, which would
  // take messages from any window), and only then load the frame, so no message is missed.
  attached(frame) {
    return new Promise((resolve) => {
      const check = () => {
        if (this.state === "closed" || this.frame !== frame) resolve(null);
        else if (frame.isConnected && frame.contentWindow) resolve(frame.contentWindow);
        else setTimeout(check, 30);
      };
      check();
    });
  }

  async openProxied(url) {
    const frame = this.makeFrame(PROXY_SANDBOX);
    const target = await this.attached(frame);
    if (!target) return;
    const bridge = this.connect(target);
    const fallback = setTimeout(() => {
      if (this.bridge !== bridge || this.sandbox) return;
      bridge.close();
      this.openDirect();
    }, PROXY_WAIT_MS);
    this.cleanups.push(() => clearTimeout(fallback));
    bridge.onsandboxready = () => {
      clearTimeout(fallback);
      if (this.bridge !== bridge || this.sandbox) return;
      this.opened("proxy");
      bridge.sendSandboxResourceReady({ html: this.model.get("html"), sandbox: APP_SANDBOX });
    };
    frame.src = url;
  }

  async openDirect() {
    const frame = this.makeFrame(APP_SANDBOX);
    const target = await this.attached(frame);
    if (!target) return;
    this.connect(target);
    this.opened("srcdoc");
    frame.srcdoc = this.model.get("html");
  }

  opened(mode) {
    this.sandbox = mode;
    this.root.dataset.sandbox = mode;
    this.sandboxNote.textContent = mode === "proxy" ? "· sandboxed (separate origin)" : "· sandboxed";
    this.notify("opened", { sandbox: mode });
  }

  showClosed(reason) {
    this.state = "closed";
    this.root.dataset.state = "closed";
    this.asks.replaceChildren();
    this.frameHost.replaceChildren(element("div", "mcpnb-app-closed", `App closed: ${reason}`));
    this.frame = null;
  }

  // -- the bridge ---------------------------------------------------------------------------------

  hostContext() {
    const width = this.frameHost.clientWidth;
    const dimensions = { maxHeight: this.model.get("max_height") };
    if (width > 0) dimensions.width = width;
    const modes = ["inline"];
    if (document.fullscreenEnabled) modes.push("fullscreen");
    const tool = this.model.get("tool_info");
    return {
      ...(tool && Object.keys(tool).length ? { toolInfo: { tool } } : {}),
      theme: theme(),
      styles: { variables: styleVariables() },
      displayMode: this.displayMode,
      availableDisplayModes: modes,
      containerDimensions: this.displayMode === "fullscreen" ? { height: this.frameHost.clientHeight, width } : dimensions,
      locale: navigator.language,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      userAgent: `mcp-notebook/${this.model.get("host_version")}`,
      platform: "web",
      deviceCapabilities: { touch: matchMedia("(pointer: coarse)").matches, hover: matchMedia("(hover: hover)").matches },
    };
  }

  updateContext() {
    if (this.bridge && this.state === "open") this.bridge.setHostContext(this.hostContext());
  }

  connect(target) {
    const capabilities = {
      openLinks: {},
      downloadFile: {},
      serverTools: {},
      serverResources: {},
      logging: {},
      message: { text: {}, image: {}, resource: {}, resourceLink: {} },
      updateModelContext: { text: {}, image: {}, resource: {}, resourceLink: {}, structuredContent: {} },
      sandbox: { permissions: {}, csp: this.model.get("csp_domains") || {} },
    };
    const info = { name: "mcp-notebook", version: this.model.get("host_version") };
    const bridge = new AppBridge(null, info, capabilities, { hostContext: this.hostContext() });
    const ask = (method) => (params) => this.request(method, params);
    bridge.oncalltool = ask("tools/call");
    bridge.onreadresource = ask("resources/read");
    bridge.onlistresources = ask("resources/list");
    bridge.onlistresourcetemplates = ask("resources/templates/list");
    bridge.onmessage = ask("ui/message");
    bridge.onupdatemodelcontext = ask("ui/update-model-context");
    bridge.onopenlink = ask("ui/open-link");
    bridge.ondownloadfile = ask("ui/download-file");
    bridge.onrequestdisplaymode = async ({ mode }) => ({ mode: await this.requestDisplayMode(mode) });
    bridge.onloggingmessage = (params) => this.notify("notifications/message", params);
    bridge.onsizechange = (size) => this.resize(size);
    bridge.onrequestteardown = () => this.teardown("the App asked to close");
    bridge.oninitialized = () => {
      this.state = "open";
      this.root.dataset.state = "open";
      this.notify("initialized", { appInfo: bridge.getAppVersion() || null });
      bridge.sendToolInput({ arguments: this.model.get("tool_input") || {} });
      this.sendResult();
      this.sendCancelled();
    };
    this.bridge = bridge;
    bridge.connect(new FrameTransport(target));
    return bridge;
  }

  sendResult() {
    const result = this.model.get("tool_result");
    if (this.state === "open" && result && !this.resultSent) {
      this.resultSent = true;
      this.bridge.sendToolResult(result);
    }
  }

  sendCancelled() {
    const reason = this.model.get("tool_cancelled");
    if (this.state === "open" && reason && !this.resultSent) {
      this.resultSent = true;
      this.bridge.sendToolCancelled({ reason });
    }
  }

  resize({ height }) {
    if (!this.frame || typeof height !== "number" || this.displayMode === "fullscreen") return;
    const clamped = Math.max(MIN_HEIGHT, Math.min(Math.ceil(height), this.model.get("max_height")));
    this.frame.style.height = `${clamped}px`;
    this.notify("size", { width: this.frameHost.clientWidth, height: clamped });
  }

  async requestDisplayMode(mode) {
    const declared = (this.bridge.getAppCapabilities() || {}).availableDisplayModes;
    if (mode === "fullscreen" && document.fullscreenEnabled && (!declared || declared.includes("fullscreen"))) {
      try {
        await this.root.requestFullscreen();
      } catch {
        // browsers allow it only right after a user gesture; the mode stays as it is
      }
    } else if (mode === "inline" && document.fullscreenElement === this.root) {
      await document.exitFullscreen();
    }
    return this.displayMode;
  }

  toggleFullscreen() {
    if (document.fullscreenElement === this.root) document.exitFullscreen();
    else this.root.requestFullscreen().catch(() => {});
  }

  onFullscreenChange() {
    const mode = document.fullscreenElement === this.root ? "fullscreen" : "inline";
    if (mode !== this.displayMode) {
      this.displayMode = mode;
      this.updateContext();
    }
  }

  // -- the kernel ---------------------------------------------------------------------------------

  request(method, params) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.model.send({ type: "request", view: this.id, id, method, params: params || {} });
    });
  }

  notify(method, params) {
    this.model.send({ type: "notify", view: this.id, method, params: params || {} });
  }

  onKernelMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "response" && msg.view === this.id) {
      const waiting = this.pending.get(msg.id);
      if (!waiting) return;
      this.pending.delete(msg.id);
      if (msg.error) {
        const error = new Error(msg.error.message);
        error.code = msg.error.code;
        waiting.reject(error);
      } else {
        waiting.resolve(msg.result);
      }
    } else if (msg.type === "ask") {
      this.showAsk(msg);
    } else if (msg.type === "teardown") {
      this.teardown(msg.reason || "closed");
    }
  }

  showAsk(msg) {
    if (this.state === "closed") return;
    const box = element("div", "mcpnb-app-ask");
    box.setAttribute("role", "alertdialog");
    box.dataset.kind = msg.kind;
    const yes = element("button", "mcpnb-app-ask-yes", msg.action || "Allow");
    const no = element("button", "mcpnb-app-ask-no", "Cancel");
    box.append(element("span", "mcpnb-app-ask-text", msg.text), yes, no);
    const answer = (ok) => {
      box.remove();
      this.model.send({ type: "answer", view: this.id, ask: msg.ask, ok });
    };
    yes.addEventListener("click", () => {
      // The click is the user's gesture: the only moment a browser lets a page open a tab.
      if (msg.kind === "open-link" && typeof msg.url === "string") window.open(msg.url, "_blank", "noopener,noreferrer");
      answer(true);
    });
    no.addEventListener("click", () => answer(false));
    this.asks.append(box);
  }

  // -- the end ------------------------------------------------------------------------------------

  async teardown(reason) {
    if (this.state === "closed" || this.state === "closing") return;
    const bridge = this.bridge;
    const wasOpen = this.state === "open";
    this.state = "closing";
    if (bridge && wasOpen) {
      // What the App made of ui/resource-teardown, kept on the element (tests and curious users read it).
      try {
        this.root.dataset.teardown = await Promise.race([
          bridge.teardownResource({ reason }).then(() => "answered"),
          new Promise((resolve) => setTimeout(() => resolve("no answer"), TEARDOWN_WAIT_MS)),
        ]);
      } catch (error) {
        // The App answered with an error (many do not handle teardown: "Method not found"); it is
        // removed all the same.
        this.root.dataset.teardown = `answered with an error: ${error && error.message}`;
      }
    }
    if (bridge) bridge.close();
    this.showClosed(reason);
    this.notify("closed", { reason });
  }

  dispose() {
    // The output was cleared (or the view removed): the frame is already out of the page, so the
    // App cannot be asked first; the kernel is told, and stops answering this view.
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const waiting of this.pending.values()) waiting.reject(new Error("the view was removed"));
    this.pending.clear();
    if (this.bridge) this.bridge.close();
    if (this.state !== "closed") this.notify("removed", { reason: "its output was cleared" });
    this.state = "closed";
  }
}

function render({ model, el }) {
  const view = new AppView(model, el);
  view.start();
  return () => view.dispose();
}

export default { render };
