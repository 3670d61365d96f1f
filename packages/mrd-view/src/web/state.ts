/// <reference lib="dom" />
/**
 * The view state lives in the URL's hash (`#v=images&f=0&g=dataset&s=image_0&i=3`), so every
 * view can be bookmarked and shared; the page only reads and writes it through here.
 */
import { useEffect, useState } from 'preact/hooks';

export type ViewState = Record<string, string>;

function readHash(): ViewState {
  return Object.fromEntries(new URLSearchParams(location.hash.replace(/^#/, '')));
}

function writeHash(s: ViewState, push: boolean): void {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) if (v !== undefined && v !== '') q.set(k, v);
  const url = `#${q.toString()}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  window.dispatchEvent(new Event('mrd-view-state'));
}

/** The current state and a setter: `set(changes, push)` merges (a value of '' removes a key); `push` adds a history entry (view changes), else the entry is replaced (sliders, window). */
export function useViewState(): [ViewState, (changes: ViewState, push?: boolean) => void, (next: ViewState) => void] {
  const [state, setState] = useState<ViewState>(readHash());
  useEffect(() => {
    const on = () => setState(readHash());
    window.addEventListener('hashchange', on);
    window.addEventListener('popstate', on);
    window.addEventListener('mrd-view-state', on);
    return () => {
      window.removeEventListener('hashchange', on);
      window.removeEventListener('popstate', on);
      window.removeEventListener('mrd-view-state', on);
    };
  }, []);
  const set = (changes: ViewState, push = false) => writeHash({ ...readHash(), ...changes }, push);
  const replace = (next: ViewState) => writeHash(next, true);
  return [state, set, replace];
}

export const num = (s: ViewState, k: string, d = 0): number => {
  const v = Number(s[k]);
  return s[k] !== undefined && Number.isFinite(v) ? v : d;
};
