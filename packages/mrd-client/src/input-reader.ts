/**
 * Entry of the input-reader worker (see input-source.ts), bundled on its own (dist/input-reader.js)
 * so the worker loads only what reading and encoding need, not the whole CLI.
 */
import { workerData } from 'node:worker_threads';
import { runInputReaderWorker, type ReaderBootData } from './input-source.js';

void runInputReaderWorker(workerData as ReaderBootData);
