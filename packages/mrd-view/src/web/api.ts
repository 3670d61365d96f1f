/// <reference lib="dom" />
/** The page's requests: all to the server that served it (relative URLs), JSON or binary envelopes. */
import { decodeEnvelope, type TypedArray } from '../protocol/envelope.js';
import type { FileTree, GroupTree } from '../protocol/file-tree.js';

export type Params = Record<string, string | number | undefined | null>;

function query(path: string, p: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function checked(res: Response): Promise<Response> {
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      msg = ((await res.json()) as { error?: string }).error ?? msg;
    } catch { /* not JSON */ }
    throw new Error(msg);
  }
  return res;
}

export async function getJson<T>(path: string, p: Params = {}): Promise<T> {
  return (await (await checked(await fetch(query(path, p)))).json()) as T;
}

export async function getText(path: string, p: Params = {}): Promise<string> {
  return (await checked(await fetch(query(path, p)))).text();
}

export async function getBinary<T>(path: string, p: Params = {}): Promise<{ json: T; arrays: Record<string, TypedArray> }> {
  return decodeEnvelope<T>(await (await checked(await fetch(query(path, p)))).arrayBuffer());
}

export interface FilesInfo {
  files: FileTree[];
  initial: { view: string; f: number; g: string; s?: string } | null;
  flags: Record<string, string>;
  imageFlags: Record<string, string>;
  counters: string[];
}
