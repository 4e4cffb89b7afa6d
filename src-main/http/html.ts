// Escapes text for HTML element content and quoted or unquoted attribute
// values: the characters that end a tag, an attribute or an entity, and the
// backtick and '=' that old parsers treated as attribute delimiters.
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}
