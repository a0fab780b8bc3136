// The admin API's bearer token, for a server started with one (--admin-token-file or KEEL_ADMIN_TOKEN). The
// console asks for it only when a request answers 401, keeps it in sessionStorage (this tab, until it closes:
// never written to disk the way localStorage or a cookie would be) and sends it on every later request.
// Without a token on the server nothing here ever runs.

const KEY = "keel.adminToken";
let inMemory = null; // when the browser refuses sessionStorage (privacy settings), for this page load only
let asking = null; // the open prompt: every request that meets a 401 meanwhile waits for the same answer
let declined = false; // cancelled: stop asking until the page is reloaded, or the 2-second pollers would nag

/** The token to send, or null. */
export function currentToken() {
  try {
    return sessionStorage.getItem(KEY) ?? inMemory;
  } catch {
    return inMemory;
  }
}

function store(token) {
  inMemory = token;
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // sessionStorage unavailable: inMemory holds it.
  }
}

/** The server refused this token: forget it, so it is neither sent again nor offered back. */
export const forgetToken = () => store(null);

/**
 * Asks for the token (one dialog however many requests are waiting); resolves with it once stored, or with null
 * when the operator cancels. `refused`: the last token was wrong, and the dialog says so.
 */
export function askForToken(refused) {
  if (declined) return Promise.resolve(null);
  asking ??= prompt(refused).finally(() => { asking = null; });
  return asking;
}

function prompt(refused) {
  const box = document.getElementById("token");
  const input = document.getElementById("token-input");
  const text = document.getElementById("token-text");
  text.textContent = refused
    ? "The server refused that token. Enter the admin token again."
    : "This server's admin API needs a token (the one keel-server was started with). It is kept for this browser tab only.";
  text.className = refused ? "notice error" : "muted";
  input.value = "";
  box.returnValue = "";
  // Not a submit button: Enter in the field submits with the form's first submit button, which must be "Use token".
  document.getElementById("token-cancel").onclick = () => box.close("cancel");
  return new Promise((resolve) => {
    box.addEventListener("close", () => {
      const token = input.value.trim();
      input.value = "";
      if (box.returnValue === "ok" && token) {
        store(token);
        resolve(token);
      } else {
        declined = true;
        resolve(null);
      }
    }, { once: true });
    box.showModal();
    input.focus();
  });
}
