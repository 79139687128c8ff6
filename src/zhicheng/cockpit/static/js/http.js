// The API client every shell shares: the language parameter, JSON errors and the sign-in session.
// The cockpit keeps no token in the browser: signing in exchanges it for an HTTP-only session
// cookie (POST /api/session); every write riding that cookie echoes the session's CSRF token.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let csrf = null; // the session's CSRF token, held in memory only (from GET /api/session)

/** Call the server's API in ``lang``; ``body`` is FormData (multipart) or an object (JSON). */
export async function request(lang, path, { method = "GET", params = {}, body } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries({ lang, ...params })) {
    if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json" };
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data?.error?.message ?? response.statusText);
  return data;
}

/** Who is signed in (``GET /api/session``, never 401); keeps the session's CSRF token. */
export async function loadSession(lang) {
  return keepSession(await request(lang, "/api/session"));
}

/** Keep the CSRF token of a ``GET /api/session`` answer (one fetched early, say); returns it. */
export function keepSession(session) {
  csrf = session.csrf ?? null;
  return session;
}

/** Sign in with ``token``: the server sets the session cookie; the token is not kept. */
export async function signIn(lang, token) {
  const session = await request(lang, "/api/session", { method: "POST", body: { token } });
  csrf = session.csrf ?? null;
  return session;
}

/** Sign out: the server ends the session and clears the cookie. */
export async function signOut(lang) {
  await request(lang, "/api/session", { method: "DELETE" });
  csrf = null;
}
