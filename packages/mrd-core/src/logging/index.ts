export { Logger, LogLevel, logger, type LogSink } from './logger.js';
