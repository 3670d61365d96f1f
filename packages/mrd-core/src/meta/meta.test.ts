import { readFileSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { reference } from '../testing/index.js';
import { MetaAttributes, MetaAttributesError, parseMeta, parseMetaDocument, scanPlainMeta, serializeMeta } from './meta.js';
import { createRoi, parseRoi } from './roi.js';
import { formatPythonFixed, formatPythonFloat } from './python-format.js';

describe('MetaAttributes', () => {
  it('serializes as Python ismrmrd.Meta.serialize()', () => {
    const m = new MetaAttributes();
    m.set('DataRole', 'Image');
    m.set('ImageProcessingHistory', ['FIRE', 'PYTHON']);
    m.set('Keep_image_geometry', 1);
    m.set('WindowCenter', formatPythonFloat(2048));
    m.set('Flag', true);
    m.set('Ratio', 0.5);
    m.set('Empty', '');
    m.set('Escaped', 'a & b < c > d "q"');
    expect(m.serialize()).toBe(
      "<?xml version='1.0' encoding='UTF-8'?>\n<ismrmrdMeta>" +
        '<meta><name>DataRole</name><value>Image</value></meta>' +
        '<meta><name>ImageProcessingHistory</name><value>FIRE</value><value>PYTHON</value></meta>' +
        '<meta><name>Keep_image_geometry</name><value>1</value></meta>' +
        '<meta><name>WindowCenter</name><value>2048.0</value></meta>' +
        '<meta><name>Flag</name><value>True</value></meta>' +
        '<meta><name>Ratio</name><value>0.5</value></meta>' +
        '<meta><name>Empty</name><value /></meta>' +
        '<meta><name>Escaped</name><value>a &amp; b &lt; c &gt; d "q"</value></meta>' +
        '</ismrmrdMeta>',
    );
    expect(new MetaAttributes().serialize()).toBe("<?xml version='1.0' encoding='UTF-8'?>\n<ismrmrdMeta />");
  });

  it('keeps first-set order when a name is set again (Python dict), moves it last after delete', () => {
    const m = new MetaAttributes({ A: 1, B: 2, C: 3 });
    m.set('A', 'x');
    expect(m.names()).toEqual(['A', 'B', 'C']);
    m.delete('B');
    m.set('B', 'y');
    expect(m.names()).toEqual(['A', 'C', 'B']);
    m.append('B', 'z', 4);
    expect(m.getAll('B')).toEqual(['y', 'z', '4']);
  });

  it('parses single and multiple values; repeated names merge in place', () => {
    const xml = `<?xml version="1.0"?>
<ismrmrdMeta>
\t<meta>
\t\t<name>A</name>
\t\t<value>1.5</value>
\t</meta>
\t<meta><name>B</name><value>x</value><value> y </value></meta>
\t<meta><name>A</name><value>2</value><value>3</value></meta>
\t<meta><name>E</name><value/></meta>
</ismrmrdMeta>`;
    const m = parseMeta(xml);
    expect(m.names()).toEqual(['A', 'B', 'E']);
    expect(m.getAll('A')).toEqual(['1.5', '2', '3']);
    expect(m.getNumbers('A')).toEqual([1.5, 2, 3]);
    expect(m.get('B')).toBe('x');
    expect(m.getAll('B')).toEqual(['x', ' y ']);
    expect(m.get('E')).toBe('');
    expect(m.toObject()).toEqual({ A: ['1.5', '2', '3'], B: ['x', ' y '], E: '' });
    expect(m.getNumber('A')).toBe(1.5);
    expect(() => m.getInt('A')).toThrow(MetaAttributesError);
    expect(() => m.getNumber('B')).toThrow(/meta attribute B: could not convert string to float/);
    expect(m.getNumber('missing')).toBeUndefined();
    // Re-serialized and parsed again: same content.
    expect(parseMeta(m.serialize()).toObject()).toEqual(m.toObject());
  });

  it('parses entities, a trailing NUL and bytes; empty text is an empty set', () => {
    const s = "<?xml version='1.0' encoding='UTF-8'?>\n<ismrmrdMeta><meta><name>T</name><value>a &amp; &lt;b&gt; é</value></meta></ismrmrdMeta>";
    expect(parseMeta(s + '\0').get('T')).toBe('a & <b> é');
    expect(parseMeta(new TextEncoder().encode(s)).serialize()).toBe(s);
    expect(parseMeta('').size).toBe(0);
  });

  it('rejects malformed XML, a wrong root and a meta without name', () => {
    expect(() => parseMeta('<ismrmrdMeta><meta>')).toThrow(MetaAttributesError);
    expect(() => parseMeta('<other/>')).toThrow(/root element is <other>/);
    expect(() => parseMeta('<ismrmrdMeta><meta><value>1</value></meta></ismrmrdMeta>')).toThrow(/has no <name>/);
  });
});

describe('the plain-layout scanner agrees with the general parser', () => {
  const plain = [
    "<?xml version='1.0' encoding='UTF-8'?>\n<ismrmrdMeta><meta><name>A</name><value>1</value><value>2</value></meta></ismrmrdMeta>",
    '<?xml version="1.0"?>\n<ismrmrdMeta>\n\t<meta>\n\t\t<name>A</name>\n\t\t<value> 1.5 </value>\n\t</meta>\n</ismrmrdMeta>\n',
    '<ismrmrdMeta><!-- c --><meta><name>A&amp;B</name><value>&lt;&gt;&quot;&apos;&#233;&#x1F600;</value><value/><value /></meta><meta><name/></meta></ismrmrdMeta>',
    '<ismrmrdMeta><meta><name>A</name><value>x</value></meta><meta><name>B</name></meta><meta><name>A</name><value>y</value></meta></ismrmrdMeta>',
    '<ismrmrdMeta/>',
    '<?xml version="1.0" encoding="utf-8" standalone="yes"?><ismrmrdMeta />',
  ];
  const general = [
    '<ismrmrdMeta><meta><value>1</value><name>A</name></meta></ismrmrdMeta>',
    '<ismrmrdMeta><meta><name>A</name><value><![CDATA[<x>]]></value></meta></ismrmrdMeta>',
    '<ismrmrdMeta><meta id="1"><name>A</name><value>1</value></meta></ismrmrdMeta>',
    '<ismrmrdMeta><meta><name>A</name><value>1</value><extra>2</extra></meta><other/></ismrmrdMeta>',
  ];
  it('reads the plain layouts itself, with the same result as the general parser', () => {
    for (const s of plain) {
      const fast = scanPlainMeta(s);
      expect(fast, s).toBeDefined();
      expect([...fast!], s).toEqual([...parseMetaDocument(s)]);
    }
  });
  it('hands every other construct to the general parser', () => {
    for (const s of general) {
      expect(scanPlainMeta(s), s).toBeUndefined();
      expect(parseMeta(s).get('A'), s).toBeDefined();
    }
    expect(parseMeta(general[1]!).get('A')).toBe('<x>');
    // An undefined entity: the scanner declines, the general parser keeps it as text (ElementTree would raise).
    const bogus = '<ismrmrdMeta><meta><name>A</name><value>a &bogus; b</value></meta></ismrmrdMeta>';
    expect(scanPlainMeta(bogus)).toBeUndefined();
    expect(parseMeta(bogus).get('A')).toBe('a &bogus; b');
  });
  it('never accepts malformed input', () => {
    for (const s of ['<ismrmrdMeta><meta><name>A</name></ismrmrdMeta>', '<ismrmrdMeta><meta><name>A</value></meta></ismrmrdMeta>',
      '<ismrmrdMeta></ismrmrdMeta>trailing', '<ismrmrdMeta><meta><name>A</name><value>1</value></meta>']) {
      expect(scanPlainMeta(s), s).toBeUndefined();
      expect(() => parseMeta(s), s).toThrow(MetaAttributesError);
    }
  });
});

async function imageAttributes(rel: string): Promise<string[]> {
  await h5wasm.ready;
  const f = new h5wasm.File(reference(rel), 'r');
  try {
    const group = f.get('dataset') as InstanceType<typeof h5wasm.Group>;
    const out: string[] = [];
    for (const key of group.keys()) {
      if (!key.startsWith('image_')) continue;
      const ds = f.get(`dataset/${key}/attributes`) as InstanceType<typeof h5wasm.Dataset>;
      for (const v of ds.value as unknown as (string | Uint8Array)[]) out.push(typeof v === 'string' ? v : new TextDecoder().decode(v));
    }
    return out;
  } finally {
    f.close();
  }
}

interface StreamImage { attributes: string; readDir: number[]; phaseDir: number[]; rows: number; cols: number }

/** The IMAGE messages of a reference stream, read independently of the project's stream codec. */
function streamImages(rel: string): StreamImage[] {
  const b = readFileSync(reference(rel));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sizes: Record<number, number> = { 1: 2, 2: 2, 3: 4, 4: 4, 5: 4, 6: 8, 7: 8, 8: 16 };
  const out: StreamImage[] = [];
  let i = 0;
  while (i < b.length) {
    const id = dv.getUint16(i, true);
    i += 2;
    if (id === 1022) {
      const h = i;
      i += 198;
      const n = Number(dv.getBigUint64(i, true));
      i += 8;
      const attributes = b.subarray(i, i + n).toString('utf8');
      i += n;
      const mx = dv.getUint16(h + 16, true), my = dv.getUint16(h + 18, true), mz = dv.getUint16(h + 20, true);
      const ch = dv.getUint16(h + 34, true);
      i += mx * my * mz * ch * sizes[dv.getUint16(h + 2, true)]!;
      const f3 = (o: number) => [0, 1, 2].map((k) => dv.getFloat32(h + o + 4 * k, true));
      out.push({ attributes, readDir: f3(48), phaseDir: f3(60), rows: my, cols: mx });
    } else if (id === 5 || id === 3 || id === 2) i += 4 + dv.getUint32(i, true);
    else if (id === 1) i += 1024;
    else if (id === 4) continue;
    else throw new Error(`unexpected message id ${id} at ${i - 2} in ${rel}`);
  }
  return out;
}

const OUTPUTS = ['cpp_invertcontrast', 'images_invertcontrast_sendoriginal', 'invertcontrast_complex', 'invertcontrast_m64', 'invertcontrast_rgb', 'invertcontrast_roi', 'simplefft_m64'];

describe('meta attributes of the reference outputs', () => {
  for (const c of OUTPUTS) {
    it(`${c}: every image attribute string re-serializes byte for byte (HDF5 and stream)`, async () => {
      const fromFile = await imageAttributes(`outputs/${c}.h5`);
      const fromStream = streamImages(`streams/${c}.server-to-client.bin`).map((s) => s.attributes);
      expect(fromFile.length).toBeGreaterThan(0);
      expect(fromStream.length).toBeGreaterThan(0);
      for (const s of [...fromFile, ...fromStream]) expect(serializeMeta(parseMeta(s))).toBe(s);
      expect(new Set(fromStream)).toEqual(new Set(fromFile));
    });
  }

  // Builds the attributes the way invertcontrast.py does, from the values it starts from.
  function invertcontrastMeta(img: StreamImage, withRoi: boolean): string {
    const m = new MetaAttributes(); // as received from process_raw
    m.set('DataRole', 'Image');
    m.set('ImageProcessingHistory', ['FIRE', 'PYTHON']);
    m.set('Keep_image_geometry', 1);
    const maxVal = 2 ** 12 - 1;
    m.set('DataRole', 'Image');
    m.set('ImageProcessingHistory', ['PYTHON', 'INVERT']);
    m.set('WindowCenter', formatPythonFloat((maxVal + 1) / 2));
    m.set('WindowWidth', String(maxVal + 1));
    m.set('SequenceDescriptionAdditional', 'FIRE');
    m.set('Keep_image_geometry', 1);
    if (withRoi) m.set('ROI_example', exampleRoi(img.rows, img.cols));
    m.set('ImageRowDir', img.readDir.map((v) => formatPythonFixed(v, 18)));
    m.set('ImageColumnDir', img.phaseDir.map((v) => formatPythonFixed(v, 18)));
    return m.serialize();
  }

  // invertcontrast.py create_example_roi: a heart in the bottom right, 10% of the image size.
  function exampleRoi(rows: number, cols: number): string[] {
    const n = 50;
    const t = Array.from({ length: n }, (_, i) => (i === n - 1 ? 2 * Math.PI : i * ((2 * Math.PI) / (n - 1))));
    let x = t.map((v) => 16 * Math.sin(v) ** 3);
    let y = t.map((v) => -13 * Math.cos(v) + 5 * Math.cos(2 * v) + 2 * Math.cos(3 * v) + Math.cos(4 * v));
    const norm = (a: number[]) => { const lo = Math.min(...a), hi = Math.max(...a); return a.map((v) => (v - lo) / (hi - lo)); };
    const small = Math.min(rows, cols);
    x = norm(x).map((v) => v * 0.1 * small + (cols - 0.2 * small));
    y = norm(y).map((v) => v * 0.1 * small + (rows - 0.2 * small));
    return createRoi(x, y, { rgb: [1, 0, 0], thickness: 1, style: 0, visibility: 1 });
  }

  for (const [c, roi] of [['invertcontrast_m64', false], ['invertcontrast_roi', true], ['cpp_invertcontrast', false]] as const) {
    it(`${c}: the attributes built as invertcontrast.py builds them are the reference bytes`, () => {
      const images = streamImages(`streams/${c}.server-to-client.bin`);
      for (const img of images) expect(invertcontrastMeta(img, roi)).toBe(img.attributes);
    });
  }

  it('invertcontrast_roi: the ROI parses and re-creates to the same values', () => {
    const [img] = streamImages('streams/invertcontrast_roi.server-to-client.bin');
    const values = parseMeta(img!.attributes).getAll('ROI_example')!;
    const roi = parseRoi(values);
    expect(roi.rgb).toEqual([1, 0, 0]);
    expect(roi.thickness).toBe(1);
    expect(roi.style).toBe(0);
    expect(roi.visibility).toBe(1);
    expect(roi.x).toHaveLength(50);
    expect(createRoi(roi.x, roi.y, roi)).toEqual(values);
  });
});
