// Parses Mermaid text from stdin with mermaid's own parser; exit 1 and the error when it does not parse.
import { JSDOM } from 'jsdom';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMPurify = undefined;
const { default: mermaid } = await import('mermaid');
let text = '';
for await (const chunk of process.stdin) text += chunk;
try {
  const result = await mermaid.parse(text);
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(String(e.message || e));
  process.exit(1);
}
