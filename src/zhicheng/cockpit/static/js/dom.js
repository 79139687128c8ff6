// The one escape of the cockpit's pages: data goes into markup only through escapeHtml (or as text
// nodes). tests/cockpit/test_no_markup_from_data.py checks every script for it.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/** ``value`` as HTML text: safe between tags and inside quoted attribute values. */
export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}
