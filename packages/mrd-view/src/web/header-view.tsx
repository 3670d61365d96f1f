/// <reference lib="dom" />
/** The XML header as a collapsible tree with search (matching elements and text highlighted, their ancestors opened). */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getText } from './api.js';
import type { ViewState } from './state.js';

interface Node {
  tag: string;
  text: string;
  children: Node[];
}

function toNode(e: Element): Node {
  const kids = Array.from(e.children);
  return { tag: e.localName, text: kids.length ? '' : (e.textContent ?? '').trim(), children: kids.map(toNode) };
}

function matches(n: Node, q: string): boolean {
  return n.tag.toLowerCase().includes(q) || n.text.toLowerCase().includes(q);
}

function Tree(props: { n: Node; q: string; depth: number; hits: Set<Node> }) {
  const { n, q, depth, hits } = props;
  const hit = q !== '' && matches(n, q);
  const label = <span class={hit ? 'hit' : ''}>{n.tag}</span>;
  if (!n.children.length) return <div class="xml-leaf" style={{ paddingLeft: `${depth}em` }}>{label}: <span class={`xml-text ${hit ? 'hit' : ''}`}>{n.text}</span></div>;
  const open = q ? hits.has(n) : depth < 2;
  return (
    <details open={open} style={{ paddingLeft: `${depth ? 1 : 0}em` }}>
      <summary>{label}</summary>
      {n.children.map((c) => <Tree n={c} q={q} depth={1} hits={hits} />)}
    </details>
  );
}

export function HeaderView(props: { state: ViewState; set: (c: ViewState) => void }) {
  const { f, g } = props.state;
  const [xml, setXml] = useState<string | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    setXml(null);
    getText('/api/xml', { f, g }).then(setXml, (e: Error) => setErr(e.message));
  }, [f, g]);
  const q = (props.state.q ?? '').toLowerCase();
  const root = useMemo(() => {
    if (!xml) return null;
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    if (doc.querySelector('parsererror')) return null;
    return toNode(doc.documentElement);
  }, [xml]);
  const hits = useMemo(() => {
    const s = new Set<Node>();
    if (!root || !q) return s;
    const walk = (n: Node): boolean => {
      let any = matches(n, q);
      for (const c of n.children) if (walk(c)) any = true;
      if (any) s.add(n);
      return any;
    };
    walk(root);
    return s;
  }, [root, q]);
  if (err) return <div class="error">{err}</div>;
  if (xml === null) return <div class="loading">Loading the XML header...</div>;
  if (xml === '') return <div class="empty">This group has no XML header.</div>;
  return (
    <div class="header-view">
      <div class="toolbar">
        <input type="search" placeholder="Search elements and values" value={props.state.q ?? ''} onInput={(e) => props.set({ q: (e.target as HTMLInputElement).value })} />
        <span>{q ? `${[...hits].filter((n) => matches(n, q)).length} matches` : ''}</span>
      </div>
      <div class="xml-tree">{root ? <Tree n={root} q={q} depth={0} hits={hits} /> : <pre>{xml}</pre>}</div>
    </div>
  );
}
