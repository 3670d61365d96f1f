/**
 * dcmjs, loaded once, with its internal log routed to our logger at DEBUG (library code never
 * prints to the console; dcmjs warns e.g. about unknown VRs in private tags).
 */
import dcmjs from 'dcmjs';
import { logger } from '@mrd-tools/core/logging';

type LogMethod = (...args: unknown[]) => void;
interface LoglevelLike {
  methodFactory: (methodName: string, level: number, loggerName: unknown) => LogMethod;
  setLevel(level: string | number, persist?: boolean): void;
  getLevel(): number;
  rebuild?: () => void;
  getLogger(name: string): LoglevelLike;
}

const dlog = (dcmjs as unknown as { log?: LoglevelLike }).log;
if (dlog) {
  const factory = () => (...args: unknown[]) => logger.debug('dcmjs:', ...args.map((a) => (a instanceof Error ? a.message : a)));
  // The root logger and the child dcmjs already created ("validation.dcmjs").
  for (const l of [dlog, dlog.getLogger('validation.dcmjs')]) {
    l.methodFactory = factory;
    l.setLevel('warn', false);
    l.rebuild?.();
  }
}

export const dcmjsData = dcmjs.data;
export default dcmjs;
