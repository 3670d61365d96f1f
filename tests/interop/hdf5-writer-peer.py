#!/usr/bin/env python3
"""python3-h5py side of the HDF5 writer interop suite (tests/interop/hdf5-writer.test.ts).

  dump <file.h5> <group> <out.json>      every acquisition, waveform, image (+ texts) of a group
  append <file.h5> <group> <out.json>    appends acquisitions and images with h5py, writes what it added
  snapshot <file.h5> <out.json>          sha256 of every dataset's values (generic walk of the file)
  killcheck <file.h5> <group> <out.json> count + verify the deterministic records the SIGKILL child writes

64-bit integers are written as decimal strings; float32 values as the exact doubles; complex
pixels interleaved (re, im) as ISMRMRD's in-memory layout.
"""
import hashlib
import json
import sys

import h5py
import numpy as np


def conv(v, dt):
    if dt.names:
        return {n: conv(v[n], dt[n]) for n in dt.names}
    if dt.subdtype is not None:
        base = dt.subdtype[0]
        return [conv(x, base) for x in np.asarray(v).ravel()]
    if dt.kind == 'u' and dt.itemsize == 8:
        return str(int(v))
    if dt.kind in 'ui':
        return int(v)
    if dt.kind == 'f':
        return float(v)
    raise TypeError(f'unexpected dtype {dt}')


def text(ds):
    v = ds[()]
    if isinstance(v, np.ndarray):
        v = v.ravel()[0]
    return v.decode('utf-8') if isinstance(v, bytes) else str(v)


def pixels(a):
    a = np.asarray(a)
    if a.dtype.names:
        return np.stack([a['real'], a['imag']], -1).ravel().tolist()
    return a.ravel().tolist()


def dump(path, group, out):
    res = {}
    with h5py.File(path, 'r') as f:
        g = f[group]
        for t in ('xml', 'config_file', 'config', 'configAdditional'):
            if t in g:
                res[t] = text(g[t])
        if 'data' in g:
            d = g['data'][:]
            hd = g['data'].dtype['head']
            res['acquisitions'] = [
                {'head': conv(r['head'], hd), 'traj': np.asarray(r['traj'], dtype=np.float32).tolist(), 'data': np.asarray(r['data'], dtype=np.float32).tolist()}
                for r in d
            ]
        if 'waveforms' in g:
            d = g['waveforms'][:]
            hd = g['waveforms'].dtype['head']
            res['waveforms'] = [{'head': conv(r['head'], hd), 'data': np.asarray(r['data'], dtype=np.uint32).tolist()} for r in d]
        res['images'] = {}
        for name in g:
            s = g[name]
            if isinstance(s, h5py.Group) and 'header' in s and 'data' in s:
                hdr = s['header'][:]
                attrs = s['attributes'][:] if 'attributes' in s else [b''] * len(hdr)
                data = s['data']
                imgs = []
                for i in range(len(hdr)):
                    a = attrs[i]
                    imgs.append({'head': conv(hdr[i], s['header'].dtype), 'attribute': a.decode('utf-8') if isinstance(a, bytes) else str(a), 'data': pixels(data[i])})
                res['images'][name] = imgs
                res.setdefault('image_dtypes', {})[name] = str(data.dtype)
                res.setdefault('image_shapes', {})[name] = list(data.shape)
    with open(out, 'w') as fh:
        json.dump(res, fh)


def append(path, group, out):
    """Appends 3 acquisitions and 2 images to each existing image series, as ismrmrd-python does
    (resize the first dimension, assign the new rows)."""
    added = {'acquisitions': [], 'images': {}}
    rng = np.random.default_rng(1234)
    with h5py.File(path, 'r+') as f:
        g = f[group]
        d = g['data']
        n = d.shape[0]
        d.resize((n + 3,))
        for i in range(3):
            rec = np.zeros(1, dtype=d.dtype)
            h = rec['head']
            h['version'][0] = 1
            h['scan_counter'][0] = 100000 + i
            h['flags'][0] = np.uint64(2**63 + i)
            h['number_of_samples'][0] = 4
            h['active_channels'][0] = 2
            h['available_channels'][0] = 2
            h['idx']['user'][0, 3] = 7
            data = rng.standard_normal(16).astype(np.float32)
            rec['data'][0] = data
            rec['traj'][0] = np.zeros(0, dtype=np.float32)
            d[n + i:n + i + 1] = rec
            added['acquisitions'].append({'head': conv(rec['head'][0], d.dtype['head']), 'traj': [], 'data': data.tolist()})
        for name in g:
            s = g[name]
            if not (isinstance(s, h5py.Group) and 'header' in s and 'data' in s):
                continue
            k = s['header'].shape[0]
            imgs = []
            for ds in (s['header'], s['attributes'], s['data']):
                ds.resize((k + 2,) + ds.shape[1:])
            for j in range(2):
                h = s['header'][k - 1].copy()
                h['image_index'] = 500 + j
                s['header'][k + j] = h
                s['attributes'][k + j] = 'h5py appended ✓ %d' % j
                shape = s['data'].shape[1:]
                if s['data'].dtype.names:
                    px = np.zeros(shape, dtype=s['data'].dtype)
                    px['real'] = rng.standard_normal(shape)
                    px['imag'] = rng.standard_normal(shape)
                else:
                    px = (rng.standard_normal(shape) * 100).astype(s['data'].dtype)
                s['data'][k + j] = px
                imgs.append({'head': conv(h, s['header'].dtype), 'attribute': 'h5py appended ✓ %d' % j, 'data': pixels(px)})
            added['images'][name] = imgs
    with open(out, 'w') as fh:
        json.dump(added, fh)


def canon(v, h):
    if isinstance(v, np.void) and v.dtype.names:
        for n in v.dtype.names:
            h.update(n.encode())
            canon(v[n], h)
    elif isinstance(v, np.ndarray):
        if v.dtype == object or v.dtype.names:
            for x in v.ravel():
                canon(x, h)
        else:
            h.update(str(v.dtype).encode())
            h.update(np.ascontiguousarray(v).tobytes())
    elif isinstance(v, (bytes, str)):
        h.update(v.encode() if isinstance(v, str) else v)
    else:
        h.update(np.asarray(v).tobytes())


def snapshot(path, out):
    res = {}
    with h5py.File(path, 'r') as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                h = hashlib.sha256()
                canon(obj[()], h)
                res['/' + name] = {'shape': list(obj.shape), 'dtype': str(obj.dtype), 'sha256': h.hexdigest()}
        f.visititems(visit)
    with open(out, 'w') as fh:
        json.dump(res, fh)


def killcheck(path, group, out):
    """The SIGKILL child writes acquisition i with scan_counter i and data f32(i + k/1000) (k < 2*ns*ch),
    and after every 10th acquisition an image with image_index i."""
    with h5py.File(path, 'r') as f:
        g = f[group]
        d = g['data'][:] if 'data' in g else []
        bad = 0
        for i, r in enumerate(d):
            n = len(r['data'])
            want = (np.float64(i) + np.arange(n) / 1000.0).astype(np.float32)
            if int(r['head']['scan_counter']) != i or not np.array_equal(np.asarray(r['data'], dtype=np.float32), want):
                bad += 1
        nimg = g['image_0/header'].shape[0] if 'image_0' in g else 0
        for j in range(nimg):
            if int(g['image_0/header'][j]['image_index']) != j * 10 + 9:
                bad += 1
            if not np.all(g['image_0/data'][j] == np.float32(j)):
                bad += 1
        res = {'acquisitions': len(d), 'images': nimg,
               'image_datasets': [g['image_0/' + k].shape[0] for k in ('header', 'attributes', 'data')] if 'image_0' in g else [],
               'bad': bad}
    with open(out, 'w') as fh:
        json.dump(res, fh)


if __name__ == '__main__':
    cmd = sys.argv[1]
    {'dump': dump, 'append': append, 'snapshot': snapshot, 'killcheck': killcheck}[cmd](*sys.argv[2:])
