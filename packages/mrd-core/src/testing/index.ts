// Test helpers of mrd-core (never in a shipped bundle): reference fixtures, seeded random headers,
// peers on PATH, MRD file readers, simulated full disks, watched direct (O_DIRECT) reads.
export { reference, referenceDir, repoRoot } from './reference.js';
export {
  mulberry32, randomAcquisitionHeader, RandomFields, type RandomFieldsOptions, randomImageHeader,
  randomImagePixels, randomWaveformHeader,
} from './random.js';
export { commandOnPath, commandRuns, findPython, jsonShape, mrdPythonPeer } from './peers.js';
export { readAcquisitions, readSessionMessages, writeImageFileDeclaring } from './mrd-files.js';
export { imageSymmetry } from './image-symmetry.js';
export { type SimulatedDisk, simulateFullDisk, simulateReadOnlyFolder } from './simulated-disk.js';
export { bundleKillChild, runAndKill } from './kill-child/harness.js';
export { everyMessageTypeStream } from './every-message-stream.js';
export { occupyNextTemporaryName, type TakenTemporaryName } from './taken-temporary-name.js';
export { type DirectIo, directIoFs } from './direct-io.js';
