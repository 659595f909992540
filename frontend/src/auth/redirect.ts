// Leaving the app for a page the server renders (the issuer's authorize
// page, a social provider's sign-in): a full page load. One function so
// tests can watch where the app went.
export function loadPage(url: string) {
  window.location.assign(url);
}
