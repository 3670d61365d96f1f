// Driving a recon module without a server (tests of built-in and user modules).
export { ReplayConnection, replaySession, type ReplaySession } from './replay.js';
