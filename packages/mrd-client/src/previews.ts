/** `--mrd2gif`: previews of the output group, written by the mrd2gif tool once the session is done. */
export async function writePreviews(_file: string, _group: string, _quiet: boolean): Promise<void> {
  throw new Error('mrd2gif is not available in this build');
}
