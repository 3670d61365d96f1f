# Writes MRD HDF5 files with python3-h5py (ismrmrd-python's layout, MATLAB's layout, malformed
# parts, a file larger than 2 GB) and the values written, as JSON, for
# tests/interop/hdf5-reader.test.ts. Usage: hdf5-reader-fixtures.py <kind> <out.h5> <out.json> [seed]
import json
import sys

import h5py
import numpy as np

kind, out_h5, out_json = sys.argv[1], sys.argv[2], sys.argv[3]
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
rng = np.random.default_rng(seed)

ec = np.dtype([('kspace_encode_step_1', '<u2'), ('kspace_encode_step_2', '<u2'), ('average', '<u2'),
               ('slice', '<u2'), ('contrast', '<u2'), ('phase', '<u2'), ('repetition', '<u2'), ('set', '<u2'),
               ('segment', '<u2'), ('user', '<u2', (8,))])
ah = np.dtype([('version', '<u2'), ('flags', '<u8'), ('measurement_uid', '<u4'), ('scan_counter', '<u4'),
               ('acquisition_time_stamp', '<u4'), ('physiology_time_stamp', '<u4', (3,)),
               ('number_of_samples', '<u2'), ('available_channels', '<u2'), ('active_channels', '<u2'),
               ('channel_mask', '<u8', (16,)), ('discard_pre', '<u2'), ('discard_post', '<u2'),
               ('center_sample', '<u2'), ('encoding_space_ref', '<u2'), ('trajectory_dimensions', '<u2'),
               ('sample_time_us', '<f4'), ('position', '<f4', (3,)), ('read_dir', '<f4', (3,)),
               ('phase_dir', '<f4', (3,)), ('slice_dir', '<f4', (3,)), ('patient_table_position', '<f4', (3,)),
               ('idx', ec), ('user_int', '<i4', (8,)), ('user_float', '<f4', (8,))])
ih = np.dtype([('version', '<u2'), ('data_type', '<u2'), ('flags', '<u8'), ('measurement_uid', '<u4'),
               ('matrix_size', '<u2', (3,)), ('field_of_view', '<f4', (3,)), ('channels', '<u2'),
               ('position', '<f4', (3,)), ('read_dir', '<f4', (3,)), ('phase_dir', '<f4', (3,)),
               ('slice_dir', '<f4', (3,)), ('patient_table_position', '<f4', (3,)), ('average', '<u2'),
               ('slice', '<u2'), ('contrast', '<u2'), ('phase', '<u2'), ('repetition', '<u2'), ('set', '<u2'),
               ('acquisition_time_stamp', '<u4'), ('physiology_time_stamp', '<u4', (3,)), ('image_type', '<u2'),
               ('image_index', '<u2'), ('image_series_index', '<u2'), ('user_int', '<i4', (8,)),
               ('user_float', '<f4', (8,)), ('attribute_string_len', '<u4')])
wh_names = ['version', 'flags', 'measurement_uid', 'scan_counter', 'time_stamp', 'number_of_samples', 'channels',
            'sample_time_us', 'waveform_id']
wh_formats = ['<u2', '<u8', '<u4', '<u4', '<u4', '<u2', '<u2', '<f4', '<u2']
wh_offsets = [0, 8, 16, 20, 24, 28, 30, 32, 36]
wh = np.dtype({'names': wh_names, 'formats': wh_formats, 'offsets': wh_offsets, 'itemsize': 40})
wh_matlab = np.dtype({'names': wh_names, 'formats': wh_formats, 'offsets': wh_offsets, 'itemsize': 38})
vf = h5py.vlen_dtype(np.dtype('<f4'))
vu = h5py.vlen_dtype(np.dtype('<u4'))
acq_dt = np.dtype([('head', ah), ('traj', vf), ('data', vf)])  # ismrmrd-python: offsets 0, 340, 356
acq_matlab = np.dtype({'names': ['head', 'traj', 'data'], 'formats': [ah, vf, vf], 'offsets': [0, 344, 360], 'itemsize': 376})
wav_dt = np.dtype([('head', wh), ('data', vu)])
wav_matlab = np.dtype({'names': ['head', 'data'], 'formats': [wh_matlab, vu], 'offsets': [0, 42], 'itemsize': 58})
cf = np.dtype([('real', '<f4'), ('imag', '<f4')])
cd = np.dtype([('real', '<f8'), ('imag', '<f8')])
PIXELS = {1: '<u2', 2: '<i2', 3: '<u4', 4: '<i4', 5: '<f4', 6: '<f8', 7: cf, 8: cd}


def randomize(rec, dt):
    """Random values in every field of a structured scalar, full ranges for integers."""
    for name in dt.names:
        sub = dt[name]
        if sub.names:
            randomize(rec[name], sub)
            continue
        base, shape = sub.base, sub.shape
        if base.kind in 'ui':
            info = np.iinfo(base)
            rec[name] = rng.integers(info.min, info.max, size=shape, dtype=base, endpoint=True)
        else:
            rec[name] = (rng.standard_normal(shape) * 100).astype(base)


def to_json(v):
    if isinstance(v, np.void) and v.dtype.names:
        return {n: to_json(v[n]) for n in v.dtype.names}
    if isinstance(v, np.ndarray) and v.ndim == 0:
        if v.dtype.names:
            return {n: to_json(v[n]) for n in v.dtype.names}
        return to_json(v[()])
    if isinstance(v, np.ndarray):
        if v.dtype.names:
            return [to_json(x) for x in v]
        if v.dtype == np.uint64 or v.dtype == np.int64:
            return [str(int(x)) for x in v.ravel()]
        return [to_json(x) for x in v.ravel()]
    if isinstance(v, (np.uint64, np.int64)):
        return str(int(v))
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def record(dtype, **fields):
    """A 1-element structured array (vlen members hold numpy arrays)."""
    rec = np.zeros((1,), dtype=dtype)
    for k, v in fields.items():
        if isinstance(v, np.ndarray) and v.dtype.names is None:
            rec[k][0] = v
        else:
            rec[k] = v
    return rec


def acquisition(i, channels, samples, traj_dims):
    h = np.zeros((), dtype=ah)
    randomize(h, ah)
    h['number_of_samples'] = samples
    h['active_channels'] = channels
    h['trajectory_dimensions'] = traj_dims
    h['scan_counter'] = i
    data = rng.standard_normal(2 * channels * samples).astype('<f4')
    traj = rng.standard_normal(samples * traj_dims).astype('<f4')
    return h, traj, data


def write_acquisitions(g, n, dtype, expect, empty_every=0):
    d = g.create_dataset('data', (n,), maxshape=(None,), dtype=dtype, chunks=(1,))
    out = []
    for i in range(n):
        empty = empty_every and i % empty_every == 0
        h, traj, data = acquisition(i, 0 if empty else int(rng.integers(1, 5)), 0 if empty else int(rng.integers(1, 70)),
                                    int(rng.integers(0, 4)))
        d[i:i + 1] = record(dtype, head=h, traj=traj, data=data)
        out.append({'head': to_json(h), 'traj': to_json(traj), 'data': to_json(data)})
    expect['acquisitions'] = out


def write_waveforms(g, n, dtype, hdt, expect):
    d = g.create_dataset('waveforms', (n,), maxshape=(None,), dtype=dtype, chunks=(1,))
    out = []
    for i in range(n):
        h = np.zeros((), dtype=hdt)
        randomize(h, hdt)
        h['channels'] = int(rng.integers(1, 6))
        h['number_of_samples'] = int(rng.integers(0, 50))
        data = rng.integers(0, 2**32 - 1, size=int(h['channels']) * int(h['number_of_samples']), dtype='<u4', endpoint=True)
        d[i:i + 1] = record(dtype, head=h, data=data)
        out.append({'head': to_json(h), 'data': to_json(data)})
    expect['waveforms'] = out


def write_series(g, name, data_type, n, shape, expect_series, attr_text, compress=False):
    ch, z, y, x = shape
    s = g.create_group(name)
    filters = {'compression': 'gzip', 'shuffle': True} if compress else {}
    hd = s.create_dataset('header', (n,), maxshape=(None,), dtype=ih, chunks=(1,), **filters)
    ad = s.create_dataset('attributes', (n,), maxshape=(None,), dtype=h5py.string_dtype('utf-8'), chunks=(1,))
    dd = s.create_dataset('data', (n, ch, z, y, x), maxshape=(None, ch, z, y, x), dtype=PIXELS[data_type],
                          chunks=(1, ch, z, y, x), **filters)
    out = []
    for i in range(n):
        h = np.zeros((), dtype=ih)
        randomize(h, ih)
        h['data_type'] = data_type
        h['channels'] = ch
        h['matrix_size'] = (x, y, z)
        attr = attr_text(i)
        h['attribute_string_len'] = len(attr.encode('utf-8'))
        if data_type in (7, 8):
            base = '<f4' if data_type == 7 else '<f8'
            px = np.zeros((ch, z, y, x), dtype=PIXELS[data_type])
            px['real'] = rng.standard_normal((ch, z, y, x)).astype(base)
            px['imag'] = rng.standard_normal((ch, z, y, x)).astype(base)
            flat = np.stack([px['real'].ravel(), px['imag'].ravel()], axis=1).ravel()
        elif data_type in (5, 6):
            px = rng.standard_normal((ch, z, y, x)).astype(PIXELS[data_type])
            flat = px.ravel()
        else:
            info = np.iinfo(np.dtype(PIXELS[data_type]))
            px = rng.integers(info.min, info.max, size=(ch, z, y, x), dtype=PIXELS[data_type], endpoint=True)
            flat = px.ravel()
        hd[i] = h
        ad[i] = attr
        dd[i] = px
        out.append({'head': to_json(h), 'attribute': attr, 'data': to_json(flat)})
    expect_series[name] = out


XML = '<?xml version="1.0" encoding="utf-8"?>\n<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><studyInformation><studyDescription>Kopf ü µ 頭</studyDescription></studyInformation></ismrmrdHeader>\n'

expect = {}
if kind == 'all':
    # optional: HDF5 format bounds ('latest': superblock v3, v4 layouts with extensible/fixed array
    # chunk indexes, dense link storage) and a userblock before the superblock
    libver = sys.argv[5] if len(sys.argv) > 5 else 'earliest'
    userblock = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    f = h5py.File(out_h5, 'w', libver=(libver, 'latest'), userblock_size=userblock)
    # 1. ismrmrd-python layout, group named like the reference client's default (str(datetime.now()))
    name = '2026-11-24 05:10:11.123456'
    g = f.create_group(name)
    g.create_dataset('xml', data=np.array([XML.encode('utf-8')], dtype=h5py.string_dtype('ascii')))  # (1,) vlen bytes
    e = expect[name] = {'xml': XML, 'images': {}}
    write_acquisitions(g, 40, acq_dt, e, empty_every=9)
    write_waveforms(g, 12, wav_dt, wh, e)
    for dt_, series, shape in [(1, 'image_0', (1, 1, 4, 5)), (2, 'image_1', (2, 1, 3, 4)), (3, 'image_2', (1, 2, 3, 3)),
                               (4, 'image_3', (3, 1, 2, 5)), (5, 'image_10', (1, 1, 6, 4)), (6, 'images_4', (2, 2, 2, 2)),
                               (7, 'image_5', (2, 1, 4, 3)), (8, 'image_6', (1, 3, 2, 2))]:
        write_series(g, series, dt_, 3, shape, e['images'],
                     lambda i, s=series: f'<?xml version="1.0"?><ismrmrdMeta><meta><name>Note</name><value>{s} #{i} Grüße ✓</value></meta></ismrmrdMeta>')
    write_series(g, 'image_20', 2, 4, (2, 1, 16, 16), e['images'], lambda i: f'gzip+shuffle #{i}', compress=True)
    g.create_group('image_extra')  # not a series: no header/data
    e['series'] = [k for k in g.keys() if k in e['images']]  # h5py's iteration order
    for t, text in [('config_file', 'invertcontrast'), ('config', '{"a": 1, "ü": true}'), ('configAdditional', '{"parameters": {}}')]:
        g.create_dataset(t, data=np.array([text.encode('utf-8')], dtype=h5py.string_dtype('ascii')))
        e[t] = text
    # 2. MATLAB layout (traj/data at 344/360, 376-byte records; 38-byte waveform header, data at 42),
    #    scalar UTF-8 XML as the C library writes it
    name = 'matlab style ✓'
    g = f.create_group(name)
    g.create_dataset('xml', data=XML, dtype=h5py.string_dtype('utf-8'))
    e = expect[name] = {'xml': XML, 'images': {}}
    write_acquisitions(g, 25, acq_matlab, e)
    write_waveforms(g, 7, wav_matlab, wh_matlab, e)
    # 3. one acquisition, fixed-length string texts; 4. zero acquisitions, no xml
    g = f.create_group('one')
    e = expect['one'] = {'images': {}, 'xml': XML}
    xml_bytes = XML.encode('utf-8')
    g.create_dataset('xml', data=np.array([xml_bytes], dtype=f'S{len(xml_bytes)}'))  # fixed length, no NUL
    g.create_dataset('config', data=np.array([b'fixed'], dtype='S20'))  # fixed length, NUL padded
    e['config'] = 'fixed'
    cx = (rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))).astype(np.complex64)
    g.create_dataset('np_complex', data=cx)  # h5py's own complex type: compound {r, i}
    e['arrays'] = {'np_complex': {'shape': [2, 3], 'data': to_json(np.stack([cx.real.ravel(), cx.imag.ravel()], axis=1).ravel())}}
    write_acquisitions(g, 1, acq_dt, e)
    g = f.create_group('empty')
    e = expect['empty'] = {'images': {}}
    write_acquisitions(g, 0, acq_dt, e)
    write_series(g, 'image_0', 5, 0, (1, 1, 2, 2), e['images'], lambda i: '')
    f.close()
elif kind == 'malformed':
    f = h5py.File(out_h5, 'w')
    g = f.create_group('badlen')
    d = g.create_dataset('data', (3,), maxshape=(None,), dtype=acq_dt, chunks=(1,))
    for i in range(3):
        h, traj, data = acquisition(i, 2, 8, 0)
        if i == 1:
            data = data[:-2]
        d[i:i + 1] = record(acq_dt, head=h, traj=traj, data=data)
    g = f.create_group('badimage')
    s = g.create_group('image_0')
    h = np.zeros((2,), dtype=ih)
    h['data_type'] = 5
    h['channels'] = 1
    h['matrix_size'] = (4, 4, 1)
    h[1]['matrix_size'] = (4, 3, 1)
    s.create_dataset('header', data=h, maxshape=(None,), chunks=(1,))
    s.create_dataset('data', data=np.zeros((2, 1, 1, 4, 4), dtype='<f4'), maxshape=(None, 1, 1, 4, 4), chunks=(1, 1, 1, 4, 4))
    s.create_dataset('attributes', data=['', ''], dtype=h5py.string_dtype('utf-8'), maxshape=(None,), chunks=(1,))
    g = f.create_group('badhead')
    ah_short = np.dtype([(n, ah[n]) for n in ah.names if n != 'scan_counter'])
    bad = np.dtype([('head', ah_short), ('traj', vf), ('data', vf)])
    g.create_dataset('data', (1,), maxshape=(None,), dtype=bad, chunks=(1,))
    g = f.create_group('shortimages')
    s = g.create_group('image_0')
    h = np.zeros((3,), dtype=ih)
    h['data_type'] = 2
    h['channels'] = 1
    h['matrix_size'] = (2, 2, 1)
    s.create_dataset('header', data=h, maxshape=(None,), chunks=(1,))
    s.create_dataset('data', data=np.zeros((2, 1, 1, 2, 2), dtype='<i2'), maxshape=(None, 1, 1, 2, 2), chunks=(1, 1, 1, 2, 2))
    g = f.create_group('badwave')
    d = g.create_dataset('waveforms', (1,), maxshape=(None,), dtype=wav_dt, chunks=(1,))
    h = np.zeros((), dtype=wh)
    h['channels'], h['number_of_samples'] = 2, 5
    d[0:1] = record(wav_dt, head=h, data=np.arange(9, dtype='<u4'))
    # stored pixel type differs from the header's data_type: readers convert (as ismrmrd-python)
    g = f.create_group('converted')
    for series, dt_, stored in [('image_0', 5, np.array([[[[[-3, 7], [300, -32768]]]]], dtype='<i2')),
                                ('image_1', 7, np.array([[[[[1.5, -2.0], [0.25, 8.0]]]]], dtype='<f4'))]:
        s = g.create_group(series)
        h = np.zeros((1,), dtype=ih)
        h['data_type'] = dt_
        h['channels'] = 1
        h['matrix_size'] = (2, 2, 1)
        s.create_dataset('header', data=h, maxshape=(None,), chunks=(1,))
        s.create_dataset('data', data=stored, maxshape=(None, 1, 1, 2, 2), chunks=(1, 1, 1, 2, 2))
    f.close()
elif kind == 'sparse-big':
    # A file over 2 GB whose MRD content lies beyond the 2 GB (and 4 GB) mark: an early-allocated,
    # never-written filler dataset first (sparse on disk: no real disk use), then the MRD group.
    from h5py import h5d, h5p, h5s, h5t
    filler_mb = int(sys.argv[5]) if len(sys.argv) > 5 else 4400
    f = h5py.File(out_h5, 'w')
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5d.FILL_TIME_NEVER)
    h5d.create(f.id, b'filler', h5t.NATIVE_UINT8, h5s.create_simple((filler_mb * 1024 * 1024,)), dcpl=dcpl)
    g = f.create_group('dataset')
    g.create_dataset('xml', data=XML, dtype=h5py.string_dtype('utf-8'))
    e = expect['dataset'] = {'xml': XML, 'images': {}}
    write_acquisitions(g, 20, acq_dt, e)
    write_series(g, 'image_0', 6, 2, (1, 1, 3, 3), e['images'], lambda i: 'x' * i)
    expect['offsets'] = {'firstAcquisitionChunk': int(g['data'].id.get_chunk_info(0).byte_offset),
                         'imageChunk': int(g['image_0/data'].id.get_chunk_info(0).byte_offset)}
    f.close()
elif kind == 'dense-big':
    # Real data past 2 GB: n acquisitions of 32 channels x 8192 samples (2 MB each).
    n = int(sys.argv[5])
    f = h5py.File(out_h5, 'w')
    g = f.create_group('dataset')
    g.create_dataset('xml', data=XML, dtype=h5py.string_dtype('utf-8'))
    d = g.create_dataset('data', (n,), maxshape=(None,), dtype=acq_dt, chunks=(1,))
    base = np.arange(2 * 32 * 8192, dtype='<f4')
    for i0 in range(0, n, 16):
        k = min(16, n - i0)
        recs = np.zeros((k,), dtype=acq_dt)
        for j in range(k):
            recs[j]['head']['scan_counter'] = i0 + j
            recs[j]['head']['number_of_samples'] = 8192
            recs[j]['head']['active_channels'] = 32
            recs['traj'][j] = np.zeros(0, dtype='<f4')
            recs['data'][j] = base + (i0 + j)
        d[i0:i0 + k] = recs
    f.close()
    expect['count'] = n
elif kind == 'dump':
    # Everything h5py reads from an existing MRD file (out_h5 is the INPUT here), as JSON.
    def text(v):
        v = v[()] if v.shape == () else v[0]
        return v.decode('utf-8') if isinstance(v, bytes) else v

    def flat(a):
        if a.dtype.names == ('real', 'imag'):
            return to_json(np.stack([a['real'].ravel(), a['imag'].ravel()], axis=1).ravel())
        return to_json(a.ravel())

    f = h5py.File(out_h5, 'r')
    for name, g in f.items():
        if not isinstance(g, h5py.Group):
            continue
        e = expect[name] = {'images': {}, 'arrays': {}}
        for key, obj in g.items():
            if key in ('xml', 'config_file', 'config', 'configAdditional'):
                e[key] = text(obj)
            elif key == 'data':
                e['acquisitions'] = [{'head': to_json(r['head']), 'traj': to_json(r['traj']), 'data': to_json(r['data'])} for r in obj[:]]
            elif key == 'waveforms':
                e['waveforms'] = [{'head': to_json(r['head']), 'data': to_json(r['data'])} for r in obj[:]]
            elif isinstance(obj, h5py.Group) and 'header' in obj and 'data' in obj:
                hs, ds = obj['header'][:], obj['data'][:]
                attrs = obj['attributes'][:] if 'attributes' in obj else [b''] * len(hs)
                e['images'][key] = [{'head': to_json(hs[i]), 'attribute': attrs[i].decode('utf-8') if isinstance(attrs[i], bytes) else attrs[i],
                                     'data': flat(ds[i])} for i in range(len(hs))]
            elif isinstance(obj, h5py.Dataset):
                e['arrays'][key] = {'shape': list(obj.shape), 'data': flat(obj[()])}
    f.close()
else:
    raise SystemExit('unknown kind ' + kind)

with open(out_json, 'w', encoding='utf-8') as fh:
    json.dump(expect, fh, ensure_ascii=False)
