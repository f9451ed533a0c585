// Secrets never reach a terminal or a log: a password (or token) inside a URL's userinfo
// (`http://user:pw@host`) is replaced before the URL is shown anywhere.

/** The URL with any userinfo replaced by `***` (the rest as given); text that is not a URL passes unchanged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}

/** Every URL-with-userinfo inside free text (an error message, a config dump) redacted. */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1***@');
}
