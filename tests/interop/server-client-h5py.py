#!/usr/bin/env python3
"""Compares an MRD file written by mrd-client (ours) with the reference client's output, read
with h5py only: the same groups and datasets, equal XML header, equal image headers (every
compound field), equal meta attribute strings after parsing, pixels within 1 (integers) or 1e-4
relative (floats), same acquisition/waveform counts. Prints one line per problem; exit 1 if any.
Usage: server-client-h5py.py OURS.h5 OURS_GROUP REF.h5 REF_GROUP"""
import sys
import xml.etree.ElementTree as ET
import h5py
import numpy as np

ours_path, ours_group, ref_path, ref_group = sys.argv[1:5]
problems = []


def meta(s):
    if isinstance(s, bytes):
        s = s.decode('utf-8')
    if not s:
        return {}
    root = ET.fromstring(s)
    out = {}
    for m in root.findall('meta'):
        out[m.findtext('name')] = [v.text for v in m.findall('value')]
    return out


def walk(g, prefix=''):
    names = {}
    for k, v in g.items():
        names[prefix + k] = 'group' if isinstance(v, h5py.Group) else 'dataset'
        if isinstance(v, h5py.Group):
            names.update(walk(v, prefix + k + '/'))
    return names


with h5py.File(ours_path, 'r') as fo, h5py.File(ref_path, 'r') as fr:
    go, gr = fo[ours_group], fr[ref_group]
    wo, wr = walk(go), walk(gr)
    if wo != wr:
        problems.append('members differ: ours %s ref %s' % (sorted(wo.items()), sorted(wr.items())))
    if 'xml' in gr and 'xml' in go and go['xml'][0] != gr['xml'][0]:
        problems.append('xml header differs')
    for name in [k for k in gr.keys() if k.startswith('image')]:
        if name not in go:
            continue
        ho, hr = go[name]['header'][()], gr[name]['header'][()]
        if len(ho) != len(hr):
            problems.append('%s: %d images vs %d' % (name, len(ho), len(hr)))
            continue
        for field in hr.dtype.names:
            if not np.array_equal(ho[field], hr[field]):
                problems.append('%s: header field %s differs' % (name, field))
        ao, ar = go[name]['attributes'][()], gr[name]['attributes'][()]
        for i, (a, b) in enumerate(zip(ao, ar)):
            if meta(a) != meta(b):
                problems.append('%s[%d]: meta differs' % (name, i))
        do, dr = go[name]['data'][()], gr[name]['data'][()]
        if do.shape != dr.shape or do.dtype != dr.dtype:
            problems.append('%s: data %s %s vs %s %s' % (name, do.shape, do.dtype, dr.shape, dr.dtype))
            continue
        if dr.dtype.names:  # complex stored as {real, imag}
            do = do['real'] + 1j * do['imag']
            dr = dr['real'] + 1j * dr['imag']
        if np.issubdtype(dr.dtype, np.integer):
            bad = np.abs(do.astype(np.int64) - dr.astype(np.int64)) > 1
        else:
            bad = np.abs(do - dr) > 1e-4 * max(np.abs(dr).max(), 1e-30)
        if bad.any():
            problems.append('%s: %d pixels differ beyond tolerance' % (name, int(bad.sum())))
    for ds in ('data', 'waveforms'):
        if ds in gr and ds in go and go[ds].shape != gr[ds].shape:
            problems.append('%s: %s vs %s records' % (ds, go[ds].shape, gr[ds].shape))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
