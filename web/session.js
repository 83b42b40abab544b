// The token lives in sessionStorage only (gone when the tab closes). A `#token=` fragment is
// read once and removed from the address bar, so it is not left in history or bookmarks.

const KEY = 'spout.token';

/** Take a token from the `#token=` fragment, store it, and clean the address bar. */
export function adoptFragmentToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (!token) return;
  sessionStorage.setItem(KEY, token);
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

/** The stored token, or null. */
export const loadToken = () => sessionStorage.getItem(KEY);

/** Store a token typed in the sign-in form. */
export const saveToken = (token) => sessionStorage.setItem(KEY, token);

/** Forget the token. */
export const clearToken = () => sessionStorage.removeItem(KEY);
