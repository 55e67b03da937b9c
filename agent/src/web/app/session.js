/**
 * The token the user logged in with, kept in sessionStorage: it lives as long as the tab and is
 * never sent anywhere but in the Authorization header of the page's own calls.
 */
const key = 'kedge.dashboard.token';

export function savedToken() {
  return sessionStorage.getItem(key) ?? '';
}

/** @param {string} token */
export function saveToken(token) {
  sessionStorage.setItem(key, token);
}

export function forgetToken() {
  sessionStorage.removeItem(key);
}
