#!/usr/bin/python3
"""The reference mrd2gif.py (usc-mrel fork) code path for one image series, with h5py and
xml.etree standing in for ismrmrd-python's Dataset and Meta (not packaged in Debian).

Usage: mrd2gif-reference.py <in.h5> <group> <series> <out.gif> [rescale]
   or: mrd2gif-reference.py --lines <cases.json> <out.json>   (PIL ImageDraw.line cases)
"""
import json
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np
from PIL import Image, ImageDraw


def parse_meta(text):
    meta = {}
    text = text.split('\0')[0]
    if not text.strip():
        return meta
    root = ET.fromstring(text)
    for m in root.findall('meta'):
        name = m.find('name').text
        values = [v.text or '' for v in m.findall('value')]
        meta[name] = values[0] if len(values) == 1 else values
    return meta


def parse_roi(roi):
    f = [float(x) for x in roi]
    return f[6::2], f[7::2], tuple(f[0:3]), f[3], int(f[4]), int(f[5])


def series_gif(path, group, series, out, rescale=1):
    f = h5py.File(path, 'r')
    g = f[group][series]
    heads = g['header'][()]
    data = g['data'][()]
    attrs = g['attributes'][()]
    if data.dtype.names:  # complex stored as {real, imag}
        data = data['real'] + 1j * data['imag']
    images, rois, metas = [], [], []
    for k in range(len(heads)):
        d = data[k]
        meta = parse_meta(attrs[k].decode() if isinstance(attrs[k], bytes) else attrs[k])
        if d.shape[0] == 3 and heads[k]['image_type'] == 6:
            rgb = np.squeeze(d.transpose((2, 3, 0, 1))).astype(np.uint8)
            images.append(Image.fromarray(rgb, mode='RGB'))
        else:
            if np.any(np.iscomplex(d)):
                d = np.abs(d)
            for cha in range(d.shape[0]):
                for sli in range(d.shape[1]):
                    images.append(Image.fromarray(np.squeeze(d[cha, sli, ...])))
        img_rois = []
        for key in meta:
            if key.startswith('ROI_') or key.startswith('GT_ROI_'):
                x, y, rgb, thickness, style, vis = parse_roi(meta[key])
                if vis != 0:
                    img_rois.append((x, y, rgb, thickness))
        for _ in range(d.shape[0] * d.shape[1]):
            rois.append(img_rois)
            metas.append(meta)
    has_rois = any(len(r) > 0 for r in rois)
    mx = np.median([np.percentile(np.array(im), 95) for im in images])
    mn = np.median([np.percentile(np.array(im), 5) for im in images])
    if mx == mn:
        mx = np.median([np.max(np.array(im)) for im in images])
        mn = np.median([np.min(np.array(im)) for im in images])
    out_images = []
    for img, roi, meta in zip(images, rois, metas):
        lo, hi = mn, mx
        if 'WindowCenter' in meta and 'WindowWidth' in meta:
            lo = float(meta['WindowCenter']) - float(meta['WindowWidth']) / 2
            hi = float(meta['WindowCenter']) + float(meta['WindowWidth']) / 2
        if img.mode == 'RGB':
            out_images.append(img)
            continue
        a = np.array(img).astype(float)
        a -= lo
        if has_rois:
            if hi != lo:
                a *= 255 / (hi - lo)
            a = np.clip(a, 0, 255)
            t = Image.fromarray(np.repeat(a[:, :, np.newaxis], 3, axis=2).astype(np.uint8), mode='RGB')
            if rescale != 1:
                t = t.resize(tuple(rescale * x for x in t.size), Image.NEAREST)
            for (x, y, rgb, thickness) in roi:
                xs = [rescale * v for v in x]
                ys = [rescale * v for v in y]
                ImageDraw.Draw(t).line(list(zip(xs, ys)), fill=(int(rgb[0] * 255), int(rgb[1] * 255), int(rgb[2] * 255), 255), width=int(thickness))
            out_images.append(t)
        else:
            a *= 255 / (hi - lo)
            a = np.clip(a, 0, 255)
            t = Image.fromarray(a)
            if rescale != 1:
                t = t.resize(tuple(rescale * x for x in t.size), Image.NEAREST)
            out_images.append(t)
    if len(out_images) > 1:
        out_images[0].save(out, save_all=True, append_images=out_images[1:], loop=0, duration=40)
    else:
        out_images[0].save(out, save_all=True, append_images=out_images[1:])


def lines(cases_path, out_path):
    cases = json.load(open(cases_path))
    out = []
    for c in cases:
        im = Image.new('RGB', (c['W'], c['H']), (10, 20, 30))
        ImageDraw.Draw(im).line(list(zip(c['xs'], c['ys'])), fill=tuple(c['rgb']) + (255,), width=int(c['w']))
        out.append(np.array(im).flatten().tolist())
    json.dump(out, open(out_path, 'w'))


if __name__ == '__main__':
    if sys.argv[1] == '--lines':
        lines(sys.argv[2], sys.argv[3])
    else:
        series_gif(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 1)
