/**
 * The results writer's warm-up: the HDF5 writer's code is rehearsed once per process, not once per
 * input of a batch (each rehearsal is CPU the run's other work could have had).
 */
import { describe, expect, it, vi } from 'vitest';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { rehearseWriter } from './results-writer.js';

describe('rehearseWriter', () => {
  it('rehearses the writer once, however many inputs ask', async () => {
    const spy = vi.spyOn(MrdWriter, 'rehearse');
    try {
      await Promise.all([rehearseWriter(), rehearseWriter()]);
      await rehearseWriter();
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
