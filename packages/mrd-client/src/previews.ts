/**
 * `--mrd2gif`: GIF previews of the output group once the session is done, as the upstream
 * client calling mrd2gif.main. The mrd2gif library is bundled into mrd-client (its third-party
 * packages, gifenc and pngjs, are mrd-client dependencies too).
 */
import { logger } from '@mrd-tools/core/logging';
import { mrd2gif } from '@mrd-tools/mrd2gif';

export async function writePreviews(file: string, group: string, _quiet: boolean): Promise<string[]> {
  const outputs = await mrd2gif(file, { inGroup: group });
  const files = outputs.flatMap((o) => o.files);
  for (const f of files) logger.info(`Preview written to ${f}`);
  if (files.length === 0) logger.warning(`No image series in ${file} group '${group}': no preview written`);
  return files;
}
