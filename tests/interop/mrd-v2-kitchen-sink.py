"""Writes an MRD v2 stream holding every StreamItem case, with the awkward values of each field type
(negative and 64-bit integers, out-of-range enums, unknown flag bits, absent and present optionals,
empty vectors, non-ASCII strings, dates and times, NaN and infinities, -0.0), with the upstream
Python `mrd` package, as binary, then read back and written as NDJSON:

    PYTHONPATH=<peers/mrd-python> python3 mrd-v2-kitchen-sink.py OUT.mrd OUT.ndjson [NC.mrd NC.ndjson]

With NC.mrd and NC.ndjson it also writes a stream of the model's second protocol,
MrdNoiseCovariance, in both encodings.

Deterministic: the same bytes on every run. mrd-tools keeps the outputs as unit-test fixtures
(packages/mrd-core/src/mrd-v2/fixtures/), and the interop suite checks they still equal a fresh run.
"""
import datetime
import sys

import numpy as np

import mrd
import mrd.binary


def acq_header(i):
    h = mrd.AcquisitionHeader()
    h.flags = mrd.AcquisitionFlags(0x40001 if i == 0 else (1 << 63) | 3)
    h.idx = mrd.EncodingCounters(kspace_encode_step_1=i, slice=None if i else 2, user=[1, 2, 4294967295])
    h.measurement_uid = 4294967295
    h.scan_counter = i
    h.acquisition_center_frequency = 123456789012 if i == 0 else None
    h.acquisition_time_stamp_ns = 18446744073709551615 if i == 0 else 7
    h.physiology_time_stamp_ns = [0, 1, 9007199254740993]
    h.channel_order = [0, 1]
    h.discard_pre = 3
    h.center_sample = 2
    h.sample_time_ns = 2500
    h.position[:] = [1.5, -2.25, 3.0]
    h.read_dir[:] = [1, 0, 0]
    h.phase_dir[:] = [0, 1, 0]
    h.slice_dir[:] = [0, 0, -0.0]
    h.user_int = [-1, 2147483647, -2147483648]
    h.user_float = [0.1, float('inf'), float('-inf')]
    return h


def acquisition(i, phase):
    a = mrd.Acquisition(head=acq_header(i))
    a.data = (np.arange(2 * 4, dtype=np.float32).reshape(2, 4) * 0.5 - 1j * np.arange(8, dtype=np.float32).reshape(2, 4)).astype(np.complex64)
    if phase:
        a.phase = np.array([0.25, -0.5, 1e-7, 3e38], dtype=np.float32)
    a.trajectory = np.array([[0.0, 0.1, 0.2, 0.3], [-1.0, -0.9, -0.8, -0.7]], dtype=np.float32)
    return a


def image_header(i):
    h = mrd.ImageHeader(image_type=mrd.ImageType(i))
    h.flags = mrd.ImageFlags(0x41 if i != 2 else 0x2)
    h.measurement_uid = i
    h.field_of_view[:] = [300, 300, 5]
    h.col_dir[:] = [1, 0, 0]
    h.line_dir[:] = [0, 1, 0]
    h.slice_dir[:] = [0, 0, 1]
    h.slice = i
    h.repetition = 0 if i % 2 else None
    h.acquisition_time_stamp_ns = 1000000 * i
    h.physiology_time_stamp_ns = [5]
    h.image_index = i
    h.image_series_index = None if i == 3 else 7
    h.user_int = [i, -i]
    h.user_float = [float(i) / 3]
    return h


def meta(i):
    return {
        'DataRole': [mrd.ImageMetaValue.String('Image')],
        'Window': [mrd.ImageMetaValue.Int64(-9223372036854775808), mrd.ImageMetaValue.Float64(2048.0), mrd.ImageMetaValue.Float64(1e-300)],
        '0': [mrd.ImageMetaValue.String('integer-like key')],
        'Ünïcode ☃': [mrd.ImageMetaValue.String('line\nbreak "quoted" \\ \u0001 tab\t')],
        'empty': [],
        'n': [mrd.ImageMetaValue.Int64(i)],
    }


def image(kind, dtype, values, i):
    data = np.array(values, dtype=dtype).reshape(1, 1, 2, 3)
    return kind(mrd.Image[dtype](head=image_header(i), data=data, meta=meta(i)))


def waveform(i):
    return mrd.WaveformUint32(flags=(1 << 64) - 1 if i else 0, measurement_uid=1, scan_counter=i, time_stamp_ns=10 ** 15,
                              sample_time_ns=2500, waveform_id=i, data=np.array([[0, 1, 4294967295], [7, 8, 9]], dtype=np.uint32))


def limits(a):
    return mrd.LimitType(minimum=0, maximum=a, center=a // 2)


def header():
    h = mrd.Header()
    h.version = -3
    h.subject_information = mrd.SubjectInformationType(patient_name='Zoë Ünïcode', patient_weight_kg=70.5, patient_height_m=None,
                                                       patient_id='ID-1', patient_birthdate=datetime.date(1899, 12, 31),
                                                       patient_gender=mrd.PatientGender.O)
    h.study_information = mrd.StudyInformationType(study_date=datetime.date(2024, 2, 29), study_time=mrd.Time.from_components(23, 59, 59, 999999999),
                                                   study_id='S', accession_number=-5, study_instance_uid='1.2.3')
    h.measurement_information = mrd.MeasurementInformationType(measurement_id='M1', series_date=datetime.date(1970, 1, 1),
                                                               series_time=mrd.Time(0), patient_position=mrd.PatientPosition(42),
                                                               relative_table_position=mrd.ThreeDimensionalFloat(x=1.0, y=-0.0, z=float('nan')),
                                                               initial_series_number=9223372036854775807, protocol_name='p',
                                                               sequence_name='seq', series_description='desc',
                                                               measurement_dependency=[mrd.MeasurementDependencyType(dependency_type='Noise', measurement_id='M0')],
                                                               series_instance_uid_root='1.2', frame_of_reference_uid='1.3',
                                                               referenced_image_sequence=mrd.ReferencedImageSequenceType(referenced_sop_instance_uid=['a', 'b']))
    h.acquisition_system_information = mrd.AcquisitionSystemInformationType(system_vendor='V', system_model='M', system_field_strength_t=2.89,
                                                                             relative_receiver_noise_bandwidth=0.793, receiver_channels=2,
                                                                             coil_label=[mrd.CoilLabelType(coil_number=0, coil_name='C0')],
                                                                             institution_name='I', station_name='S', device_id='D', device_serial_number='N')
    h.experimental_conditions = mrd.ExperimentalConditionsType(h1resonance_frequency_hz=123200000)
    enc = mrd.EncodingType()
    enc.encoded_space = mrd.EncodingSpaceType(matrix_size=mrd.MatrixSizeType(x=4, y=2, z=1), field_of_view_mm=mrd.FieldOfViewMm(x=600, y=300, z=5))
    enc.recon_space = mrd.EncodingSpaceType(matrix_size=mrd.MatrixSizeType(x=2, y=2, z=1), field_of_view_mm=mrd.FieldOfViewMm(x=300, y=300, z=5))
    enc.encoding_limits = mrd.EncodingLimitsType(kspace_encoding_step_1=limits(1), user_7=limits(4))
    enc.trajectory = mrd.Trajectory.SPIRAL
    enc.trajectory_description = mrd.TrajectoryDescriptionType(identifier='spiral', user_parameter_long=[mrd.UserParameterLongType(name='interleaves', value=-8)],
                                                               user_parameter_double=[mrd.UserParameterDoubleType(name='fov', value=0.1)],
                                                               user_parameter_string=[mrd.UserParameterStringType(name='s', value='')], comment='c')
    enc.parallel_imaging = mrd.ParallelImagingType(acceleration_factor=mrd.AccelerationFactorType(kspace_encoding_step_1=2, kspace_encoding_step_2=1),
                                                   calibration_mode=mrd.CalibrationMode.NOACCELERATION,
                                                   interleaving_dimension=mrd.InterleavingDimension.OTHER,
                                                   multiband=mrd.MultibandType(spacing=[mrd.MultibandSpacingType(d_z=[1.0, 2.5])], delta_kz=0.5,
                                                                               multiband_factor=3, calibration=mrd.Calibration.FULL_3D,
                                                                               calibration_encoding=18446744073709551615))
    enc.echo_train_length = 0
    h.encoding = [enc, mrd.EncodingType()]
    h.sequence_parameters = mrd.SequenceParametersType(t_r=[5.0], t_e=[2.5, 3.5], t_i=[], flip_angle_deg=[15.0], sequence_type='GRE', echo_spacing=[],
                                                       diffusion_dimension=mrd.DiffusionDimension.USER_7,
                                                       diffusion=[mrd.DiffusionType(gradient_direction=mrd.GradientDirectionType(rl=1, ap=0, fh=0), bvalue=1000)],
                                                       diffusion_scheme='mono')
    h.user_parameters = mrd.UserParametersType(user_parameter_long=[mrd.UserParameterLongType(name='L', value=-9223372036854775808)],
                                               user_parameter_double=[mrd.UserParameterDoubleType(name='D', value=-0.0)],
                                               user_parameter_string=[mrd.UserParameterStringType(name='S', value='x')],
                                               user_parameter_base64=[mrd.UserParameterBase64Type(name='B', value='QUJD')])
    h.waveform_information = [mrd.WaveformInformationType(waveform_name='ecg', waveform_type=mrd.WaveformType.ECG, user_parameters=mrd.UserParametersType())]
    return h


def recon_buffer(with_density):
    b = mrd.ReconBuffer()
    b.data = (np.arange(2 * 3, dtype=np.float32) + 1j).astype(np.complex64).reshape(1, 1, 1, 2, 1, 1, 3)
    b.trajectory = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 1, 1, 2, 2)
    if with_density:
        b.density = np.ones((1, 1, 1, 1, 1, 3), dtype=np.float32)
    # Upstream Python cannot write arrays of records holding flags (its EnumSerializer expects an enum
    # where numpy gives an integer), so the header arrays stay empty along one dimension.
    headers = np.zeros((1, 1, 1, 1, 0), dtype=mrd.binary.AcquisitionHeaderSerializer().overall_dtype())
    b.headers = headers
    b.sampling = mrd.SamplingDescription(encoded_fov=mrd.FieldOfViewMm(x=1, y=2, z=3), recon_fov=mrd.FieldOfViewMm(x=4, y=5, z=6),
                                         encoded_matrix=mrd.MatrixSizeType(x=7, y=8, z=9), recon_matrix=mrd.MatrixSizeType(x=10, y=11, z=12),
                                         sampling_limits=mrd.SamplingLimits(kspace_encoding_step_0=limits(2), kspace_encoding_step_1=limits(4),
                                                                            kspace_encoding_step_2=limits(6)))
    return b


def image_array():
    ia = mrd.ImageArray()
    ia.data = (np.arange(4, dtype=np.float32) - 2j).astype(np.complex64).reshape(1, 1, 2, 1, 1, 1, 2)
    headers = np.zeros((1, 1, 0), dtype=mrd.binary.ImageHeaderSerializer().overall_dtype())  # see recon_buffer
    ia.headers = headers
    m = np.empty((1, 1, 2), dtype=np.object_)
    m[0, 0, 0] = {'a': [mrd.ImageMetaValue.Int64(1)]}
    m[0, 0, 1] = {}
    ia.meta = m
    ia.waveforms = [waveform(3)]
    return ia


def items():
    yield mrd.StreamItem.Acquisition(acquisition(0, True))
    yield mrd.StreamItem.Acquisition(acquisition(1, False))
    yield mrd.StreamItem.AcquisitionPrototype(mrd.AcquisitionPrototype(head=acq_header(2), data_sample_counts=np.array([4, 4, 0], dtype=np.uint32)))
    yield mrd.StreamItem.WaveformUint32(waveform(1))
    yield image(mrd.StreamItem.ImageUint16, np.uint16, [0, 1, 127, 128, 16383, 65535], 1)
    yield image(mrd.StreamItem.ImageInt16, np.int16, [0, -1, 1, -32768, 32767, -64], 2)
    yield image(mrd.StreamItem.ImageUint32, np.uint32, [0, 1, 2 ** 21, 2 ** 28, 4294967295, 300], 3)
    yield image(mrd.StreamItem.ImageInt32, np.int32, [0, -1, -2147483648, 2147483647, 64, -65], 4)
    yield image(mrd.StreamItem.ImageFloat, np.float32, [0.0, -0.0, 1e-45, 3.4028235e38, float('nan'), 0.1], 5)
    yield image(mrd.StreamItem.ImageDouble, np.float64, [1e16, 1e-5, 0.0001, 123456789.0, float('-inf'), 2.5], 1)
    yield image(mrd.StreamItem.ImageComplexFloat, np.complex64, [1 + 2j, -1j, 0, 0.5, 1e20j, 3], 2)
    yield image(mrd.StreamItem.ImageComplexDouble, np.complex128, [1 + 2j, -1j, 0, 0.5, 1e20j, 3], 0)
    yield mrd.StreamItem.AcquisitionBucket(mrd.AcquisitionBucket(data=[acquisition(3, False)], ref=[], datastats=[mrd.EncodingLimitsType(slice=limits(1))],
                                                                 refstats=[], waveforms=[waveform(2)]))
    yield mrd.StreamItem.ReconData(mrd.ReconData(buffers=[mrd.ReconAssembly(data=recon_buffer(True), ref=recon_buffer(False)), mrd.ReconAssembly(data=recon_buffer(False))]))
    yield mrd.StreamItem.ArrayComplexFloat(np.array([[1 + 1j, 2], [3, 4j], [5, 6]], dtype=np.complex64))
    yield mrd.StreamItem.ArrayComplexFloat(np.zeros((0,), dtype=np.complex64))
    yield mrd.StreamItem.ImageArray(image_array())
    yield mrd.StreamItem.PulseqDefinitions(mrd.PulseqDefinitions(gradient_raster_time=1e-5, radiofrequency_raster_time=1e-6, adc_raster_time=1e-7,
                                                                 block_duration_raster=1e-5, name='sequence', fov=mrd.ThreeDimensionalFloat(x=0.2, y=0.2, z=0.005),
                                                                 total_duration=None, custom={'Key': 'Value', '1': 'one'}))
    yield mrd.StreamItem.PulseqBlocks([mrd.PulseqBlock(id=1, duration=100, rf=1, gx=0, gy=-1, gz=0, adc=0, ext=0), mrd.PulseqBlock(id=2, duration=2 ** 40)])
    yield mrd.StreamItem.PulseqBlocks([])
    yield mrd.StreamItem.PulseqRfEvent(mrd.PulseqRFEvent(id=1, amp=250.0, mag_id=1, phase_id=2, time_id=0, center=100.0, delay=10, freq_ppm=0.0,
                                                         phase_ppm=0.0, freq_offset=-100.5, phase_offset=3.14, use=mrd.RFPulseUse.EXCITATION))
    yield mrd.StreamItem.PulseqArbitraryGradient(mrd.PulseqArbitraryGradient(id=2, amp=1e6, first=0.0, last=-0.0, shape_id=3, time_id=-1, delay=0))
    yield mrd.StreamItem.PulseqTrapezoidalGradient(mrd.PulseqTrapezoidalGradient(id=3, amp=-2.5e5, rise=10, flat=100, fall=10, delay=20))
    yield mrd.StreamItem.PulseqAdcEvent(mrd.PulseqADCEvent(id=1, num=256, dwell=1e-5, delay=5, freq_ppm=1.0, phase_ppm=-1.0, freq=0.0, phase=0.5, phase_shape_id=0))
    yield mrd.StreamItem.PulseqShape(mrd.PulseqShape(id=1, num_samples=6, data=np.array([0.0, 1.0, 0.5, 0.5, 0.5, 0.5])))


def noise_covariance():
    m = np.array([[1 + 0j, 0.25 - 0.5j], [0.25 + 0.5j, 2 + 0j]], dtype=np.complex64)
    return mrd.NoiseCovariance(coil_labels=[mrd.CoilLabelType(coil_number=0, coil_name='C0'), mrd.CoilLabelType(coil_number=1, coil_name='Cé')],
                               receiver_noise_bandwidth=0.793, noise_dwell_time_ns=5000, sample_count=2 ** 40, matrix=m)


if __name__ == '__main__':
    with mrd.BinaryMrdWriter(sys.argv[1]) as w:
        w.write_header(header())
        w.write_data(items())
    # The NDJSON writer wants Python floats where the binary writer takes ints: convert what was
    # written (as upstream's own binary -> NDJSON path does). Upstream's NDJSON writer fails on any
    # array of records (ReconBuffer.headers, ImageArray.headers: its dtype check), so the reconData
    # and imageArray items are left out of the NDJSON file.
    with mrd.BinaryMrdReader(sys.argv[1]) as r, mrd.NDJsonMrdWriter(sys.argv[2]) as w:
        w.write_header(r.read_header())
        w.write_data(it for it in r.read_data() if not isinstance(it, (mrd.StreamItem.ReconData, mrd.StreamItem.ImageArray)))
    if len(sys.argv) > 4:
        with mrd.BinaryMrdNoiseCovarianceWriter(sys.argv[3]) as w:
            w.write_noise_covariance(noise_covariance())
        with mrd.BinaryMrdNoiseCovarianceReader(sys.argv[3]) as r, mrd.NDJsonMrdNoiseCovarianceWriter(sys.argv[4]) as w:
            w.write_noise_covariance(r.read_noise_covariance())
