// A strict well-formedness check for the pictures (any warning or error of the XML parser
// fails it) and small queries over the parsed document.
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

export function parseSvg(svg: string): Document {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => problems.push(`${level}: ${message}`) }).parseFromString(svg, 'image/svg+xml');
  if (problems.length > 0) throw new Error(`not well-formed XML: ${problems.join('; ')}`);
  const root = doc.documentElement;
  if (!root || root.tagName !== 'svg' || root.getAttribute('xmlns') !== 'http://www.w3.org/2000/svg') throw new Error('the root is not an <svg> in the SVG namespace');
  return doc;
}

export function elements(within: Document | Element, tag: string): Element[] {
  return Array.from(within.getElementsByTagName(tag));
}

export function hasClass(e: Element, cls: string): boolean {
  return (e.getAttribute('class') ?? '').split(/\s+/).includes(cls);
}

/** Elements of `tag` carrying every class in `classes`. */
export function withClass(doc: Document, tag: string, ...classes: string[]): Element[] {
  return elements(doc, tag).filter((e) => classes.every((c) => hasClass(e, c)));
}

/** All character data under `e`. */
export function textOf(e: Element): string {
  return e.textContent ?? '';
}

/** Elements of `tag` directly under `e`. */
export function children(e: Element, tag: string): Element[] {
  return Array.from(e.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).tagName === tag);
}
