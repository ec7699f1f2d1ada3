// Sign-in shared by FreshKB's pages (/, /admin, /my). The access token is kept in this browser
// tab only (sessionStorage, one key for every page) and forgotten as soon as the API rejects it
// (HTTP 401), so a rejected token is never sent again, not even after a reload.
"use strict";
const FreshKB = (() => {
  const KEY = "freshkb.token";
  let input = null;

  function setup(field, forgetButton) {
    input = field;
    // Back from the identity provider (/auth/callback): the token is in the fragment, which no
    // server sees; keep it for the tab and take it out of the address bar and history at once.
    const m = /^#freshkb_token=([A-Za-z0-9._~-]+)$/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(KEY, m[1]);
      history.replaceState(null, "", location.pathname + location.search);
    }
    input.value = sessionStorage.getItem(KEY) || "";
    if (forgetButton) forgetButton.addEventListener("click", () => { forget(); input.focus(); });
    offerLogin();
  }

  async function offerLogin() {
    // With [auth.jwt.login] configured, a link to sign in through the identity provider.
    try {
      const resp = await fetch("/auth/config");
      if (!resp.ok || !(await resp.json()).login) return;
    } catch (e) { return; }
    const a = el("a", {id: "sso", href: `/auth/login?next=${encodeURIComponent(location.pathname)}`,
                       text: "Sign in with your company account"});
    const p = el("p", {class: "hint"}, a, " or paste an access token.");
    const row = input.closest(".row") || input;
    row.after(p);
  }

  function token() { return input ? input.value.trim() : ""; }

  function remember() {
    const t = token();
    if (t) sessionStorage.setItem(KEY, t);
    return t;
  }

  function forget() {
    sessionStorage.removeItem(KEY);
    if (input) input.value = "";
  }

  async function api(path, body) {
    // GET without a body, POST with one (JSON). A 401 forgets the token before the caller sees it.
    const headers = {"Authorization": `Bearer ${token()}`};
    const init = {method: "GET", headers};
    if (body !== undefined) {
      init.method = "POST";
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    if (resp.status === 401) forget();
    return resp;
  }

  async function message(resp) {
    const data = await resp.json().catch(() => null);
    return data && data.error ? data.error.message : `request failed (HTTP ${resp.status})`;
  }

  function el(tag, props, ...children) {
    // Builds elements with textContent only: no data ever goes through innerHTML.
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }

  function safeUrl(url) {
    try {
      const u = new URL(url, location.href);
      return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null;
    } catch (e) { return null; }
  }

  function link(title, url) {
    const href = url ? safeUrl(url) : null;
    return href ? el("a", {href, rel: "noopener noreferrer", target: "_blank", text: title})
                : el("span", {text: title});
  }

  return {setup, token, remember, forget, api, message, el, link};
})();
