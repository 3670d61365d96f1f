/**
 * The XML layer under the header model: fast-xml-parser's ordered node lists converted to and
 * from the project's own `XmlElement` tree, so the model code never depends on the parser's
 * node shapes.
 *
 * Parsing: well-formedness is checked first (`XMLValidator`), then the document is read in
 * order (`preserveOrder`) without value conversion or trimming (xs:string content keeps its
 * whitespace); predefined and numeric character references are decoded; comments and
 * processing instructions are dropped; CDATA becomes text.
 *
 * Serializing: text and attribute values are escaped here (text: & < >, attributes: & < > " and
 * tab/newline/carriage return, the way Python's XML writers do) and fast-xml-parser's builder,
 * with its own entity processing off, lays the elements out, indented.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { IsmrmrdHeaderError } from './errors.js';
import type { XmlElement, XmlNode } from './types.js';

const TEXT = '#text';
const ATTRS = ':@';
const COMMENT = '#comment';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: COMMENT,
});

type FxpNode = Record<string, unknown>;

function fromFxp(node: FxpNode): XmlNode | undefined {
  for (const key of Object.keys(node)) {
    if (key === ATTRS) continue;
    if (key === TEXT) return String(node[TEXT]);
    if (key === COMMENT || key.startsWith('?')) return undefined;
    const kids = (node[key] as FxpNode[]) ?? [];
    const children: XmlNode[] = [];
    for (const k of kids) {
      const c = fromFxp(k);
      if (c === undefined) continue;
      // Adjacent text (text split by a comment or CDATA) is merged.
      const last = children[children.length - 1];
      if (typeof c === 'string' && typeof last === 'string') children[children.length - 1] = last + c;
      else children.push(c);
    }
    const el: XmlElement = { name: key, children };
    const attrs = node[ATTRS] as Record<string, string> | undefined;
    if (attrs && Object.keys(attrs).length > 0) el.attributes = { ...attrs };
    return el;
  }
  return undefined;
}

/** Parse an XML document to its root element. Throws IsmrmrdHeaderError('', ...) when not well-formed. */
export function parseXmlDocument(xml: string): XmlElement {
  // A leading byte-order mark is legal before the declaration.
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  let nodes: FxpNode[];
  try {
    const valid = XMLValidator.validate(text);
    if (valid !== true) {
      const e = valid.err;
      throw new IsmrmrdHeaderError('', `not well-formed XML (line ${e.line}, column ${e.col}): ${e.msg}`);
    }
    nodes = parser.parse(text) as FxpNode[];
  } catch (e) {
    // The parser throws plain Errors on some input the validator lets through (found by fuzzing).
    if (e instanceof IsmrmrdHeaderError) throw e;
    throw new IsmrmrdHeaderError('', `not well-formed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const roots: XmlElement[] = [];
  for (const n of nodes) {
    const c = fromFxp(n);
    if (c === undefined) continue;
    if (typeof c === 'string') {
      if (c.trim() !== '') throw new IsmrmrdHeaderError('', 'not well-formed XML: text outside the root element');
      continue;
    }
    roots.push(c);
  }
  if (roots.length !== 1) {
    throw new IsmrmrdHeaderError('', roots.length === 0 ? 'no root element' : `${roots.length} root elements, expected one`);
  }
  return roots[0]!;
}

/** Escape character data the way Python's XML writers (ElementTree, saxutils) do. */
export function escapeXmlText(s: string): string {
  if (!/[&<>]/.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeXmlAttribute(s: string): string {
  if (!/[&<>"\n\r\t]/.test(s)) return s;
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#09;');
}

function toFxp(el: XmlElement): FxpNode {
  const kids: FxpNode[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') {
      if (c !== '') kids.push({ [TEXT]: escapeXmlText(c) });
    } else kids.push(toFxp(c));
  }
  const node: FxpNode = { [el.name]: kids };
  if (el.attributes && Object.keys(el.attributes).length > 0) {
    const a: Record<string, string> = {};
    for (const [k, v] of Object.entries(el.attributes)) a[k] = escapeXmlAttribute(v);
    node[ATTRS] = a;
  }
  return node;
}

export interface XmlLayout {
  /** Indentation unit; '' writes everything on one line. */
  indent: string;
  /** The XML declaration line, or '' for none. */
  declaration: string;
}

const builders = new Map<string, XMLBuilder>();
function builderFor(indent: string): XMLBuilder {
  let b = builders.get(indent);
  if (!b) {
    b = new XMLBuilder({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      format: indent !== '',
      indentBy: indent,
      suppressEmptyNode: true,
      processEntities: false,
      suppressBooleanAttributes: false,
    });
    builders.set(indent, b);
  }
  return b;
}

/** Serialize a root element: declaration line, the element tree, a final newline. */
export function serializeXmlDocument(root: XmlElement, layout: XmlLayout): string {
  const body = (builderFor(layout.indent).build([toFxp(root)]) as string).replace(/^\n+/, '').replace(/\n+$/, '');
  return (layout.declaration ? layout.declaration + '\n' : '') + body + '\n';
}

/**
 * Text of unknown elements with element children (mixed content) loses its surrounding
 * whitespace (the indenting serializer re-flows it); whitespace-only text between elements is
 * layout and is dropped. Leaf text is kept as is.
 */
export function normalizeUnknownElement(el: XmlElement): XmlElement {
  const hasElements = el.children.some((c) => typeof c !== 'string');
  const children: XmlNode[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') {
      if (!hasElements) children.push(c);
      else if (c.trim() !== '') children.push(c.trim());
    } else children.push(normalizeUnknownElement(c));
  }
  const out: XmlElement = { name: el.name, children };
  if (el.attributes) out.attributes = { ...el.attributes };
  return out;
}
