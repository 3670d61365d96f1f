/**
 * The XML header against independent peers:
 * - `xmllint --schema ismrmrd.xsd` (libxml2-utils) validates what serializeIsmrmrdHeader writes,
 *   for the schema examples and the headers of the reference inputs;
 * - the ISMRMRD C++ library (`ismrmrd_test_xml` from ismrmrd-tools) reads what we write, and every
 *   value it writes back (it keeps the subset of the schema its version knows, floats at
 *   single precision) equals ours.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { parseIsmrmrdHeader, serializeIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { commandOnPath, reference } from '@mrd-tools/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '../../packages/mrd-core/src/xml-header/fixtures');
const xsd = join(fixtures, 'ismrmrd.xsd');
const work = mkdtempSync(join(tmpdir(), 'mrd-xml-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hasXmllint = commandOnPath('xmllint');
const hasCpp = commandOnPath('ismrmrd_test_xml');
if (process.env.CI && (!hasXmllint || !hasCpp)) throw new Error('interop peers missing: apt-get install libxml2-utils ismrmrd-tools');

const INPUTS = ['inputs/phantom_m64_c4_r2.h5', 'inputs/phantom_m64_c4_noiseless.h5', 'inputs/phantom_m64_waveforms.h5', 'inputs/cpp_phantom_m64_c4_noise_traj.h5'];

async function documents(): Promise<[string, string][]> {
  const docs: [string, string][] = readdirSync(fixtures).filter((f) => f.endsWith('.xml')).map((f) => [f, readFileSync(join(fixtures, f), 'utf8')]);
  for (const rel of INPUTS) {
    const f = await MrdFile.open(reference(rel));
    try {
      const xml = f.readHeader('dataset');
      if (xml === undefined) throw new Error(`${rel}: no dataset/xml`);
      docs.push([rel, xml]);
    } finally {
      f.close();
    }
  }
  return docs;
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

describe.skipIf(!hasXmllint)(`serialized headers validate against ismrmrd.xsd (xmllint)${hasXmllint ? '' : ' [skipped: xmllint missing]'}`, () => {
  it('every schema example and reference input header', async () => {
    const docs = await documents();
    expect(docs.length).toBeGreaterThanOrEqual(9);
    for (const [name, xml] of docs) {
      const file = join(work, `ours-${safeName(name)}`);
      writeFileSync(file, serializeIsmrmrdHeader(parseIsmrmrdHeader(xml)));
      const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
    }
  });

  it('xmllint rejects an invalid header (the check can fail)', () => {
    const file = join(work, 'invalid.xml');
    writeFileSync(file, '<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><encoding/></ismrmrdHeader>');
    expect(spawnSync('xmllint', ['--noout', '--schema', xsd, file]).status).not.toBe(0);
  });
});

/** Every leaf of `cpp` is in `ours` with the same value (numbers to single precision as the C++ library prints them). */
function expectSubset(cpp: unknown, ours: unknown, path: string): void {
  if (typeof cpp === 'number') {
    expect(typeof ours, path).toBe('number');
    const o = ours as number;
    if (Number.isInteger(cpp) && Number.isInteger(o)) expect(o, path).toBe(cpp);
    else expect(Math.abs(o - cpp), path).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(o)));
  } else if (Array.isArray(cpp)) {
    expect(Array.isArray(ours), path).toBe(true);
    expect((ours as unknown[]).length, path).toBe(cpp.length);
    cpp.forEach((v, i) => expectSubset(v, (ours as unknown[])[i], `${path}[${i}]`));
  } else if (cpp && typeof cpp === 'object') {
    for (const [k, v] of Object.entries(cpp)) {
      if (k === 'unknownAttributes' && path === 'ismrmrdHeader') continue; // the C++ writer adds its namespace declarations
      expectSubset(v, (ours as Record<string, unknown>)[k], `${path}/${k}`);
    }
  } else expect(ours, path).toBe(cpp);
}

describe.skipIf(!hasCpp)(`the ISMRMRD C++ library reads what we write${hasCpp ? '' : ' [skipped: ismrmrd_test_xml missing]'}`, () => {
  it('every schema example and reference input header', async () => {
    const docs = await documents();
    for (const [name, xml] of docs) {
      const ours = parseIsmrmrdHeader(xml);
      const dir = mkdtempSync(join(work, 'cpp-'));
      const file = join(dir, 'ours.xml');
      writeFileSync(file, serializeIsmrmrdHeader(ours));
      execFileSync('ismrmrd_test_xml', [file], { cwd: dir, stdio: 'pipe' });
      const cpp = parseIsmrmrdHeader(readFileSync(join(dir, 'processed.xml'), 'utf8'));
      expectSubset(cpp, ours, 'ismrmrdHeader');
      // The essentials survive in any version.
      expect(cpp.encoding.length, name).toBe(ours.encoding.length);
      expect(cpp.experimentalConditions.H1resonanceFrequency_Hz, name).toBe(ours.experimentalConditions.H1resonanceFrequency_Hz);
    }
  });
});
