import { describe, expect, it } from 'vitest';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { createAcquisition } from '@mrd-tools/core/messages';
import { replaySession } from './replay.js';

const HEADER = '<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions><encoding><encodedSpace><matrixSize><x>4</x><y>4</y><z>1</z></matrixSize><fieldOfView_mm><x>1</x><y>1</y><z>1</z></fieldOfView_mm></encodedSpace><reconSpace><matrixSize><x>4</x><y>4</y><z>1</z></matrixSize><fieldOfView_mm><x>1</x><y>1</y><z>1</z></fieldOfView_mm></reconSpace><trajectory>cartesian</trajectory><encodingLimits/></encoding></ismrmrdHeader>';
const acq: MrdMessage = { type: 'acquisition', acquisition: createAcquisition() };

function stream(...rest: MrdMessage[]): MrdMessage[] {
  return [{ type: 'config_file', name: 'invertcontrast' }, { type: 'header', xml: HEADER }, ...rest];
}

describe('replaySession: the session preamble the server reads', () => {
  it('a JSON config with parameters.config names the module, as in the server', async () => {
    const s = await replaySession(stream({ type: 'text', text: '{"parameters": {"config": "simplefft", "options": "roi"}}' }, acq));
    expect(s.configName).toBe('simplefft');
    expect(s.config).toEqual({ parameters: { config: 'simplefft', options: 'roi' } });
    expect(s.rest).toEqual([acq]);
  });

  it('a non-empty parameters.customconfig wins over parameters.config; an empty one does not', async () => {
    expect((await replaySession(stream({ type: 'text', text: '{"parameters": {"config": "a", "customconfig": "b"}}' }))).configName).toBe('b');
    expect((await replaySession(stream({ type: 'text', text: '{"parameters": {"config": "a", "customconfig": ""}}' }))).configName).toBe('a');
  });

  it('a TEXT that is not JSON is passed on as the config text, as the server does', async () => {
    const s = await replaySession(stream({ type: 'text', text: 'not json' }, acq));
    expect(s.configName).toBe('invertcontrast');
    expect(s.config).toBe('not json');
  });

  it('without a JSON config the module gets the config name and the parsed header', async () => {
    const s = await replaySession(stream(acq));
    expect(s.config).toBe('invertcontrast');
    expect((s.header as { encoding: unknown[] }).encoding).toHaveLength(1);
    expect(s.rest).toEqual([acq]);
  });
});
