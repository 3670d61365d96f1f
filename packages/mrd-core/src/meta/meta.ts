/**
 * ISMRMRD meta attributes (`ismrmrdMeta` XML), as ismrmrd-python's `ismrmrd.Meta` (the one the
 * reference server uses) and the C++ `MetaContainer`:
 *
 *   <ismrmrdMeta><meta><name>N</name><value>v1</value><value>v2</value></meta>...</ismrmrdMeta>
 *
 * - Each name holds a list of string values (one or more; the C++ MetaValue keeps the text too).
 *   Number helpers read them as Python's `float()`/`int()` would.
 * - Names keep the order they were first set in, and setting an existing name replaces its
 *   values in place (Python dict semantics); a name repeated in the XML merges its values.
 * - Values given as numbers/booleans are converted with Python's `str()`: integral numbers below
 *   1e16 as ints (`1`), others as Python floats (`0.5`, `1e+16`), bigints as ints, `True`/`False`. For a float that happens to be
 *   integral (Python `2048.0`) pass `formatPythonFloat(x)`, the same for fixed formats
 *   (`formatPythonFixed`).
 * - `serialize()` writes exactly the bytes of Python's `Meta.serialize()` (ElementTree with
 *   declaration): `<?xml version='1.0' encoding='UTF-8'?>\n<ismrmrdMeta>...` on one line, `&`,
 *   `<`, `>` escaped, `<value />` for an empty value.
 *
 * Parsing: meta attributes travel with every image, so the plain layouts the ISMRMRD libraries
 * write (declaration, `<meta>`, `<name>`, `<value>`, whitespace, comments, character references)
 * are read by a small strict scanner (much faster than the general parser: docs/wire.md); any other
 * construct (attributes, CDATA, DOCTYPE, unknown elements, or anything malformed) goes through
 * fast-xml-parser via the header's XML layer, which also produces the error for malformed input.
 * Serializing is plain string building because the output must match ElementTree byte for byte.
 */
import { IsmrmrdHeaderError } from '../xml-header/errors.js';
import { escapeXmlText, parseXmlDocument } from '../xml-header/xml-document.js';
import type { XmlElement } from '../xml-header/types.js';
import { formatPythonFloat, parsePythonFloat, parsePythonInt, PythonValueError } from './python-format.js';

export type MetaValue = string | number | bigint | boolean;

/** Malformed meta attribute XML, or a value that does not read as the requested type. */
export class MetaAttributesError extends Error {
  override name = 'MetaAttributesError';
}

/** Python `str()` of a meta value. */
function formatMetaValue(v: MetaValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v === 0 ? 0 : v);
  return formatPythonFloat(v);
}

const META_XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>";

export class MetaAttributes implements Iterable<[string, string[]]> {
  private readonly map = new Map<string, string[]>();

  /**
   * From `[name, value]` pairs (kept in order) or a plain object (JavaScript orders integer-like
   * keys of an object first; use pairs where that matters).
   */
  constructor(init?: Iterable<readonly [string, MetaValue | readonly MetaValue[]]> | Record<string, MetaValue | readonly MetaValue[]>) {
    if (!init) return;
    const entries = Symbol.iterator in init ? (init as Iterable<readonly [string, MetaValue | readonly MetaValue[]]>) : Object.entries(init);
    for (const [k, v] of entries) this.set(k, v);
  }

  /** Parse `ismrmrdMeta` XML (Python `Meta.deserialize`). An empty string gives an empty set. */
  static parse(xml: string | Uint8Array): MetaAttributes {
    return parseMeta(xml);
  }

  get size(): number {
    return this.map.size;
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
  /** The first value of a name (what a single-valued attribute holds). */
  get(name: string): string | undefined {
    return this.map.get(name)?.[0];
  }
  /** All values of a name (a copy). */
  getAll(name: string): string[] | undefined {
    const v = this.map.get(name);
    return v ? [...v] : undefined;
  }
  /** The first value read as Python `float()`; undefined when absent, MetaAttributesError when not a number. */
  getNumber(name: string): number | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : toNumber(name, v, parsePythonFloat);
  }
  getNumbers(name: string): number[] | undefined {
    return this.map.get(name)?.map((v) => toNumber(name, v, parsePythonFloat));
  }
  /** The first value read as Python `int()` (so "3.0" is an error, as in Python). */
  getInt(name: string): number | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : toNumber(name, v, parsePythonInt);
  }
  getInts(name: string): number[] | undefined {
    return this.map.get(name)?.map((v) => toNumber(name, v, parsePythonInt));
  }

  /** Set a name to one value or a list (replacing what it held; a new name goes last). */
  set(name: string, value: MetaValue | readonly MetaValue[]): this {
    const values = Array.isArray(value) ? (value as readonly MetaValue[]).map(formatMetaValue) : [formatMetaValue(value as MetaValue)];
    this.map.set(name, values);
    return this;
  }
  /** Append values to a name (creating it when absent), as C++ `MetaContainer::append`. */
  append(name: string, ...values: MetaValue[]): this {
    const list = this.map.get(name);
    if (list) list.push(...values.map(formatMetaValue));
    else this.map.set(name, values.map(formatMetaValue));
    return this;
  }
  delete(name: string): boolean {
    return this.map.delete(name);
  }
  clone(): MetaAttributes {
    const m = new MetaAttributes();
    for (const [k, v] of this.map) m.map.set(k, [...v]);
    return m;
  }
  entries(): IterableIterator<[string, string[]]> {
    return this.map.entries();
  }
  [Symbol.iterator](): IterableIterator<[string, string[]]> {
    return this.map.entries();
  }
  /** As Python's deserialized dict: a single value as a string, several as a list. */
  toObject(): Record<string, string | string[]> {
    const o: Record<string, string | string[]> = {};
    for (const [k, v] of this.map) o[k] = v.length === 1 ? v[0]! : [...v];
    return o;
  }
  serialize(): string {
    return serializeMeta(this);
  }
}

function toNumber(name: string, v: string, parse: (s: string) => number): number {
  try {
    return parse(v);
  } catch (e) {
    throw new MetaAttributesError(`meta attribute ${name}: ${e instanceof PythonValueError ? e.message : String(e)}`);
  }
}

/** ElementTree's `.text` of an element: the text before its first child element ('' when none). */
function elementText(el: XmlElement): string {
  const first = el.children[0];
  return typeof first === 'string' ? first : '';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decode the references of character data; undefined when a reference is not a valid XML one. */
function decodeText(s: string): string | undefined {
  if (!s.includes('&')) return s;
  let bad = false;
  const out = s.replace(/&([^;&<]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) {
      bad = true;
      return m;
    }
    if (body in ENTITIES) return ENTITIES[body]!;
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(body);
    if (num) {
      const cp = num[1]!.startsWith('x') ? parseInt(num[1]!.slice(1), 16) : parseInt(num[1]!, 10);
      if (cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
    }
    bad = true;
    return m;
  });
  return bad ? undefined : out;
}

/**
 * The strict scanner for the plain layouts (see the module comment; exported for tests, use parseMeta). Returns undefined on
 * anything outside them, so the general parser decides.
 */
export function scanPlainMeta(text: string): MetaAttributes | undefined {
  const re = /\s*(?:<!--(?:(?!--)[\s\S])*-->\s*)*/y;
  let pos = 0;
  const skip = () => {
    re.lastIndex = pos;
    re.exec(text);
    pos = re.lastIndex;
  };
  const take = (token: string): boolean => {
    if (!text.startsWith(token, pos)) return false;
    pos += token.length;
    return true;
  };
  const decl = /^<\?xml\s+version\s*=\s*(['"])1\.[0-9]+\1(\s+encoding\s*=\s*(['"])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(['"])(yes|no)\5)?\s*\?>/.exec(text);
  if (decl) pos = decl[0].length;
  skip();
  // <name>text</name> or <name/> / <name />; returns the decoded text, undefined when not that.
  const leaf = (tag: string): string | undefined => {
    if (take(`<${tag}/>`) || take(`<${tag} />`)) return '';
    if (!take(`<${tag}>`)) return undefined;
    const end = text.indexOf('<', pos);
    if (end < 0 || !text.startsWith(`</${tag}>`, end)) return undefined;
    const decoded = decodeText(text.slice(pos, end));
    if (decoded === undefined) return undefined;
    pos = end + tag.length + 3;
    return decoded;
  };
  const meta = new MetaAttributes();
  if (take('<ismrmrdMeta/>') || take('<ismrmrdMeta />')) {
    skip();
    return pos === text.length ? meta : undefined;
  }
  if (!take('<ismrmrdMeta>')) return undefined;
  for (;;) {
    skip();
    if (take('</ismrmrdMeta>')) break;
    if (!take('<meta>')) return undefined;
    skip();
    const name = leaf('name');
    if (name === undefined) return undefined;
    const values: string[] = [];
    for (;;) {
      skip();
      if (take('</meta>')) break;
      const v = leaf('value');
      if (v === undefined) return undefined;
      values.push(v);
    }
    const existing = meta.getAll(name);
    meta.set(name, existing ? [...existing, ...values] : values);
  }
  skip();
  return pos === text.length ? meta : undefined;
}

/** Parse `ismrmrdMeta` XML. Accepts the Python (one line) and the C++ (indented) layouts and a trailing NUL. */
export function parseMeta(xml: string | Uint8Array): MetaAttributes {
  let text = typeof xml === 'string' ? xml : new TextDecoder('utf-8').decode(xml);
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  if (text.trim() === '') return new MetaAttributes();
  return scanPlainMeta(text) ?? parseMetaDocument(text);
}

/** The general path: any well-formed document, through fast-xml-parser (exported for tests; use parseMeta). */
export function parseMetaDocument(text: string): MetaAttributes {
  const meta = new MetaAttributes();
  let root: XmlElement;
  try {
    root = parseXmlDocument(text);
  } catch (e) {
    throw new MetaAttributesError(`meta attributes: ${e instanceof IsmrmrdHeaderError ? e.reason : String(e)}`);
  }
  if (root.name !== 'ismrmrdMeta') throw new MetaAttributesError(`meta attributes: root element is <${root.name}>, expected <ismrmrdMeta>`);
  let index = 0;
  for (const child of root.children) {
    if (typeof child === 'string' || child.name !== 'meta') continue;
    const nameEl = child.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'name');
    if (!nameEl) throw new MetaAttributesError(`meta attributes: <meta> element ${index} has no <name>`);
    const name = elementText(nameEl);
    const values = child.children
      .filter((c): c is XmlElement => typeof c !== 'string' && c.name === 'value')
      .map(elementText);
    const existing = meta.getAll(name);
    if (existing) meta.set(name, [...existing, ...values]);
    else meta.set(name, values);
    index++;
  }
  return meta;
}

/** Serialize exactly as Python's `ismrmrd.Meta.serialize()` (see the module comment). */
export function serializeMeta(meta: MetaAttributes | Iterable<readonly [string, readonly string[]]>): string {
  let body = '';
  for (const [name, values] of meta) {
    body += '<meta>' + (name === '' ? '<name />' : `<name>${escapeXmlText(name)}</name>`);
    for (const v of values) body += v === '' ? '<value />' : `<value>${escapeXmlText(v)}</value>`;
    body += '</meta>';
  }
  return META_XML_DECLARATION + '\n' + (body === '' ? '<ismrmrdMeta />' : `<ismrmrdMeta>${body}</ismrmrdMeta>`);
}
