// The sign-in page: a token exchanged for a session cookie; afterwards back to the page asked for.
import { esc } from "../format.js";
import { ApiError, signIn } from "../http.js";
import { go, state, t } from "../state.js";

/** Where to go after signing in: a path of this site only (never another origin). */
export function nextPath() {
  const next = new URLSearchParams(window.location.search).get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

export async function renderSignin(main, _args, { onSignedIn }) {
  main.innerHTML = `<section class="card signin" data-testid="signin"><h1>${esc(t("signinTitle"))}</h1>
    <p>${esc(t("signinBody"))}</p>
    <form id="signin-form"><label for="signin-token" class="sr-only">${esc(t("signinToken"))}</label>
      <input id="signin-token" name="token" type="password" autocomplete="current-password" required placeholder="${esc(t("signinToken"))}">
      <button type="submit" data-testid="signin-submit">${esc(t("signinSubmit"))}</button></form>
    <p class="bad" id="signin-error" role="alert" data-testid="signin-error"></p></section>`;
  document.getElementById("signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const field = document.getElementById("signin-token");
    document.body.dataset.ready = "0"; // busy until the page asked for is drawn
    try {
      state.session = await signIn(state.lang, field.value.trim());
      field.value = "";
      onSignedIn();
      go(nextPath());
    } catch (err) {
      const what = err instanceof ApiError && err.status === 401 ? t("signinBad") : err.message;
      document.getElementById("signin-error").textContent = t("signinFailed", { what });
      document.body.dataset.ready = "1";
    }
  });
}
