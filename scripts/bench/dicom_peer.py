#!/usr/bin/env python3
"""The peer of scripts/bench/dicom.bench.mjs: the work of the reference dicom2mrd.py / mrd2dicom.py
done with pydicom + numpy + h5py (the reference needs ismrmrd-python, which Debian does not
package; the MRD layout and the per-image work are the same).

  dicom_peer.py to-mrd  <folder> <out.h5>   # dcmread, pixel_array, header mapping, to_json, h5py write
  dicom_peer.py to-dicom <in.h5> <folder>   # h5py read, meta/DicomJson parse, pydicom dataset, save_as
"""
import base64
import os
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np
import pydicom
import pydicom.uid

HEAD = np.dtype([
    ('version', '<u2'), ('data_type', '<u2'), ('flags', '<u8'), ('measurement_uid', '<u4'),
    ('matrix_size', '<u2', (3,)), ('field_of_view', '<f4', (3,)), ('channels', '<u2'),
    ('position', '<f4', (3,)), ('read_dir', '<f4', (3,)), ('phase_dir', '<f4', (3,)),
    ('slice_dir', '<f4', (3,)), ('patient_table_position', '<f4', (3,)), ('average', '<u2'),
    ('slice', '<u2'), ('contrast', '<u2'), ('phase', '<u2'), ('repetition', '<u2'), ('set', '<u2'),
    ('acquisition_time_stamp', '<u4'), ('physiology_time_stamp', '<u4', (3,)), ('image_type', '<u2'),
    ('image_index', '<u2'), ('image_series_index', '<u2'), ('user_int', '<i4', (8,)),
    ('user_float', '<f4', (8,)), ('attribute_string_len', '<u4')])


def files(folder):
    for e in os.scandir(folder):
        if e.is_file() and e.path.lower().endswith(('.dcm', '.ima')):
            yield e.path
        elif e.is_dir():
            yield from files(e.path)


def meta_xml(pairs):
    root = ET.Element('ismrmrdMeta')
    for k, v in pairs:
        m = ET.SubElement(root, 'meta')
        ET.SubElement(m, 'name').text = k
        ET.SubElement(m, 'value').text = v
    return "<?xml version='1.0' encoding='UTF-8'?>\n" + ET.tostring(root, encoding='unicode')


def to_mrd(folder, out):
    dsets = [pydicom.dcmread(p) for p in files(folder)]
    series = sorted(set(int(d.SeriesNumber) for d in dsets))
    with h5py.File(out, 'w') as f:
        g = f.require_group('dataset')
        g.create_dataset('xml', data=np.array([b'<ismrmrdHeader/>'], dtype=h5py.string_dtype('ascii')))
        for iser, sn in enumerate(series):
            ds = sorted([d for d in dsets if int(d.SeriesNumber) == sn], key=lambda d: d.InstanceNumber)
            def loc(d):
                if 'SliceLocation' in d:
                    return float(d.SliceLocation)
                iop = np.array(d.ImageOrientationPatient, dtype=float)
                return float(np.dot(np.array(d.ImagePositionPatient, dtype=float), np.cross(iop[:3], iop[3:])))
            uloc = np.unique([loc(d) for d in ds])
            utrig = np.unique([float(d.get('TriggerTime', 0) or 0) for d in ds])
            heads = np.zeros(len(ds), HEAD)
            data = np.zeros((len(ds), 1, 1, ds[0].Rows, ds[0].Columns), np.uint16)
            attrs = []
            for i, d in enumerate(ds):
                data[i, 0, 0] = d.pixel_array
                h = heads[i]
                h['version'] = 1
                h['data_type'] = 1
                h['matrix_size'] = (d.Columns, d.Rows, 1)
                h['channels'] = 1
                h['field_of_view'] = (d.PixelSpacing[1] * d.Columns, d.PixelSpacing[0] * d.Rows, d.SliceThickness)
                h['position'] = d.ImagePositionPatient
                iop = np.array(d.ImageOrientationPatient, dtype=float)
                h['read_dir'] = iop[:3]
                h['phase_dir'] = iop[3:]
                h['slice_dir'] = np.cross(iop[:3], iop[3:])
                t = d.AcquisitionTime
                h['acquisition_time_stamp'] = round((int(t[0:2]) * 3600 + int(t[2:4]) * 60 + int(t[4:6]) + float(t[6:] or 0)) * 1000 / 2.5)
                h['physiology_time_stamp'][0] = round(float(d.get('TriggerTime', 0) or 0) / 2.5)
                h['image_type'] = 1
                h['image_index'] = d.InstanceNumber
                h['image_series_index'] = iser
                h['slice'] = list(uloc).index(loc(d))
                h['phase'] = list(utrig).index(float(d.get('TriggerTime', 0) or 0))
                del d['PixelData']
                a = meta_xml([('SequenceDescription', str(d.get('SeriesDescription', ''))),
                              ('DicomJson', base64.b64encode(d.to_json().encode('utf-8')).decode('utf-8'))])
                h['attribute_string_len'] = len(a)
                attrs.append(a)
            s = g.require_group('image_%d' % iser)
            s.create_dataset('header', data=heads, maxshape=(None,), chunks=True)
            s.create_dataset('data', data=data, maxshape=(None,) + data.shape[1:], chunks=(1,) + data.shape[1:])
            s.create_dataset('attributes', data=np.array(attrs, dtype=h5py.string_dtype('utf-8')), maxshape=(None,), chunks=True)


def to_dicom(path, folder):
    os.makedirs(folder, exist_ok=True)
    with h5py.File(path, 'r') as f:
        g = f[list(f.keys())[-1]]
        for name in g:
            if not name.startswith('image_'):
                continue
            heads = g[name]['header'][:]
            data = g[name]['data'][:]
            attrs = g[name]['attributes'][:]
            study = pydicom.uid.generate_uid()
            series = pydicom.uid.generate_uid()
            for i in range(len(heads)):
                h = heads[i]
                meta = {m.find('name').text: [v.text for v in m.findall('value')] for m in ET.fromstring(attrs[i]).findall('meta')}
                if 'DicomJson' in meta:
                    ds = pydicom.dataset.Dataset.from_json(base64.b64decode(meta['DicomJson'][0]))
                else:
                    ds = pydicom.dataset.Dataset()
                sop = pydicom.uid.generate_uid()
                ds.file_meta = pydicom.dataset.FileMetaDataset()
                ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
                ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.MRImageStorage
                ds.file_meta.MediaStorageSOPInstanceUID = sop
                ds.is_little_endian = True
                ds.is_implicit_VR = False
                ds.SOPClassUID = pydicom.uid.MRImageStorage
                ds.SOPInstanceUID = sop
                ds.StudyInstanceUID = study
                ds.SeriesInstanceUID = series
                img = data[i, 0, 0]
                ds.PixelData = img.tobytes()
                ds.Rows, ds.Columns = img.shape
                ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
                ds.PixelRepresentation = 0
                ds.SamplesPerPixel = 1
                ds.PhotometricInterpretation = 'MONOCHROME2'
                ds.SeriesNumber = int(h['image_series_index'])
                ds.InstanceNumber = int(h['image_index'])
                fov = h['field_of_view']
                ds.PixelSpacing = [float(fov[1]) / img.shape[0], float(fov[0]) / img.shape[1]]
                ds.SliceThickness = float(fov[2])
                ds.ImagePositionPatient = [float(x) for x in h['position']]
                ds.ImageOrientationPatient = [float(x) for x in h['read_dir']] + [float(x) for x in h['phase_dir']]
                t = int(h['acquisition_time_stamp']) * 2.5 / 1000
                hh = int(t // 3600)
                mm = int((t - hh * 3600) // 60)
                ds.AcquisitionTime = '%02d%02d%07.4f' % (hh, mm, t - hh * 3600 - mm * 60)
                ds.TriggerTime = int(h['physiology_time_stamp'][0]) * 2.5
                ds.save_as(os.path.join(folder, '%02d_%s_%03d_%d.dcm' % (ds.SeriesNumber, 'x', ds.InstanceNumber, i)), write_like_original=False)


if __name__ == '__main__':
    if sys.argv[1] == 'to-mrd':
        to_mrd(sys.argv[2], sys.argv[3])
    else:
        to_dicom(sys.argv[2], sys.argv[3])
