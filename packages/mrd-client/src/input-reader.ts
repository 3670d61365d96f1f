/**
 * Entry of the input-reader worker (see input-source.ts), bundled on its own (dist/input-reader.js)
 * so the worker loads only what reading and encoding need, not the whole CLI.
 */
import { workerData } from 'node:worker_threads';
import type { ReaderBootData } from './input-source.js';
import { runInputReaderWorker } from './input-file-reader.js';

void runInputReaderWorker(workerData as ReaderBootData);
